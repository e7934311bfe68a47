import { access } from "node:fs/promises";
import { EXIT, UsageError } from "../../agent/cli-support/cli.js";
import { InvalidFileError, readJsonFile } from "../../agent/cli-support/json-file.js";
import type { AgentConfigInput } from "../../agent/config/schema.js";
import { ensureDir } from "../atomic-file.js";
import { CommandFailure, type CommandIo } from "../../agent/cli-support/command-io.js";
import { parseProvisionOptions } from "../command-options.js";
import { writeConfigFile } from "../config-file.js";
import { serviceOwner } from "../file-owner.js";
import { PATH_OPTIONS_HELP, resolvePaths } from "../paths.js";
import {
  answersFrom,
  DEFAULT_ANSWERS,
  draftConfig,
  type ConfigAnswers,
} from "./config-questions.js";
import { LinePrompter } from "./line-prompter.js";
import { runWizard } from "./wizard.js";

export const INIT_HELP = `Usage: basma-provision init [options]

Writes the agent configuration. On a terminal it asks for each setting (Enter keeps the
default in brackets) and checks every answer as it is given; otherwise, or with
--from, it takes the settings from the options and the file. Either way the result is
validated with the agent's own schema and written atomically (mode 0640, owned by the
service user). The queue goes in the state folder.

  --from FILE           a configuration (JSON, possibly partial) to start from
  --device-id ID        device.id (required, unless in --from)
  --site NAME           device.site
  --lane NAME           device.lane
  --direction D         entry or exit
  --broker URL          mqtt.url (enrolment replaces it with the centre's TLS broker)
  --topic-prefix P      mqtt.topicPrefix
  --sensor PATH         the first sensor's serial port or tcp://host:port
  --sensor-model M      r305, r307, r503, as608, zfm20
  --gpio BACKEND        none, simulated or sysfs
  --interactive         ask even when the input is not a terminal (answers piped in)
  --force               replace an existing configuration
  --user NAME           service user to own the files (default basma, when run as root)
  --json                print the written configuration as JSON
${PATH_OPTIONS_HELP}
Exit status: 0 written, 1 failure, 2 bad arguments, 78 invalid settings.
`;

const FLAG_ANSWERS: Record<string, keyof ConfigAnswers> = {
  "device-id": "deviceId",
  site: "site",
  lane: "lane",
  direction: "direction",
  broker: "brokerUrl",
  "topic-prefix": "topicPrefix",
  sensor: "sensorPath",
  "sensor-model": "sensorModel",
  gpio: "gpioBackend",
};

async function readBase(path: string | undefined): Promise<AgentConfigInput | undefined> {
  if (path === undefined) return undefined;
  try {
    const json = await readJsonFile(path, "configuration");
    if (typeof json !== "object" || json === null || Array.isArray(json))
      throw new CommandFailure(`${path}: expected a JSON object`, EXIT.config);
    return json;
  } catch (error) {
    if (error instanceof InvalidFileError) throw new CommandFailure(error.message, EXIT.config);
    throw error;
  }
}

export async function runInitCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const values = parseProvisionOptions(
    args,
    {
      from: { type: "string" },
      ...Object.fromEntries(Object.keys(FLAG_ANSWERS).map((flag) => [flag, { type: "string" }])),
      interactive: { type: "boolean" },
      force: { type: "boolean" },
      user: { type: "string" },
    } as const,
    { help: INIT_HELP, io },
  );
  if (values === undefined) return EXIT.ok;
  const paths = resolvePaths(values);
  if (values.force !== true && (await exists(paths.config)))
    throw new CommandFailure(
      `${paths.config} already exists; pass --force to replace it`,
      EXIT.usage,
    );
  const base = await readBase(values.from);
  const flagged: Partial<ConfigAnswers> = {};
  for (const [flag, key] of Object.entries(FLAG_ANSWERS)) {
    const value = (values as Record<string, unknown>)[flag];
    if (typeof value === "string") flagged[key] = value;
  }
  const defaults: ConfigAnswers = {
    ...DEFAULT_ANSWERS,
    ...(base === undefined ? {} : answersFrom(base)),
    ...flagged,
  };

  const interactive =
    values.interactive === true ||
    (values.from === undefined && (io.input as { isTTY?: boolean } | undefined)?.isTTY === true);
  let answers = defaults;
  if (interactive) {
    if (io.input === undefined) throw new UsageError("--interactive needs an input to read");
    const prompter = new LinePrompter(io.input, io.err);
    try {
      answers = await runWizard({
        prompter,
        write: io.err,
        defaults,
        stateDir: paths.stateDir,
        base,
      });
    } finally {
      prompter.close();
    }
  }

  const owner = serviceOwner(values.user, io.err);
  await ensureDir(paths.stateDir, 0o750, owner);
  await ensureDir(paths.pkiDir, 0o750, owner);
  const input = draftConfig(answers, paths.stateDir, base);
  const config = await writeConfigFile(paths.config, input, owner);
  if (values.json === true) io.out(`${JSON.stringify({ path: paths.config, config }, null, 2)}\n`);
  else
    io.out(
      `wrote ${paths.config} for ${config.device.id} (${config.device.site}, lane ${config.device.lane})\nnext: basma-provision enrol --bootstrap <claim file from the centre>\n`,
    );
  return EXIT.ok;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
