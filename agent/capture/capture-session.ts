import { uuidv7 } from "uuidv7";
import { isSensorError } from "../../drivers/sensor.js";
import type { PlainPromptId } from "../guidance/prompt-catalogue.js";
import type { CaptureRecord, FingerCapture, SessionOutcome } from "../records/capture-record.js";
import { captureFinger } from "./finger-capture.js";
import { SessionRun, type SessionOptions } from "./session-run.js";

export type { SessionOptions } from "./session-run.js";

/** What the traveller is told when the session ends, by outcome. */
const CLOSING_PROMPT: Readonly<Record<SessionOutcome, PlainPromptId>> = {
  complete: "session-complete",
  "complete-with-exceptions": "session-complete",
  "walked-away": "session-incomplete",
  "budget-exhausted": "session-incomplete",
  "device-fault": "device-fault",
  tamper: "tamper-alarm",
};

/**
 * One traveller: every finger of the plan in turn, within the session's time and attempt
 * budgets, ending in a record whose outcome says how it went. Sensor failures, timeouts,
 * declared fingers and interruptions are outcomes, not errors; the only rejection is
 * the shutdown signal aborting.
 */
export async function runCaptureSession(options: SessionOptions): Promise<CaptureRecord> {
  const run = new SessionRun(uuidv7(), options);
  const { plan, control, logger } = options;
  run.emit({
    type: "session-started",
    sessionId: run.id,
    plan: plan.name,
    fingers: plan.fingers.map((finger) => finger.position),
  });

  const fingers: FingerCapture[] = [];
  let ended: SessionOutcome | undefined;
  let firstAskedFor = true;
  for (const planned of plan.fingers) {
    const { position } = planned;
    if (ended === undefined && control.interruption !== undefined) {
      ended = control.interruption === "tamper" ? "tamper" : "walked-away";
    }
    if (ended !== undefined) {
      fingers.push(notTaken(run, planned, "not-reached"));
      continue;
    }
    const declared = planned.declared ?? control.declared(position);
    if (declared !== undefined) {
      fingers.push(notTaken(run, planned, declared));
      await run.show("finger-skipped", position);
      continue;
    }
    const alreadyPlaced = firstAskedFor && options.firstFingerPlaced;
    firstAskedFor = false;
    const result = await captureFinger(run, planned, alreadyPlaced);
    fingers.push(result.finger);
    ended = result.endsSession;
    if (ended === undefined) await waitForLift(run, position);
  }

  const outcome =
    ended ??
    (fingers.every((f) => f.outcome === "captured") ? "complete" : "complete-with-exceptions");
  await run.show(CLOSING_PROMPT[outcome]).catch((error: unknown) => {
    if (options.signal.aborted) throw error;
  });
  await run.restoreParameters();
  const record: CaptureRecord = {
    id: run.id,
    device: options.device,
    plan: plan.name,
    startedAt: run.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    outcome,
    fingers,
    sensors: run.sensorsUsed,
    timings: run.timings(),
  };
  run.emit({
    type: "session-ended",
    sessionId: run.id,
    outcome,
    durationMs: record.timings.totalMs,
    fingers: fingers.map((finger) => ({
      position: finger.position,
      outcome: finger.outcome,
      ...(finger.quality !== undefined && { score: finger.quality.score }),
    })),
  });
  logger.info({ sessionId: run.id, outcome, timings: record.timings }, "capture session ended");
  return record;
}

function notTaken(
  run: SessionRun,
  planned: SessionOptions["plan"]["fingers"][number],
  outcome: "missing" | "bandaged" | "not-reached",
): FingerCapture {
  run.emit({ type: "finger-not-taken", sessionId: run.id, position: planned.position, outcome });
  return {
    position: planned.position,
    outcome,
    sensorId: run.sensor.id,
    qualityThreshold: planned.qualityThreshold,
    attempts: [],
  };
}

/**
 * Before the next finger, the last one must leave the sensor, or its placement would be
 * taken as the next. A finger left lying there is not an error: the plan moves on and
 * the next wait for placement sorts it out.
 */
async function waitForLift(run: SessionRun, position: FingerCapture["position"]): Promise<void> {
  const { timeouts, signal } = run.options;
  try {
    await run.timed("travellerMs", () =>
      run.sensor.waitForFingerRemoved({
        signal: run.operationSignal(position),
        timeoutMs: Math.min(timeouts.placementMs, run.remainingMs),
      }),
    );
  } catch (error) {
    if (signal.aborted) throw error;
    if (!isSensorError(error, "timeout")) {
      // A sensor that failed here fails again on the next finger, where failover happens.
      run.options.logger.debug({ sessionId: run.id, err: error }, "waiting for the lift failed");
    }
  }
}
