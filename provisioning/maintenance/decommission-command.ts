import { EXIT } from "../../agent/cli-support/cli.js";
import { CommandFailure, type CommandIo } from "../../agent/cli-support/command-io.js";
import { parseProvisionOptions } from "../command-options.js";
import { readConfigFile } from "../config-file.js";
import { LinePrompter } from "../init/line-prompter.js";
import { identityFiles, PATH_OPTIONS_HELP, resolvePaths } from "../paths.js";
import { queueFiles, readQueueBacklog } from "../queue-backlog.js";
import { queueFamily, shredFile } from "./wipe.js";

export const DECOMMISSION_HELP = `Usage: basma-provision decommission [--yes] [--force] [options]

Takes the terminal out of service for good: wipes the device key, its certificates,
the centre's CA and command key, the bootstrap claim, the record queue and the queue's
device key. Stop the agent first ('systemctl stop basma-agent').

Refuses while the queue holds records the centre has not acknowledged (they would be
lost; deliver them first, or export them with 'basma-agent queue export'), or when the
queue cannot be read to tell, unless --force. The configuration file is kept.

  --yes                 do not ask for confirmation
  --force               wipe even with records waiting (they are lost)
  --json                the result as JSON
${PATH_OPTIONS_HELP}
Exit status: 0 wiped, 1 refused or failed, 2 bad arguments, 78 invalid configuration.
`;

export async function runDecommissionCommand(
  args: readonly string[],
  io: CommandIo,
): Promise<number> {
  const values = parseProvisionOptions(
    args,
    {
      yes: { type: "boolean", short: "y" },
      force: { type: "boolean" },
    },
    { help: DECOMMISSION_HELP, io },
  );
  if (values === undefined) return EXIT.ok;
  const paths = resolvePaths(values);
  const { config } = await readConfigFile(paths.config);
  const backlog = readQueueBacklog(config);
  const force = values.force === true;
  if (backlog.state === "open" && backlog.stats.records > 0 && !force)
    throw new CommandFailure(
      `the queue ${backlog.path} holds ${backlog.stats.records} record(s) the centre has not acknowledged; ` +
        "deliver them (or 'basma-agent queue export' them) first, or pass --force to lose them",
    );
  if (backlog.state === "unreadable" && !force)
    throw new CommandFailure(
      `cannot tell what the queue holds (${backlog.error}); pass --force to wipe it anyway`,
    );

  if (values.yes !== true) {
    if (io.input === undefined)
      throw new CommandFailure("confirmation needed: pass --yes to wipe without asking");
    const prompter = new LinePrompter(io.input, io.err);
    const confirmed = await prompter.confirm(
      `Wipe the keys, certificates and queue of ${config.device.id}?`,
      false,
    );
    prompter.close();
    if (confirmed !== true) throw new CommandFailure("not confirmed; nothing was wiped");
  }

  const identity = identityFiles(paths);
  const queue = queueFiles(config);
  const targets = [
    identity.key,
    identity.csr,
    identity.cert,
    identity.ca,
    identity.commandKey,
    identity.bootstrap,
    ...(config.mqtt.tls === undefined ? [] : [config.mqtt.tls.key, config.mqtt.tls.cert]),
    queue.key,
    ...(await queueFamily(queue.queue)),
  ];
  const wiped: string[] = [];
  for (const path of new Set(targets)) if (await shredFile(path)) wiped.push(path);

  const lost = backlog.state === "open" ? backlog.stats.records : undefined;
  if (values.json === true)
    io.out(
      `${JSON.stringify({ deviceId: config.device.id, wiped, lostRecords: lost ?? null }, null, 2)}\n`,
    );
  else {
    io.out(`decommissioned ${config.device.id}: wiped ${wiped.length} file(s)\n`);
    for (const path of wiped) io.out(`  ${path}\n`);
    if (lost !== undefined && lost > 0)
      io.out(`${lost} unacknowledged record(s) were lost (--force)\n`);
  }
  return EXIT.ok;
}
