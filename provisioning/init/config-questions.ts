import { join } from "node:path";
import { describeZodIssues } from "../../agent/cli-support/json-file.js";
import { agentConfigSchema, type AgentConfigInput } from "../../agent/config/schema.js";

/** What init asks for; everything else keeps the schema's defaults. */
export interface ConfigAnswers {
  deviceId: string;
  site: string;
  lane: string;
  direction: string;
  brokerUrl: string;
  topicPrefix: string;
  sensorPath: string;
  sensorModel: string;
  gpioBackend: string;
}

export interface Question {
  readonly key: keyof ConfigAnswers;
  readonly prompt: string;
  /** The configuration key the answer becomes, for validation against the schema. */
  readonly configPath: string;
  readonly choices?: readonly string[];
}

export const QUESTIONS: readonly Question[] = [
  { key: "deviceId", prompt: "Device id (part of MQTT topics)", configPath: "device.id" },
  { key: "site", prompt: "Site", configPath: "device.site" },
  { key: "lane", prompt: "Lane", configPath: "device.lane" },
  {
    key: "direction",
    prompt: "Direction",
    configPath: "device.direction",
    choices: ["entry", "exit"],
  },
  { key: "brokerUrl", prompt: "Broker URL", configPath: "mqtt.url" },
  { key: "topicPrefix", prompt: "Topic prefix", configPath: "mqtt.topicPrefix" },
  {
    key: "sensorPath",
    prompt: "Sensor serial port (/dev/serial/by-id/... or tcp://host:port)",
    configPath: "sensors[0].path",
  },
  {
    key: "sensorModel",
    prompt: "Sensor model",
    configPath: "sensors[0].model",
    choices: ["r305", "r307", "r503", "as608", "zfm20"],
  },
  {
    key: "gpioBackend",
    prompt: "Gate I/O",
    configPath: "gpio.backend",
    choices: ["none", "simulated", "sysfs"],
  },
];

export const DEFAULT_ANSWERS: ConfigAnswers = {
  deviceId: "",
  site: "",
  lane: "1",
  direction: "entry",
  brokerUrl: "mqtts://basma-central.invalid:8883",
  topicPrefix: "basma",
  sensorPath: "/dev/ttyUSB0",
  sensorModel: "r307",
  gpioBackend: "sysfs",
};

/**
 * The configuration file init writes: the answers over `base` (a --from file), with the
 * queue in the state folder. Absolute paths, as the service's working folder may differ.
 */
export function draftConfig(
  answers: ConfigAnswers,
  stateDir: string,
  base: AgentConfigInput = {},
): AgentConfigInput {
  const [firstSensor, ...otherSensors] = base.sensors ?? [];
  const sensor =
    firstSensor === undefined || firstSensor.kind === "r30x"
      ? {
          ...firstSensor,
          id: firstSensor?.id ?? "sensor-1",
          kind: "r30x" as const,
          path: answers.sensorPath,
          model: answers.sensorModel as "r307",
        }
      : firstSensor;
  return {
    ...base,
    device: {
      ...base.device,
      id: answers.deviceId,
      site: answers.site,
      lane: answers.lane,
      direction: answers.direction as "entry",
    },
    sensors: [sensor, ...otherSensors],
    gpio: { ...base.gpio, backend: answers.gpioBackend as "none" },
    queue: {
      ...base.queue,
      path: base.queue?.path ?? join(stateDir, "queue.sqlite"),
      keyFile: base.queue?.keyFile ?? join(stateDir, "device-key"),
    },
    mqtt: { ...base.mqtt, url: answers.brokerUrl, topicPrefix: answers.topicPrefix },
    commands: {
      ...base.commands,
      replayStore: base.commands?.replayStore ?? join(stateDir, "commands.sqlite"),
    },
  };
}

/** The schema's complaints about one configuration key of `input`, one line each. */
export function problemsAt(input: AgentConfigInput, configPath: string): string[] {
  const result = agentConfigSchema.safeParse(input);
  if (result.success) return [];
  return describeZodIssues(result.error.issues)
    .filter((line) => line.startsWith(`${configPath}:`))
    .map((line) => line.slice(configPath.length + 1).trim());
}

/** Checks one answer in the context of the others, with the agent's own schema. */
export function checkAnswer(
  answers: ConfigAnswers,
  question: Question,
  stateDir: string,
  base?: AgentConfigInput,
): string[] {
  if (answers[question.key].trim() === "") return ["an answer is needed"];
  return problemsAt(draftConfig(answers, stateDir, base), question.configPath);
}

/** Defaults for the answers from a --from file, so the wizard proposes what it holds. */
export function answersFrom(base: AgentConfigInput): Partial<ConfigAnswers> {
  const sensor = base.sensors?.[0];
  const entries: [keyof ConfigAnswers, unknown][] = [
    ["deviceId", base.device?.id],
    ["site", base.device?.site],
    ["lane", base.device?.lane],
    ["direction", base.device?.direction],
    ["brokerUrl", base.mqtt?.url],
    ["topicPrefix", base.mqtt?.topicPrefix],
    ["sensorPath", sensor?.kind === "r30x" ? sensor.path : undefined],
    ["sensorModel", sensor?.kind === "r30x" ? sensor.model : undefined],
    ["gpioBackend", base.gpio?.backend],
  ];
  return Object.fromEntries(entries.filter(([, value]) => typeof value === "string"));
}
