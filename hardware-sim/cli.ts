#!/usr/bin/env node
import { join } from "node:path";
import {
  EXIT,
  interruptSignal,
  parseCommandLine,
  parseIntegerOption,
  runCli,
  untilAborted,
  UsageError,
} from "../agent/cli-support/cli.js";
import { createLogger } from "../agent/log/logger.js";
import { startEmbeddedBroker } from "./broker/embedded-broker.js";
import { CentralStore } from "./central/central-store.js";
import { ReferenceCentral } from "./central/reference-central.js";
import { startSimulatedSensor } from "./simulated-sensor.js";
import { runStack } from "./stack/stack.js";
import { DEFAULT_TRAVELLER_TIMING, runTravellers } from "./travellers.js";

const DEFAULT_BROKER_PORT = 1883;
const DEFAULT_SENSOR_PORT = 5300;

const HELP = `Usage: basma-sim <command> [options]

Simulated hardware and a reference centre, for developing Basma without devices.

Commands:
  stack     the whole local stack: embedded MQTT broker, reference centre, simulated
            R30x sensor with travellers, and the agent (unless --no-agent)
  sensor    only the simulated R30x sensor, on TCP, with travellers
  serial    a simulated R30x module on a pseudo-terminal (socat), with line timing and faults
  prints    write realistic synthetic fingerprint images (PNG) and a manifest
  calibrate-quality
            fit the image-quality model on a labelled synthetic set
  central   only the reference centre, against a running broker
  broker    only the embedded MQTT broker

Run 'basma-sim <command> --help' for a command's options.
Exit status: 0 done, 1 failure, 2 bad arguments, 130 interrupted.
`;

const STACK_HELP = `Usage: basma-sim stack [options]

  --travellers N      stop once N records are acknowledged, print a summary, exit 0
  --no-agent          do not start the agent (run 'npm run agent' yourself)
  --broker-port P     embedded broker port (default ${DEFAULT_BROKER_PORT}; 0 = any free)
  --sensor-port P     simulated sensor TCP port (default ${DEFAULT_SENSOR_PORT}; 0 = any free)
  --data-dir DIR      agent queue, centre store and agent config (default .basma/stack)
  --dwell-ms MS       how long each finger rests on the sensor (default ${DEFAULT_TRAVELLER_TIMING.dwellMs})
  --json              one JSON object per line instead of text
  -h, --help          show this help
`;

const SENSOR_HELP = `Usage: basma-sim sensor [options]

  --port P            TCP port (default ${DEFAULT_SENSOR_PORT}; 0 = any free); the agent's sensor path is tcp://127.0.0.1:P
  --model M           r305, r307, r503, as608 or zfm20 (default r307)
  --dwell-ms MS       how long each finger rests on the sensor (default ${DEFAULT_TRAVELLER_TIMING.dwellMs})
  -h, --help          show this help
`;

const CENTRAL_HELP = `Usage: basma-sim central [options]

The centre's side of the MQTT contract: verifies each record's signature and chain,
stores it, then acknowledges its id to the terminal.

  --broker URL        broker to subscribe on (default mqtt://127.0.0.1:${DEFAULT_BROKER_PORT})
  --store FILE        where received records are stored (default .basma/central.sqlite)
  --topic-prefix P    MQTT topic prefix (default basma)
  --ca FILE --cert FILE --key FILE
                      mutual TLS for an mqtts:// broker: the CA and the centre's own
                      client certificate and key (PEM)
  --ack-delay-ms MS   hold every acknowledgement this long (a slow centre)
  --ack-copies N      send every acknowledgement N times (duplicate deliveries)
  -h, --help          show this help
`;

const BROKER_HELP = `Usage: basma-sim broker [--port P]

  --port P            port on 127.0.0.1 (default ${DEFAULT_BROKER_PORT}; 0 = any free)
  -h, --help          show this help
`;

const port = (name: string, value: string | undefined, fallback: number): number =>
  parseIntegerOption(name, value, { min: 0, max: 65_535 }) ?? fallback;

async function stackCommand(args: string[]): Promise<number> {
  const { values } = parseCommandLine(args, {
    travellers: { type: "string" },
    "no-agent": { type: "boolean" },
    "broker-port": { type: "string" },
    "sensor-port": { type: "string" },
    "data-dir": { type: "string" },
    "dwell-ms": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) return help(STACK_HELP);
  const travellers = parseIntegerOption("travellers", values.travellers, {
    min: 1,
    max: 1_000_000,
  });
  const withAgent = values["no-agent"] !== true;
  if (!withAgent && travellers !== undefined)
    throw new UsageError(
      "--travellers counts acknowledgements, which needs the agent: drop --no-agent",
    );
  const dwellMs =
    parseIntegerOption("dwell-ms", values["dwell-ms"], { min: 100, max: 60_000 }) ??
    DEFAULT_TRAVELLER_TIMING.dwellMs;
  const brokerPort = port("broker-port", values["broker-port"], DEFAULT_BROKER_PORT);
  const sensorPort = port("sensor-port", values["sensor-port"], DEFAULT_SENSOR_PORT);
  const json = values.json === true;

  const summary = await runStack({
    ...(travellers !== undefined && { travellers }),
    withAgent,
    brokerPort,
    sensorPort,
    // With our own agent we write its config, so any free port will do.
    portFallback: withAgent,
    dataDir: values["data-dir"] ?? join(".basma", "stack"),
    json,
    timing: { ...DEFAULT_TRAVELLER_TIMING, dwellMs },
    signal: interruptSignal(),
  });
  if (json) {
    process.stdout.write(`${JSON.stringify({ event: "summary", ...summary })}\n`);
  } else if (withAgent) {
    const latency =
      summary.meanCaptureToAckMs === null
        ? ""
        : ` (capture to acknowledgement: mean ${summary.meanCaptureToAckMs} ms)`;
    process.stdout.write(
      `\n${summary.recordsAcknowledged} record${summary.recordsAcknowledged === 1 ? "" : "s"} acknowledged in ${(summary.elapsedMs / 1000).toFixed(1)} s${latency}; ` +
        `the centre holds ${summary.centralStored}, the device queue holds ${summary.queueRemaining ?? "?"}\n`,
    );
  }
  if (summary.agentExit !== null) {
    process.stderr.write(
      `basma-sim: the agent exited unexpectedly (${String(summary.agentExit)})\n`,
    );
    return EXIT.failure;
  }
  return travellers !== undefined && summary.recordsAcknowledged < travellers
    ? EXIT.interrupted
    : EXIT.ok;
}

async function sensorCommand(args: string[]): Promise<number> {
  const { values } = parseCommandLine(args, {
    port: { type: "string" },
    model: { type: "string" },
    "dwell-ms": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) return help(SENSOR_HELP);
  const model = values.model ?? "r307";
  if (!["r305", "r307", "r503", "as608", "zfm20"].includes(model))
    throw new UsageError(`--model expects r305, r307, r503, as608 or zfm20, got "${model}"`);
  const dwellMs =
    parseIntegerOption("dwell-ms", values["dwell-ms"], { min: 100, max: 60_000 }) ??
    DEFAULT_TRAVELLER_TIMING.dwellMs;
  const signal = interruptSignal();
  const sensor = await startSimulatedSensor({
    port: port("port", values.port, DEFAULT_SENSOR_PORT),
    model: model as "r307",
  });
  process.stdout.write(`simulated ${sensor.model} sensor at ${sensor.url}; Ctrl-C stops\n`);
  await runTravellers(sensor.platen, {
    fingers: [2, 7],
    timing: { ...DEFAULT_TRAVELLER_TIMING, dwellMs },
    signal,
  });
  await sensor.close();
  return EXIT.ok;
}

async function centralCommand(args: string[]): Promise<number> {
  const { values } = parseCommandLine(args, {
    broker: { type: "string" },
    store: { type: "string" },
    "topic-prefix": { type: "string" },
    ca: { type: "string" },
    cert: { type: "string" },
    key: { type: "string" },
    "ack-delay-ms": { type: "string" },
    "ack-copies": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) return help(CENTRAL_HELP);
  const brokerUrl = values.broker ?? `mqtt://127.0.0.1:${DEFAULT_BROKER_PORT}`;
  if (!/^(mqtts?|wss?):\/\//.test(brokerUrl))
    throw new UsageError(`--broker expects an mqtt:// or mqtts:// URL, got "${brokerUrl}"`);
  const { ca, cert, key } = values;
  const tlsGiven = [ca, cert, key].filter((v) => v !== undefined).length;
  if (tlsGiven !== 0 && tlsGiven !== 3)
    throw new UsageError("--ca, --cert and --key go together (mutual TLS)");
  const tls =
    ca !== undefined && cert !== undefined && key !== undefined ? { ca, cert, key } : undefined;
  const behaviour = {
    ackDelayMs:
      parseIntegerOption("ack-delay-ms", values["ack-delay-ms"], { min: 0, max: 3_600_000 }) ?? 0,
    ackCopies: parseIntegerOption("ack-copies", values["ack-copies"], { min: 1, max: 100 }) ?? 1,
  };
  const signal = interruptSignal();
  const store = new CentralStore(values.store ?? join(".basma", "central.sqlite"));
  const logger = createLogger({ name: "basma-central", level: "info" });
  const central = new ReferenceCentral({
    brokerUrl,
    topicPrefix: values["topic-prefix"] ?? "basma",
    store,
    logger,
    tls,
    behaviour,
  });
  central.on("stored", (stored) => {
    logger.info({ event: "record-stored", ...stored }, "record stored and acknowledged");
  });
  await central.start();
  logger.info({ broker: brokerUrl, ...behaviour }, "reference centre listening");
  await untilAborted(signal);
  await central.stop();
  store.close();
  return EXIT.ok;
}

async function brokerCommand(args: string[]): Promise<number> {
  const { values } = parseCommandLine(args, {
    port: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) return help(BROKER_HELP);
  const signal = interruptSignal();
  const broker = await startEmbeddedBroker(port("port", values.port, DEFAULT_BROKER_PORT));
  process.stdout.write(`MQTT broker at ${broker.url}; Ctrl-C stops\n`);
  await untilAborted(signal);
  await broker.close();
  return EXIT.ok;
}

function help(text: string): number {
  process.stdout.write(text);
  return EXIT.ok;
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  stack: stackCommand,
  sensor: sensorCommand,
  central: centralCommand,
  broker: brokerCommand,
  serial: async (args) => (await import("./serial-command.js")).serialCommand(args),
  prints: async (args) => (await import("./prints-command.js")).printsCommand(args),
  "calibrate-quality": async (args) =>
    (await import("./quality-calibration/calibrate-command.js")).calibrateQualityCommand(args),
};

await runCli("basma-sim", async () => {
  const [command, ...rest] = process.argv.slice(2);
  if (command === undefined || command === "--help" || command === "-h" || command === "help")
    return help(HELP);
  const run = COMMANDS[command];
  if (run === undefined) throw new UsageError(`unknown command "${command}"`);
  return run(rest);
});
