import { EXIT, parseIntegerOption, UsageError } from "../../agent/cli-support/cli.js";
import type { CommandIo } from "../../agent/cli-support/command-io.js";
import { parseProvisionOptions } from "../command-options.js";
import { readConfigFile } from "../config-file.js";
import { LinePrompter } from "../init/line-prompter.js";
import { PATH_OPTIONS_HELP, resolvePaths } from "../paths.js";
import { CHECK_NAMES, formatReport, type CheckName, type CheckResult } from "./check-result.js";
import { checkOutputs, checkSensor, type Operator } from "./hardware-checks.js";
import { checkBroker, checkClock, checkDisk, checkQueue } from "./system-checks.js";

export const SELFTEST_HELP = `Usage: basma-provision selftest [--yes] [--json] [options]

Checks the terminal before the engineer leaves the site, one line per check:
  sensors   each configured sensor opens, takes a finger and reaches the quality threshold
  outputs   each lamp, the buzzer, the door lock and the gate relay pulse once
            (asks before pulsing the relay, and whether each was seen or heard)
  broker    the broker accepts the device's own certificate (mqtt.url, mqtt.tls)
  clock     NTP synchronised (timedatectl), or at least within the certificate's validity
  disk      free space where the queue lives, at least twice queue.reserveFreeBytes
  queue     the queue opens, is within its limits and its chain verifies
Stop the agent first: it holds the sensors and the gate lines.

  -y, --yes             do not ask: pulse the relay, and take every output as seen
      --skip CHECK      leave a check out (repeatable): ${CHECK_NAMES.join(", ")}
      --finger-timeout S  seconds to wait for a finger on each sensor (default 30)
      --open-timeout S  seconds to wait for a sensor or the broker (default 10)
      --json            the results as JSON
${PATH_OPTIONS_HELP}
Exit status: 0 every check passed (or was skipped), 1 any failed, 2 bad arguments,
78 invalid configuration.
`;

function operatorFor(io: CommandIo, assumeYes: boolean): { operator: Operator; close: () => void } {
  const prompter =
    assumeYes || io.input === undefined ? undefined : new LinePrompter(io.input, io.err);
  return {
    operator: {
      instruct: (text) => io.err(text),
      confirm: async (question) => {
        if (assumeYes) return true;
        if (prompter === undefined) return false;
        return (await prompter.confirm(question, true)) === true;
      },
    },
    close: () => prompter?.close(),
  };
}

export async function runSelftestCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const values = parseProvisionOptions(
    args,
    {
      yes: { type: "boolean", short: "y" },
      skip: { type: "string", multiple: true },
      "finger-timeout": { type: "string" },
      "open-timeout": { type: "string" },
    },
    { help: SELFTEST_HELP, io },
  );
  if (values === undefined) return EXIT.ok;
  const skipped = new Set<CheckName>();
  for (const name of values.skip ?? []) {
    if (!(CHECK_NAMES as readonly string[]).includes(name))
      throw new UsageError(`--skip expects one of ${CHECK_NAMES.join(", ")}, got "${name}"`);
    skipped.add(name as CheckName);
  }
  const fingerMs =
    (parseIntegerOption("finger-timeout", values["finger-timeout"], { min: 1, max: 600 }) ?? 30) *
    1000;
  const openMs =
    (parseIntegerOption("open-timeout", values["open-timeout"], { min: 1, max: 120 }) ?? 10) * 1000;
  const paths = resolvePaths(values);
  const { config } = await readConfigFile(paths.config);
  const { operator, close } = operatorFor(io, values.yes === true);

  const results: CheckResult[] = [];
  try {
    if (skipped.has("sensors")) results.push(skipResult("sensors"));
    else
      for (const sensor of config.sensors)
        results.push(await checkSensor(config, sensor, operator, { openMs, fingerMs }));
    if (skipped.has("outputs")) results.push(skipResult("outputs"));
    else results.push(...(await checkOutputs(config, operator, { pulseMs: 400 })));
  } finally {
    close();
  }
  results.push(skipped.has("broker") ? skipResult("broker") : await checkBroker(config, openMs));
  results.push(skipped.has("clock") ? skipResult("clock") : await checkClock(config));
  results.push(skipped.has("disk") ? skipResult("disk") : await checkDisk(config, paths.stateDir));
  results.push(skipped.has("queue") ? skipResult("queue") : checkQueue(config));

  const passed = results.every((result) => result.status !== "fail");
  if (values.json === true)
    io.out(`${JSON.stringify({ deviceId: config.device.id, passed, results }, null, 2)}\n`);
  else io.out(formatReport(results));
  return passed ? EXIT.ok : EXIT.failure;
}

function skipResult(check: CheckName): CheckResult {
  return { check, subject: check, status: "skip", detail: "--skip" };
}
