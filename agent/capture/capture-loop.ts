import { setTimeout as sleep } from "node:timers/promises";
import { isSensorError, type FingerprintSensor } from "../../drivers/index.js";
import type { AgentConfig } from "../config/schema.js";
import type { Logger } from "../log/logger.js";
import type { Outbox } from "../queue/outbox.js";
import type { CaptureRecord } from "../records/capture-record.js";
import { resolvePlan } from "./capture-plan.js";
import { runCaptureSession } from "./capture-session.js";

export interface CaptureLoopOptions {
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
const REOPEN_BACKOFF_MS = { first: 500, max: 30_000 } as const;

/**
 * The terminal's main loop: wait for a traveller's finger, run a capture session,
 * queue the record durably, repeat. A sensor that fails is closed and reopened with
 * backoff; the loop itself only ends when the signal aborts.
 */
export async function runCaptureLoop(options: CaptureLoopOptions): Promise<void> {
  const { sensor, config, signal } = options;
  const logger = options.logger.child({ component: "capture", sensorId: sensor.id });
  const plan = resolvePlan(config.capture.plan);
  let open = false;
  let backoffMs: number = REOPEN_BACKOFF_MS.first;

  while (!isAborted(signal)) {
    try {
      if (!open) {
        const description = await sensor.open(signal);
        open = true;
        backoffMs = REOPEN_BACKOFF_MS.first;
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
      if (record.outcome === "device-fault") throw new Error("sensor failed mid-session");
    } catch (error) {
      if (isAborted(signal)) break;
      if (open) logger.warn({ err: error }, "sensor failed; reopening");
      else logger.warn({ err: error, retryInMs: backoffMs }, "sensor unavailable");
      await sensor.close();
      open = false;
      await sleep(backoffMs, undefined, { signal }).catch(() => undefined);
      backoffMs = Math.min(backoffMs * 2, REOPEN_BACKOFF_MS.max);
    }
  }
  await sensor.close();
}

/** Read through a call: TypeScript would otherwise narrow `aborted` across awaits. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
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
