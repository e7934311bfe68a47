import { dirname, resolve } from "node:path";
import { createSensor, type CreateGpioOptions } from "../drivers/index.js";
import { startCentreControl, type ConfigOrigin } from "./centre-control.js";
import type { RecentLog } from "./commands/recent-log.js";
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
import { freeDiskBytes } from "./queue/storage-limits.js";
import { CentreSync } from "./sync/centre-sync.js";
import type { LocalHealth } from "./sync/health-reporter.js";
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
  /** The terminal's health as the status topic reports it. */
  health(): LocalHealth;
}

export interface StartAgentOptions {
  /** For tests: the simulated GPIO instance to drive. */
  readonly gpio?: CreateGpioOptions | undefined;
  /** The configuration file this start loaded, for configuration pushed by the centre. */
  readonly origin?: ConfigOrigin | undefined;
  /** Schedules a restart into the configuration file as it is then (remote config, commands). */
  readonly requestRestart?: ((reason: string) => void) | undefined;
  /** The last log lines, for the diagnostics command. */
  readonly recentLog?: RecentLog | undefined;
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
  // The status topic learns of queue level changes once sync exists (below).
  let reportQueueHealth = (): void => undefined;
  const outbox = Outbox.open(resolve(config.queue.path), {
    keyFile: config.queue.keyFile === undefined ? undefined : resolve(config.queue.keyFile),
    createKeyFile: config.queue.createKeyFile,
    limits: {
      maxRecords: config.queue.maxRecords,
      maxBytes: config.queue.maxBytes,
      reserveFreeBytes: config.queue.reserveFreeBytes,
      warnAtFraction: config.queue.warnAtFraction,
    },
    onQuarantine: (record) => {
      queueLog.error(
        {
          event: "record-quarantined",
          seq: record.seq,
          recordId: record.id,
          reason: record.reason,
        },
        "a queued record was set aside: kept, not sent (run 'basma-agent queue stats')",
      );
    },
    onHealthChange: (health) => {
      const fields = { event: "queue-health", level: health.level, reasons: health.reasons };
      if (health.level === "ok") queueLog.info(fields, "record queue back within its limits");
      else queueLog.error(fields, `record queue ${health.level}: ${health.reasons.join("; ")}`);
      reportQueueHealth();
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
  const supervisedSensors = config.sensors.map((sensorConfig) =>
    createSensor(sensorConfig, {
      logger: logger.child({ component: "driver", sensorId: sensorConfig.id }),
    }),
  );
  const sensors = new SensorPool(supervisedSensors);
  let lastCaptureAt: string | null = null;
  const localHealth = (): LocalHealth => {
    const queue = outbox.stats();
    const queueHealth = outbox.health();
    const sensorStates = supervisedSensors.map((sensor) => ({
      id: sensor.id,
      status: sensor.status,
    }));
    const oldest = queue.oldestEnqueuedAt === null ? null : Date.parse(queue.oldestEnqueuedAt);
    return {
      capture:
        queueHealth.level === "full" || !sensorStates.some((s) => s.status === "ready")
          ? "out-of-service"
          : "in-service",
      sensors: sensorStates,
      queue: {
        records: queue.records,
        payloadBytes: queue.payloadBytes,
        oldestEnqueuedAt: queue.oldestEnqueuedAt,
        quarantined: queue.quarantined,
        oldestAgeSeconds: oldest === null ? null : Math.max(0, (Date.now() - oldest) / 1_000),
        level: queueHealth.level,
        reasons: [...queueHealth.reasons],
      },
      disk: { freeBytes: freeDiskBytes(dirname(outbox.path)) },
      lastCaptureAt,
    };
  };
  const sync = new CentreSync({
    mqtt: config.mqtt,
    deviceId: config.device.id,
    outbox,
    logger,
    agentVersion: version,
    health: localHealth,
    onAcknowledged: () => {
      queueRoom.notify();
    },
  });
  for (const sensor of supervisedSensors)
    sensor.onStatus(() => {
      sync.healthChanged();
    });
  reportQueueHealth = () => {
    sync.healthChanged();
  };
  // Healthy: the broker reached and a sensor open (what a pushed configuration must reach).
  const healthy = new Promise<void>((resolveHealthy) => {
    const check = (): void => {
      if (sync.connected && supervisedSensors.some((s) => s.status === "ready")) resolveHealthy();
    };
    sync.onUp(check);
    for (const sensor of supervisedSensors) sensor.onStatus(check);
  });
  const control = startCentreControl({
    config,
    origin: options.origin ?? { paths: undefined, startup: { state: "settled" } },
    sync,
    gate,
    outbox,
    agentVersion: version,
    logger,
    healthy,
    requestRestart:
      options.requestRestart ??
      ((reason) => {
        logger.warn(
          { reason },
          "restart requested, but this agent was started without a supervisor to restart it",
        );
      }),
    recentLog: options.recentLog,
  });
  sync.start();

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
      lastCaptureAt = new Date().toISOString();
      sync.pump();
      sync.healthChanged();
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
      await control.stop();
      await sync.stop();
      outbox.close();
      logger.info("agent stopped");
    })();
    return stopping;
  };
  return { finished, gate, events, stop, health: localHealth };
}
