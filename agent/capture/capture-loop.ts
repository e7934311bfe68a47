import { setTimeout as sleep } from "node:timers/promises";
import { isAborted, isSensorError, type FingerprintSensor } from "../../drivers/index.js";
import type { AgentConfig } from "../config/schema.js";
import type { Logger } from "../log/logger.js";
import type { Outbox } from "../queue/outbox.js";
import type { CaptureRecord } from "../records/capture-record.js";
import { resolvePlan } from "./capture-plan.js";
import { runCaptureSession } from "./capture-session.js";

export interface CaptureLoopOptions {
  /** Supervised: open() waits through unplugs and hangs, reopening with backoff. */
  readonly sensor: FingerprintSensor;
  readonly config: AgentConfig;
  readonly outbox: Outbox;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Called after each record is durably queued (the sync layer sends it). */
  readonly onQueued: () => void;
}

/** How long one idle wait for a traveller lasts before the loop checks in again. */
const IDLE_WAIT_MS = 30_000;
/** After a failure, so a device that fails at once every time cannot spin the loop. */
const PAUSE_AFTER_FAILURE_MS = 1_000;

/**
 * The terminal's main loop: wait for a traveller's finger, run a capture session,
 * queue the record durably, repeat. It only ends when the signal aborts.
 */
export async function runCaptureLoop(options: CaptureLoopOptions): Promise<void> {
  const { sensor, config, signal } = options;
  const logger = options.logger.child({ component: "capture", sensorId: sensor.id });
  const plan = resolvePlan(config.capture.plan);
  let announced = false;

  while (!isAborted(signal)) {
    try {
      const description = await sensor.open(signal);
      if (!announced) {
        announced = true;
        logger.info(
          {
            model: description.model,
            image: `${description.imageWidth}x${description.imageHeight}`,
            identity: description.identity,
          },
          "sensor ready",
        );
      }
      try {
        await sensor.waitForFinger({ signal, timeoutMs: IDLE_WAIT_MS });
      } catch (error) {
        if (isSensorError(error, "timeout")) continue;
        throw error;
      }
      const record = await runCaptureSession(
        { sensor, plan, device: config.device, policy: config.capture, logger, signal },
        new Date(),
      );
      await queueDurably(record, options, logger);
    } catch (error) {
      if (isAborted(signal)) break;
      logger.warn({ err: error }, "capture interrupted by a sensor failure");
      await sleep(PAUSE_AFTER_FAILURE_MS, undefined, { signal }).catch(() => undefined);
    }
  }
  await sensor.close();
}

/**
 * A record that cannot be written (disk full, read-only file system) is held in
 * memory and retried, and no new session starts meanwhile: nothing captured is dropped.
 */
async function queueDurably(
  record: CaptureRecord,
  options: CaptureLoopOptions,
  logger: Logger,
): Promise<void> {
  logger.info(
    {
      event: "record-captured",
      recordId: record.id,
      outcome: record.outcome,
      fingers: record.fingers.map((f) => ({
        position: f.position,
        outcome: f.outcome,
        score: f.quality?.score,
        attempts: f.attempts,
      })),
    },
    "capture session finished",
  );
  for (let attempt = 1; ; attempt++) {
    try {
      const queued = options.outbox.enqueue(record);
      logger.info(
        {
          event: "record-queued",
          recordId: queued.id,
          seq: queued.seq,
          payloadBytes: queued.payloadBytes,
        },
        "record queued",
      );
      options.onQueued();
      return;
    } catch (error) {
      logger.error(
        { err: error, recordId: record.id, attempt },
        "cannot queue record; captures paused until it is stored",
      );
      // Even on shutdown keep trying briefly: the record exists nowhere else.
      if (options.signal.aborted && attempt >= 3) throw error;
      await sleep(Math.min(1_000 * attempt, 10_000));
    }
  }
}
