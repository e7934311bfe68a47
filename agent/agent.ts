import { resolve } from "node:path";
import { createSensor } from "../drivers/index.js";
import { runCaptureLoop } from "./capture/capture-loop.js";
import type { AgentConfig } from "./config/schema.js";
import type { Logger } from "./log/logger.js";
import { Outbox } from "./queue/outbox.js";
import { RecordSync } from "./sync/record-sync.js";
import { agentVersion } from "./version.js";

export interface RunningAgent {
  /** Settles when the capture loop has ended (after stop(), or on a fatal error). */
  readonly finished: Promise<void>;
  /** Finishes the current write, says offline, closes the sensor and the queue. */
  stop(): Promise<void>;
}

/** Wires the layers: sensor, capture loop, durable queue, sync with the centre. */
export function startAgent(config: AgentConfig, logger: Logger): RunningAgent {
  const version = agentVersion();
  const outbox = Outbox.open(resolve(config.queue.path));
  const stats = outbox.stats();
  logger.info(
    { version, device: config.device, queued: stats.records, lastSeq: stats.lastSeq },
    "agent starting",
  );

  const sync = new RecordSync({
    mqtt: config.mqtt,
    deviceId: config.device.id,
    outbox,
    logger,
    agentVersion: version,
  });
  sync.start();

  // One sensor drives the loop for now; failover to a second one comes with capture sessions.
  const [sensorConfig] = config.sensors;
  if (sensorConfig === undefined) throw new Error("configuration has no sensor");
  const sensor = createSensor(sensorConfig, {
    logger: logger.child({ component: "driver", sensorId: sensorConfig.id }),
  });

  const controller = new AbortController();
  const finished = runCaptureLoop({
    sensor,
    config,
    outbox,
    logger,
    signal: controller.signal,
    onQueued: () => {
      sync.pump();
    },
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      controller.abort();
      await finished.catch((error: unknown) => {
        logger.error({ err: error }, "capture loop ended with an error");
      });
      await sync.stop();
      outbox.close();
      logger.info("agent stopped");
    })();
    return stopping;
  };
  return { finished, stop };
}
