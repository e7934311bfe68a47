import { z } from "zod";
import { commandsConfigSchema } from "../commands/commands-config.js";
import { remoteConfigSchema } from "../remote-config/remote-config-schema.js";
import {
  BUILT_IN_PLANS,
  FINGER_POSITION_CODES,
  type FingerPosition,
} from "../capture/finger-position.js";

/**
 * The agent's whole configuration. Every object is strict (an unknown key is an
 * error, so a misspelt option never silently falls back to its default), and the
 * defaults alone give a working local stack against `basma-sim stack`.
 */

const nonEmpty = z.string().trim().min(1, "expected a non-empty string");
const filePath = nonEmpty.describe("file path");

/** R30x modules run at 9600 x N baud. */
export const R30X_BAUD_RATES = [
  9600, 19_200, 28_800, 38_400, 48_000, 57_600, 67_200, 76_800, 86_400, 96_000, 105_600, 115_200,
] as const;

const deviceSchema = z.strictObject({
  id: nonEmpty
    .regex(
      /^[A-Za-z0-9._-]{1,64}$/,
      "expected 1-64 letters, digits, '.', '_' or '-' (it becomes part of MQTT topics)",
    )
    .default("sim-terminal-01"),
  site: nonEmpty.default("lab"),
  lane: nonEmpty.default("1"),
  direction: z.enum(["entry", "exit"]).default("entry"),
});

export const r30xSensorSchema = z.strictObject({
  id: nonEmpty,
  kind: z.literal("r30x"),
  /** A serial device (prefer /dev/serial/by-id/...) or tcp://host:port for a serial-over-TCP bridge. */
  path: nonEmpty,
  baud: z.literal(R30X_BAUD_RATES).default(57_600),
  model: z.enum(["r305", "r307", "r503", "as608", "zfm20"]).default("r307"),
  /** Module address; FFFFFFFF unless SetAddr changed it. */
  address: z.int().min(0).max(0xff_ff_ff_ff).default(0xff_ff_ff_ff),
  password: z.int().min(0).max(0xff_ff_ff_ff).default(0),
  /**
   * After opening, raise baud rate and packet size to the fastest the module and the
   * cable carry reliably (verified, with fallback). Off by default: the module keeps
   * the new rate in flash, so a terminal should opt in deliberately.
   */
  tuneLink: z.boolean().default(false),
});

const usbId = z.int().min(0).max(0xff_ff);
const usbSensorSchema = z.strictObject({
  id: nonEmpty,
  kind: z.literal("usb"),
  match: z.strictObject({ vendorId: usbId, productId: usbId, serialNumber: nonEmpty.optional() }),
  model: z.enum(["uru4000", "uru4000b", "uru4500"]),
});

const sensorSchema = z.discriminatedUnion("kind", [r30xSensorSchema, usbSensorSchema]);

const gpioLineSchema = z.strictObject({
  line: z.int().min(0).max(1023),
  activeLow: z.boolean().default(false),
});

/** An input line; `debounceMs` is how long it must stay put before a change counts. */
function gpioInputLineSchema(defaultDebounceMs: number) {
  return z.strictObject({
    ...gpioLineSchema.shape,
    debounceMs: z.int().min(0).max(10_000).default(defaultDebounceMs),
  });
}

const gpioPinsSchema = z
  .strictObject({
    gateRelay: gpioLineSchema.optional(),
    doorLock: gpioLineSchema.optional(),
    ledGreen: gpioLineSchema.optional(),
    ledRed: gpioLineSchema.optional(),
    ledAmber: gpioLineSchema.optional(),
    buzzer: gpioLineSchema.optional(),
    /** Someone stepped up (mat, beam): starts a session. Footsteps bounce more than switches. */
    presence: gpioInputLineSchema(250).optional(),
    /** The enclosure was opened: raises an alarm and holds the gate closed. */
    tamper: gpioInputLineSchema(50).optional(),
  })
  // Two roles on one line would let a blinking lamp pulse the gate relay.
  .superRefine((pins, context) => {
    const holders = new Map<number, string>();
    for (const [role, pin] of Object.entries(pins)) {
      if (pin === undefined) continue;
      const holder = holders.get(pin.line);
      if (holder === undefined) holders.set(pin.line, role);
      else
        context.addIssue({
          code: "custom",
          path: [role, "line"],
          message: `expected a line of its own: GPIO ${pin.line} is already ${holder}`,
        });
    }
  });

const gpioSchema = z.strictObject({
  /**
   * "none" runs without gate hardware (desk enrolment): outputs go nowhere, inputs never
   * change. "simulated" keeps the lines in memory for the hardware simulator to drive.
   */
  backend: z.enum(["none", "simulated", "sysfs"]).default("none"),
  pins: gpioPinsSchema.default({}),
});

const fingerPositionCode = z
  .int()
  .refine(
    (code): code is FingerPosition => FINGER_POSITION_CODES.includes(code as FingerPosition),
    { message: `expected an ISO finger position code (${FINGER_POSITION_CODES.join(", ")})` },
  );

const qualityThreshold = z.number().min(0).max(100);
const attemptBudget = z.int().min(1).max(10);

const planSchema = z.union([
  z.enum(
    Object.keys(BUILT_IN_PLANS) as [
      keyof typeof BUILT_IN_PLANS,
      ...(keyof typeof BUILT_IN_PLANS)[],
    ],
  ),
  z.strictObject({
    name: nonEmpty,
    fingers: z.array(fingerPositionCode).min(1, "expected at least one finger"),
    /** This plan's own threshold and budget; the capture section's apply when absent. */
    qualityThreshold: qualityThreshold.optional(),
    attemptsPerFinger: attemptBudget.optional(),
  }),
]);

/** One finger's own threshold and budget, over the plan's (a slap may need more tries). */
const fingerPolicySchema = z.strictObject({
  qualityThreshold: qualityThreshold.optional(),
  attempts: attemptBudget.optional(),
});

/** A finger the terminal never asks for (a lane for travellers with a known exception). */
const declaredFingerSchema = z.strictObject({
  position: fingerPositionCode,
  reason: z.enum(["missing", "bandaged"]),
});

const captureSchema = z.strictObject({
  plan: planSchema.default("kiosk-two-index"),
  /** Minimum quality score (0-100) that accepts an attempt without retrying. */
  qualityThreshold: qualityThreshold.default(40),
  attemptsPerFinger: attemptBudget.default(3),
  /** Attempts over the whole session, every finger together; unbounded when absent. */
  attemptsPerSession: z.int().min(1).max(100).optional(),
  /** Per finger position ("2", "13", ...): overrides of the plan's threshold and budget. */
  fingers: z
    .record(
      z.string().regex(/^(?:[1-9]|10|13|14|15)$/, "expected an ISO finger position code"),
      fingerPolicySchema,
    )
    .default({}),
  /** Fingers recorded as missing or bandaged without being asked for. */
  declaredFingers: z.array(declaredFingerSchema).default([]),
  /**
   * Change the sensor's capture parameters (gain, exposure, illumination) between attempts
   * according to the condition seen, on sensors that have them.
   */
  adaptParameters: z.boolean().default(true),
  timeouts: z
    .strictObject({
      /** How long to wait for a finger to be placed before giving up on it. */
      placementMs: z.int().min(500).max(300_000).default(15_000),
      /** One image capture, command to pixels in memory. */
      captureMs: z.int().min(100).max(60_000).default(15_000),
      /** The whole traveller (the field budget is about 120 s). */
      sessionMs: z.int().min(1_000).max(900_000).default(120_000),
      /**
       * After guidance, how long the traveller has to lift the finger before the next
       * attempt is taken where it lies (they may simply press harder); 0 retakes at once.
       */
      retryLiftMs: z.int().min(0).max(30_000).default(2_000),
      /** Opening another sensor after one failed mid-session. */
      failoverOpenMs: z.int().min(100).max(60_000).default(5_000),
    })
    .prefault({}),
});

/** The local events API for a kiosk display; loopback only, as it carries no authentication. */
const displaySchema = z.strictObject({
  enabled: z.boolean().default(false),
  host: z.enum(["127.0.0.1", "::1", "localhost"]).default("127.0.0.1"),
  port: z.int().min(0).max(65_535).default(7480),
});

const queueSchema = z.strictObject({
  /** Relative paths are resolved from the working directory (systemd: /var/lib/basma). */
  path: filePath.default(".basma/queue.sqlite"),
  maxRecords: z.int().min(1).default(100_000),
  maxBytes: z
    .int()
    .min(1_048_576)
    .default(4 * 1024 ** 3),
  /** Free disk space the queue must always leave. */
  reserveFreeBytes: z
    .int()
    .min(0)
    .default(512 * 1024 ** 2),
  /** Share of maxRecords or maxBytes (or free disk under twice the reserve) that raises the health alarm. */
  warnAtFraction: z.number().gt(0).max(1).default(0.8),
  /** The device key file (0600, outside the database); by default `device-key` beside the queue file. */
  keyFile: filePath.optional(),
  /** Create the key file on first start when absent; field terminals provisioned with a key set false. */
  createKeyFile: z.boolean().default(true),
});

const mqttSchema = z.strictObject({
  url: z
    .url({
      protocol: /^(mqtts?|wss?)$/,
      error: "expected an mqtt://, mqtts://, ws:// or wss:// URL",
    })
    .default("mqtt://127.0.0.1:1883"),
  /** Defaults to "basma-<device.id>". */
  clientId: nonEmpty.max(128).optional(),
  topicPrefix: nonEmpty
    .regex(/^[^#+]+$/, "expected a topic prefix without '#' or '+'")
    .default("basma"),
  tls: z.strictObject({ ca: filePath, cert: filePath, key: filePath }).optional(),
  /**
   * 5 is MQTT 5, falling back to 3.1.1 when the broker refuses it (the embedded simulator
   * broker speaks only 3.1.1); 4 is MQTT 3.1.1 only.
   */
  protocolVersion: z.literal([4, 5]).default(5),
  keepaliveSeconds: z.int().min(1).max(3_600).default(30),
  /** Records published and not yet acknowledged by the centre, at most. */
  inFlightWindow: z.int().min(1).max(1_000).default(32),
  /** A record not acknowledged this long after publishing is sent again (the centre dedupes). */
  ackTimeoutSeconds: z.int().min(1).max(3_600).default(60),
  /** Average upstream byte rate for records on a thin link; unlimited when absent. */
  maxBytesPerSecond: z.int().min(1_024).optional(),
  /** Reconnect delays: full jitter under a ceiling doubling from initialMs up to maxMs. */
  reconnect: z
    .strictObject({
      initialMs: z.int().min(10).max(60_000).default(1_000),
      maxMs: z.int().min(100).max(3_600_000).default(120_000),
    })
    .refine((r) => r.maxMs >= r.initialMs, "expected maxMs >= initialMs")
    .prefault({}),
  /** The retained status is refreshed this often even when nothing changed. */
  statusIntervalSeconds: z.int().min(1).max(86_400).default(300),
  telemetryIntervalSeconds: z.int().min(1).max(86_400).default(60),
});

const loggingSchema = z.strictObject({
  level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
});

export const agentConfigSchema = z.strictObject({
  device: deviceSchema.prefault({}),
  sensors: z
    .array(sensorSchema)
    .min(1, "expected at least one sensor")
    .refine(
      (sensors) => new Set(sensors.map((s) => s.id)).size === sensors.length,
      "expected unique sensor ids",
    )
    // Parsed like a file's own list, so the default sensor gets every per-sensor default.
    .prefault([{ id: "sensor-1", kind: "r30x", path: "tcp://127.0.0.1:5300" }]),
  gpio: gpioSchema.prefault({}),
  capture: captureSchema.prefault({}),
  display: displaySchema.prefault({}),
  queue: queueSchema.prefault({}),
  mqtt: mqttSchema.prefault({}),
  logging: loggingSchema.prefault({}),
  commands: commandsConfigSchema.prefault({}),
  remoteConfig: remoteConfigSchema.prefault({}),
});

/** What a config file may contain (every key optional where it has a default). */
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
/** The configuration as the agent runs it, defaults filled in. */
export type AgentConfig = z.output<typeof agentConfigSchema>;
export type SensorConfig = AgentConfig["sensors"][number];
export type R30xSensorConfig = z.output<typeof r30xSensorSchema>;

/** One R30x sensor's settings with its defaults filled in (tests, benchmarks, tools). */
export function r30xSensorConfig(
  input: Omit<z.input<typeof r30xSensorSchema>, "kind">,
): R30xSensorConfig {
  return r30xSensorSchema.parse({ ...input, kind: "r30x" });
}
