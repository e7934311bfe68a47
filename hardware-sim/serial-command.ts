import {
  EXIT,
  interruptSignal,
  parseCommandLine,
  parseIntegerOption,
  untilAborted,
  UsageError,
} from "../agent/cli-support/cli.js";
import { BAUD_UNIT } from "../drivers/r30x/system-parameters.js";
import type { R30xModel } from "../drivers/r30x/models.js";
import { loadScenario, ScenarioError, type Scenario } from "./r30x/fault-scenario.js";
import { SIMULATED_MODELS } from "./r30x/module-profiles.js";
import { socatInstalled } from "./r30x/pty-bridge.js";
import { startSerialSimulator, type SerialSimulatorEvent } from "./r30x/serial-simulator.js";
import { platenOf } from "./simulated-sensor.js";
import { DEFAULT_TRAVELLER_TIMING, runTravellers } from "./travellers.js";

const MODELS = Object.keys(SIMULATED_MODELS) as R30xModel[];

const SERIAL_HELP = `Usage: basma-sim serial --link PATH [options]

A simulated R30x module on a pseudo-terminal: any serial client (the agent, minicom,
a vendor tool) opens PATH as it would a USB serial adapter. Needs socat.

  --link PATH         where the pseudo-terminal appears, e.g. /tmp/basma/ttyFP0 (required)
  --model M           ${MODELS.join(", ")} (default r307)
  --baud B            the module's line speed, 9600 x N (default 57600)
  --scenario FILE     JSON fault scenario: unplugs, damaged or missing replies, sensor errors
  --library FILE      keep the template library in this JSON file across restarts
  --no-line-timing    deliver bytes at once instead of at the baud rate
  --dwell-ms MS       how long each simulated finger rests on the sensor (default ${DEFAULT_TRAVELLER_TIMING.dwellMs})
  --no-travellers     no simulated travellers: the sensor stays empty
  -h, --help          show this help

Runs until Ctrl-C or SIGTERM.
`;

function parseModel(value: string | undefined): R30xModel {
  const model = value ?? "r307";
  if (!MODELS.includes(model as R30xModel))
    throw new UsageError(`--model expects ${MODELS.join(", ")}, got "${model}"`);
  return model as R30xModel;
}

function parseBaud(value: string | undefined, model: R30xModel): number | undefined {
  const baud = parseIntegerOption("baud", value, { min: BAUD_UNIT, max: 12 * BAUD_UNIT });
  if (baud === undefined) return undefined;
  const allowed = SIMULATED_MODELS[model].baudMultipliers;
  const multiplier = baud / BAUD_UNIT;
  if (!Number.isInteger(multiplier) || !allowed.includes(multiplier))
    throw new UsageError(
      `--baud expects one of ${allowed.map((n) => n * BAUD_UNIT).join(", ")} for the ${model}, got ${baud}`,
    );
  return multiplier;
}

function describeEvent(event: SerialSimulatorEvent): string {
  switch (event.kind) {
    case "unplugged":
      return `line unplugged for ${event.durationMs} ms`;
    case "replugged":
      return `line back at ${event.path}`;
    case "replug-failed":
      return `could not bring the line back: ${event.message}`;
  }
}

export async function serialCommand(args: string[]): Promise<number> {
  const { values } = parseCommandLine(args, {
    link: { type: "string" },
    model: { type: "string" },
    baud: { type: "string" },
    scenario: { type: "string" },
    library: { type: "string" },
    "no-line-timing": { type: "boolean" },
    "dwell-ms": { type: "string" },
    "no-travellers": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    process.stdout.write(SERIAL_HELP);
    return EXIT.ok;
  }
  const linkPath = values.link;
  if (linkPath === undefined || linkPath === "")
    throw new UsageError("--link is required, e.g. --link /tmp/basma/ttyFP0");
  const model = parseModel(values.model);
  const baudMultiplier = parseBaud(values.baud, model);
  const dwellMs =
    parseIntegerOption("dwell-ms", values["dwell-ms"], { min: 100, max: 60_000 }) ??
    DEFAULT_TRAVELLER_TIMING.dwellMs;
  const lineTiming = values["no-line-timing"] !== true;
  if (!socatInstalled()) {
    process.stderr.write(
      "basma-sim: socat is not installed; it provides the pseudo-terminal (apt-get install socat)\n",
    );
    return EXIT.failure;
  }
  let scenario: Scenario | undefined;
  if (values.scenario !== undefined) {
    try {
      scenario = await loadScenario(values.scenario);
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      process.stderr.write(`basma-sim: ${error.message}\n`);
      return EXIT.config;
    }
  }

  const signal = interruptSignal();
  const simulator = await startSerialSimulator({
    linkPath,
    lineTiming,
    module: {
      model,
      ...(baudMultiplier !== undefined && { baudMultiplier }),
      ...(scenario !== undefined && { scenario }),
      ...(values.library !== undefined && { libraryPath: values.library }),
    },
    onEvent: (event) => {
      process.stdout.write(`${describeEvent(event)}\n`);
    },
  });
  const { module } = simulator;
  process.stdout.write(
    `simulated ${model} module on ${linkPath} (${module.baud} baud, line timing ${lineTiming ? "on" : "off"}); Ctrl-C stops\n`,
  );
  if (values["no-travellers"] === true) {
    if (!signal.aborted) await untilAborted(signal);
  } else {
    await runTravellers(platenOf(module), {
      fingers: [2, 7],
      timing: { ...DEFAULT_TRAVELLER_TIMING, dwellMs },
      signal,
    });
  }
  await simulator.close();
  return EXIT.ok;
}
