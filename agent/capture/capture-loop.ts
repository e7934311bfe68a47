import { setTimeout as sleep } from "node:timers/promises";
import { isAborted, isSensorError, type GreyImage } from "../../drivers/index.js";
import type { AgentConfig } from "../config/schema.js";
import type { GuidancePresenter } from "../guidance/guidance-presenter.js";
import { prompt } from "../guidance/prompt-catalogue.js";
import type { Logger } from "../log/logger.js";
import {
  assessQuality,
  type AssessOptions,
  type QualityReport,
} from "../quality/assess-quality.js";
import type { Outbox } from "../queue/outbox.js";
import { QueueFullError } from "../queue/storage-limits.js";
import type { CaptureRecord } from "../records/capture-record.js";
import { resolvePlan } from "./capture-plan.js";
import { runCaptureSession } from "./capture-session.js";
import type { SensorPool } from "./sensor-pool.js";
import { SessionControl } from "./session-control.js";
import type { SessionEvents } from "./session-events.js";
import type { SessionTriggers } from "./session-triggers.js";

export interface CaptureLoopOptions {
  /** Supervised sensors: open() waits through unplugs and hangs, reopening with backoff. */
  readonly sensors: SensorPool;
  readonly config: AgentConfig;
  /** The durable queue; the loop asks it for room before each session. */
  readonly outbox: Pick<Outbox, "enqueue" | "canAcceptSession">;
  /** Woken after each acknowledgement (room may be back); the loop also re-checks every `queueRecheckMs`. */
  readonly queueRoom?: QueueRoom | undefined;
  /** How often an out-of-service terminal asks the queue again (default 5 s). */
  readonly queueRecheckMs?: number | undefined;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly presenter: GuidancePresenter;
  readonly events: SessionEvents;
  /** Presence and tamper, where the gate has them. */
  readonly triggers: SessionTriggers;
  /** Called after each record is durably queued (the sync layer sends it). */
  readonly onQueued: () => void;
  /** Called when a fault ends a session or the loop: the gate relay closes on it. */
  readonly onFault: (error: unknown) => void;
  /** For tests and benchmarks; assessQuality unless set. */
  readonly assess?: ((image: GreyImage, options?: AssessOptions) => QualityReport) | undefined;
}

/** How long one idle wait for a traveller lasts before the loop checks in again. */
const IDLE_WAIT_MS = 30_000;
/** After a failure, so a device that fails at once every time cannot spin the loop. */
const PAUSE_AFTER_FAILURE_MS = 1_000;

/** How often an out-of-service terminal asks the queue whether it has room again. */
const QUEUE_RECHECK_MS = 5_000;

/**
 * Wakes a capture loop that waits for room in the queue: the sync layer calls
 * notify() after each acknowledgement, since that is what frees room.
 */
export class QueueRoom {
  readonly #waiters = new Set<() => void>();

  notify(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolves on notify(), after `ms`, or when `signal` aborts; never rejects. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
      if (signal?.aborted === true) done();
      else signal?.addEventListener("abort", done, { once: true });
    });
  }
}

/**
 * The terminal's main loop: wait for a traveller (someone stepping onto the presence
 * sensor where there is one, else a finger on the sensor), run a capture session, queue
 * the record durably, repeat. While the tamper alarm is latched no session starts; while
 * the queue has no room for another record the terminal shows out of service and no
 * session starts either (records are never dropped to make room). It only ends when
 * the signal aborts.
 */
export async function runCaptureLoop(options: CaptureLoopOptions): Promise<void> {
  const { sensors, config, signal, triggers, presenter } = options;
  const logger = options.logger.child({ component: "capture" });
  const plan = resolvePlan(config.capture);
  const announced = new Set<string>();
  const room = options.queueRoom ?? new QueueRoom();
  let readyShown = false;

  while (!isAborted(signal)) {
    const sensor = sensors.current;
    try {
      const description = await sensor.open(signal);
      if (!announced.has(sensor.id)) {
        announced.add(sensor.id);
        logger.info(
          {
            sensorId: sensor.id,
            model: description.model,
            image: `${description.imageWidth}x${description.imageHeight}`,
            identity: description.identity,
          },
          "sensor ready",
        );
      }
      if (triggers.tamperLatched()) {
        readyShown = false;
        await triggers.tamperCleared(signal);
        continue;
      }
      if (!options.outbox.canAcceptSession()) {
        readyShown = false;
        await outOfService(options, room, sensor, logger);
        continue;
      }
      if (!readyShown) {
        readyShown = true;
        await presenter.show(prompt("ready"), { sensor, signal });
      }
      const started = await waitForTraveller(options, sensor);
      if (started === undefined) continue;
      readyShown = false;
      // The queue may have filled while the terminal waited: never start a session it cannot keep.
      if (!options.outbox.canAcceptSession()) continue;
      const control = new SessionControl();
      const record = await triggers.during(control, () =>
        runCaptureSession({
          sensors,
          plan,
          device: config.device,
          timeouts: config.capture.timeouts,
          adaptParameters: config.capture.adaptParameters,
          presenter,
          events: options.events,
          logger,
          signal,
          control,
          firstFingerPlaced: started === "finger",
          assess: options.assess ?? assessQuality,
        }),
      );
      if (record.outcome === "device-fault") {
        options.onFault(new Error(`capture session ${record.id} ended with a device fault`));
      }
      await queueDurably(record, options, room, logger);
    } catch (error) {
      if (isAborted(signal)) break;
      readyShown = false;
      logger.warn({ err: error, sensorId: sensor.id }, "capture interrupted by a failure");
      options.onFault(error);
      if (isSensorError(error)) sensors.rotate();
      await sleep(PAUSE_AFTER_FAILURE_MS, undefined, { signal }).catch(() => undefined);
    }
  }
  await sensors.closeAll();
}

/**
 * Shows the out-of-service prompt and waits until the queue has room for a session
 * again: re-checked every few seconds and after each acknowledgement.
 */
async function outOfService(
  options: CaptureLoopOptions,
  room: QueueRoom,
  sensor: SensorPool["current"],
  logger: Logger,
): Promise<void> {
  const { signal, presenter, triggers } = options;
  logger.error(
    { event: "out-of-service", reason: "queue-full" },
    "record queue has no room for another session; terminal out of service until records are delivered",
  );
  await presenter.show(prompt("out-of-service"), { sensor, signal });
  while (!signal.aborted && !triggers.tamperLatched() && !options.outbox.canAcceptSession()) {
    await room.wait(options.queueRecheckMs ?? QUEUE_RECHECK_MS, signal);
  }
  if (!signal.aborted && options.outbox.canAcceptSession())
    logger.info({ event: "back-in-service" }, "record queue has room again; taking travellers");
}

/**
 * "presence" when someone stepped up, "finger" when a finger is already on the sensor,
 * undefined when the idle wait ran out (or the tamper alarm went off) and the loop
 * should look around again.
 */
async function waitForTraveller(
  options: CaptureLoopOptions,
  sensor: SensorPool["current"],
): Promise<"presence" | "finger" | undefined> {
  const { triggers, signal } = options;
  if (triggers.hasPresence) {
    return (await triggers.arrival(signal, IDLE_WAIT_MS)) ? "presence" : undefined;
  }
  try {
    await sensor.waitForFinger({
      signal: AbortSignal.any([signal, triggers.tamperSignal()]),
      timeoutMs: IDLE_WAIT_MS,
    });
    return "finger";
  } catch (error) {
    if (isSensorError(error, "timeout") || (triggers.tamperLatched() && !signal.aborted)) {
      return undefined;
    }
    throw error;
  }
}

/**
 * A record that cannot be written (disk full, read-only file system) is held in
 * memory and retried, and no new session starts meanwhile: nothing captured is dropped.
 */
async function queueDurably(
  record: CaptureRecord,
  options: CaptureLoopOptions,
  room: QueueRoom,
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
        attempts: f.attempts.length,
      })),
    },
    "capture session finished",
  );
  let outOfServiceShown = false;
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
      if (outOfServiceShown)
        logger.info({ event: "back-in-service" }, "held record stored; taking travellers again");
      options.onQueued();
      return;
    } catch (error) {
      const full = error instanceof QueueFullError;
      logger.error(
        { err: error, recordId: record.id, attempt, ...(full ? { event: "out-of-service" } : {}) },
        "cannot queue record; held in memory, captures paused until it is stored",
      );
      if (!outOfServiceShown && !options.signal.aborted) {
        outOfServiceShown = true;
        await options.presenter
          .show(prompt("out-of-service"), { signal: options.signal })
          .catch(() => undefined);
      }
      // Even on shutdown keep trying briefly: the record exists nowhere else.
      if (options.signal.aborted && attempt >= 3) throw error;
      // Room comes back when the centre acknowledges records (or space is freed on disk).
      const backoff = full
        ? (options.queueRecheckMs ?? QUEUE_RECHECK_MS)
        : Math.min(1_000 * attempt, 10_000);
      if (options.signal.aborted) await room.wait(1_000);
      else await room.wait(backoff, options.signal);
    }
  }
}
