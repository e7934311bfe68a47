import { resolve } from "node:path";
import { createSensor, type CreateGpioOptions } from "../drivers/index.js";
import { QueueRoom, runCaptureLoop } from "./capture/capture-loop.js";
import { SensorPool } from "./capture/sensor-pool.js";
import { SessionEvents, type TimedSessionEvent } from "./capture/session-events.js";
import { SessionTriggers } from "./capture/session-triggers.js";
import type { AgentConfig } from "./config/schema.js";
import { startDisplayServer, type DisplayServer } from "./display/display-server.js";
import { TerminalGate } from "./gate/terminal-gate.js";
import { GuidancePresenter } from "./guidance/guidance-presenter.js";
import type { Logger } from "./log/logger.js";
import { Outbox } from "./queue/outbox.js";
import { RecordSync } from "./sync/record-sync.js";
import { agentVersion } from "./version.js";

export interface RunningAgent {
  /** Settles when the capture loop has ended (after stop(), or on a fatal error). */
  readonly finished: Promise<void>;
  /** The gate's GPIO side (relay, lamps, presence, tamper). */
  readonly gate: TerminalGate;
  /** Every session event, as the display receives them. */
  readonly events: SessionEvents;
  /** Finishes the current write, says offline, closes the gate, the sensors and the queue. */
  stop(): Promise<void>;
}

export interface StartAgentOptions {
  /** For tests: the simulated GPIO instance to drive. */
  readonly gpio?: CreateGpioOptions | undefined;
}

/** Wires the layers: gate I/O, sensors, capture loop, display events, durable queue, sync. */
export function startAgent(
  config: AgentConfig,
  logger: Logger,
  options: StartAgentOptions = {},
): RunningAgent {
  const version = agentVersion();
  // First of all, so a relay left energised by a killed predecessor closes at once.
  const gate = new TerminalGate(config.gpio, {
    logger: logger.child({ component: "gate" }),
    gpio: options.gpio,
  });
  const queueLog = logger.child({ component: "queue" });
  const outbox = Outbox.open(resolve(config.queue.path), {
    keyFile: config.queue.keyFile === undefined ? undefined : resolve(config.queue.keyFile),
    createKeyFile: config.queue.createKeyFile,
    limits: {
      maxRecords: config.queue.maxRecords,
      maxBytes: config.queue.maxBytes,
      reserveFreeBytes: config.queue.reserveFreeBytes,
      warnAtFraction: config.queue.warnAtFraction,
    },
    onHealthChange: (health) => {
      const fields = { event: "queue-health", level: health.level, reasons: health.reasons };
      if (health.level === "ok") queueLog.info(fields, "record queue back within its limits");
      else queueLog.error(fields, `record queue ${health.level}: ${health.reasons.join("; ")}`);
    },
  });
  if (outbox.damaged !== undefined) {
    queueLog.error(
      { event: "queue-damaged", movedTo: outbox.damaged.movedTo, problem: outbox.damaged.problem },
      "queue file failed its start-up check; moved aside, capturing into a fresh queue (run 'basma-agent queue recover')",
    );
  }
  if (outbox.createdKeyFile)
    queueLog.warn({ event: "device-key-created" }, "created a new device key file");
  const stats = outbox.stats();
  logger.info(
    {
      version,
      device: config.device,
      queued: stats.records,
      lastSeq: stats.lastSeq,
      queueHealth: outbox.health().level,
    },
    "agent starting",
  );

  const queueRoom = new QueueRoom();
  const sync = new RecordSync({
    mqtt: config.mqtt,
    deviceId: config.device.id,
    outbox,
    logger,
    agentVersion: version,
    onAcknowledged: () => {
      queueRoom.notify();
    },
  });
  sync.start();

  const sensors = new SensorPool(
    config.sensors.map((sensorConfig) =>
      createSensor(sensorConfig, {
        logger: logger.child({ component: "driver", sensorId: sensorConfig.id }),
      }),
    ),
  );
  const events = new SessionEvents((error) => {
    logger.warn({ err: error }, "a session event listener failed");
  });
  let lastPrompt: TimedSessionEvent | undefined;
  events.on((event) => {
    if (event.type === "prompt-shown") lastPrompt = event;
  });
  const presenter = new GuidancePresenter({
    events,
    gate: gate.signaller,
    logger: logger.child({ component: "guidance" }),
  });
  const triggers = new SessionTriggers({ presence: gate.presence, tamper: gate.tamper, presenter });
  gate.start();

  let display: Promise<DisplayServer | undefined> = Promise.resolve(undefined);
  if (config.display.enabled) {
    display = startDisplayServer({
      ...config.display,
      events,
      current: () => lastPrompt,
      logger: logger.child({ component: "display" }),
    }).catch((error: unknown) => {
      // The terminal captures without its screen; operations see why in the log.
      logger.error({ err: error }, "display events not available");
      return undefined;
    });
  }

  const controller = new AbortController();
  const finished = runCaptureLoop({
    sensors,
    config,
    outbox,
    queueRoom,
    logger,
    signal: controller.signal,
    presenter,
    events,
    triggers,
    onQueued: () => {
      sync.pump();
    },
    onFault: (error) => {
      gate.relay.fault(error);
    },
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      gate.relay.closeGate("agent stopping");
      controller.abort();
      await finished.catch((error: unknown) => {
        logger.error({ err: error }, "capture loop ended with an error");
      });
      triggers.close();
      gate.close();
      await (await display)?.close();
      await sync.stop();
      outbox.close();
      logger.info("agent stopped");
    })();
    return stopping;
  };
  return { finished, gate, events, stop };
}
