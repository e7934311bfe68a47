import { isSensorError, type CapturedImage } from "../../drivers/sensor.js";
import { guidanceForAttempt } from "../guidance/attempt-guidance.js";
import { prompt } from "../guidance/prompt-catalogue.js";
import type { QualityReport } from "../quality/assess-quality.js";
import { ImageFileError } from "../quality/image-file/image-file-error.js";
import { Iso29794InputError } from "../quality/iso29794/index.js";
import type { AttemptRecord, FingerCapture, SessionOutcome } from "../records/capture-record.js";
import { adaptParameters } from "./capture-adaptation.js";
import type { PlannedFinger } from "./capture-plan.js";
import type { FingerPosition } from "./finger-position.js";
import type { SessionRun } from "./session-run.js";

export interface FingerResult {
  readonly finger: FingerCapture;
  /** Set when this finger's ending ends the whole session. */
  readonly endsSession?: Exclude<SessionOutcome, "complete" | "complete-with-exceptions">;
}

interface Best {
  readonly image: CapturedImage;
  readonly quality: QualityReport;
  readonly index: number;
}

/** An image the assessment refuses is an attempt like any other, scored 0. */
const REFUSED: Pick<AttemptRecord, "verdict" | "score" | "feedback"> = {
  verdict: "refused",
  score: 0,
  feedback: ["lift-and-place-again"],
};

/**
 * One finger of the plan: ask for it, take attempts until one meets the threshold or the
 * budget runs out, guiding the traveller and adapting the sensor in between. The best
 * attempt is kept whatever happens. Every way it can end is a result; only the
 * session's shutdown signal makes it reject.
 */
export async function captureFinger(
  run: SessionRun,
  planned: PlannedFinger,
  alreadyPlaced: boolean,
): Promise<FingerResult> {
  const { position } = planned;
  const { timeouts, logger, control } = run.options;
  const attempts: AttemptRecord[] = [];
  let best: Best | undefined;
  let placed = alreadyPlaced;

  const finish = (
    outcome: FingerCapture["outcome"],
    endsSession?: FingerResult["endsSession"],
  ): FingerResult => {
    const kept = best !== undefined && (outcome === "captured" || outcome === "below-threshold");
    const finger: FingerCapture = {
      position,
      outcome,
      sensorId: best?.image.sensorId ?? run.sensor.id,
      qualityThreshold: planned.qualityThreshold,
      attempts,
      ...(kept && best !== undefined && keptImage(best)),
    };
    if (outcome === "captured" || outcome === "below-threshold") {
      run.emit({
        type: "finger-accepted",
        sessionId: run.id,
        position,
        score: best?.quality.score ?? 0,
        attempts: attempts.length,
        belowThreshold: outcome === "below-threshold",
      });
    } else {
      run.emit({ type: "finger-not-taken", sessionId: run.id, position, outcome });
    }
    return endsSession === undefined ? { finger } : { finger, endsSession };
  };
  /** A finger cut short keeps its best image, flagged, rather than losing it. */
  const cutShort = (
    outcome: "placement-timeout" | "device-fault" | "not-reached",
    endsSession: FingerResult["endsSession"],
  ): FingerResult => finish(best === undefined ? outcome : "below-threshold", endsSession);

  if (!placed) await run.show(prompt("place-named-finger", { finger: position }), position);

  while (attempts.length < planned.attempts) {
    if (run.attemptsLeft <= 0 || run.remainingMs <= 0)
      return cutShort("not-reached", "budget-exhausted");
    const number = attempts.length + 1;
    run.emit({
      type: "finger-requested",
      sessionId: run.id,
      position,
      attempt: number,
      sensorId: run.sensor.id,
    });
    try {
      const startedAt = new Date();
      const placementWaitMs = placed ? 0 : await waitForPlacement(run, position, number > 1);
      placed = false;
      const parameters = run.parameters();
      const captureStarted = performance.now();
      const image = await run.sensor.captureImage(
        run.operationSignal(position, timeouts.captureMs),
      );
      const captureMs = performance.now() - captureStarted;
      run.attemptsUsed++;
      const assessStarted = performance.now();
      const quality = assessOrRefuse(run, image, position);
      const assessmentMs = performance.now() - assessStarted;
      run.book("sensorMs", captureMs);
      run.book("assessmentMs", assessmentMs);

      const judged = quality ?? REFUSED;
      const accepted = quality !== undefined && quality.score >= planned.qualityThreshold;
      if (quality !== undefined && (best === undefined || quality.score > best.quality.score)) {
        best = { image, quality, index: attempts.length };
      }
      const lastChance = number >= planned.attempts || run.attemptsLeft <= 0;
      const guidance =
        accepted || lastChance
          ? undefined
          : guidanceForAttempt(quality?.condition ?? "no-finger", judged.feedback, number);
      attempts.push({
        sensorId: image.sensorId,
        startedAt: startedAt.toISOString(),
        verdict: quality?.condition ?? "refused",
        score: judged.score,
        feedback: [...judged.feedback],
        ...(guidance !== undefined && { prompt: guidance.id }),
        ...(parameters !== undefined && { parameters }),
        timings: {
          placementWaitMs: round(placementWaitMs),
          captureMs: round(captureMs),
          assessmentMs: round(assessmentMs),
        },
      });
      run.emit({
        type: "attempt-assessed",
        sessionId: run.id,
        position,
        attempt: number,
        score: judged.score,
        condition: quality?.condition ?? "refused",
        accepted,
      });
      logger.debug(
        {
          sessionId: run.id,
          position,
          attempt: number,
          score: judged.score,
          verdict: quality?.condition ?? "refused",
        },
        "attempt assessed",
      );
      if (accepted) {
        await run.show("attempt-accepted", position);
        return finish("captured");
      }
      if (guidance !== undefined) {
        await run.show(guidance, position);
        await adapt(run, quality?.condition ?? "refused", position);
      } else if (best !== undefined) {
        // The budget is spent and the best attempt is kept: without a prompt a traveller
        // who follows prompts would keep the finger down until the placement timeout.
        await run.show("attempt-accepted", position);
      }
    } catch (error) {
      if (run.options.signal.aborted) throw error;
      const interruption = control.interruption;
      if (interruption !== undefined) {
        return cutShort("not-reached", interruption === "tamper" ? "tamper" : "walked-away");
      }
      const declared = control.declared(position);
      if (declared !== undefined) return finish(declared);
      if (isSensorError(error, "timeout")) {
        return run.remainingMs <= 0
          ? cutShort("not-reached", "budget-exhausted")
          : cutShort("placement-timeout", "walked-away");
      }
      if (!(await failOver(run, error, position))) return cutShort("device-fault", "device-fault");
      placed = false;
      await run.show(prompt("place-named-finger", { finger: position }), position);
    }
  }
  return finish("below-threshold");
}

/**
 * After a rejected attempt the traveller may lift the finger to follow the guidance
 * (wipe it, breathe on it) or keep it down and press differently; either way the next
 * image is taken once a finger lies on the sensor. Returns the milliseconds waited.
 */
async function waitForPlacement(
  run: SessionRun,
  position: PlannedFinger["position"],
  isRetry: boolean,
): Promise<number> {
  const { timeouts } = run.options;
  return measure(() =>
    run.timed("travellerMs", async () => {
      if (isRetry && timeouts.retryLiftMs > 0) {
        await run.sensor
          .waitForFingerRemoved({
            signal: run.operationSignal(position),
            timeoutMs: Math.min(timeouts.retryLiftMs, run.remainingMs),
          })
          .catch((error: unknown) => {
            if (!isSensorError(error, "timeout")) throw error;
          });
      }
      await run.sensor.waitForFinger({
        signal: run.operationSignal(position),
        timeoutMs: Math.min(timeouts.placementMs, run.remainingMs),
      });
    }),
  );
}

async function measure(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** Fingers an image of this position shows: four for a four-finger slap, two for both thumbs. */
function fingersShown(position: FingerPosition): number {
  return position === 13 || position === 14 ? 4 : position === 15 ? 2 : 1;
}

function assessOrRefuse(
  run: SessionRun,
  image: CapturedImage,
  position: FingerPosition,
): QualityReport | undefined {
  try {
    return run.options.assess(image, { expectedFingers: fingersShown(position) });
  } catch (error) {
    if (error instanceof ImageFileError || error instanceof Iso29794InputError) {
      run.options.logger.warn(
        { sessionId: run.id, sensorId: image.sensorId, reason: error.message },
        "image refused by the quality assessment",
      );
      return undefined;
    }
    throw error;
  }
}

async function adapt(
  run: SessionRun,
  condition: AttemptRecord["verdict"],
  position: PlannedFinger["position"],
): Promise<void> {
  if (!run.options.adaptParameters) return;
  const current = run.parameters();
  const ranges = run.sensor.describe().capabilities.captureParameters;
  if (current === undefined || ranges === undefined) return;
  const next = adaptParameters(current, ranges, condition);
  if (next !== undefined) await run.setParameters(next, run.operationSignal(position));
}

/**
 * Moves the session to another sensor after `error`. False when the failure was not the
 * sensor's, or no other sensor opens: the finger then ends as a device fault.
 */
async function failOver(
  run: SessionRun,
  error: unknown,
  position: PlannedFinger["position"],
): Promise<boolean> {
  const { logger, sensors, timeouts, signal } = run.options;
  const failed = run.sensor;
  logger.error(
    { sessionId: run.id, sensorId: failed.id, position, err: error },
    "sensor failed during a capture session",
  );
  if (!isSensorError(error)) return false;
  run.failedSensors.add(failed.id);
  const next = await run.timed("sensorMs", () =>
    sensors.failover(run.failedSensors, timeouts.failoverOpenMs, signal),
  );
  if (next === undefined) return false;
  logger.warn(
    { sessionId: run.id, from: failed.id, to: next.sensor.id, position },
    "session continues on another sensor",
  );
  run.sensor = next.sensor;
  run.noteSensor(next.sensor, next.description);
  return true;
}

function keptImage(best: Best): Pick<FingerCapture, "image" | "quality" | "bestAttempt"> {
  const { image, quality } = best;
  return {
    image: {
      width: image.width,
      height: image.height,
      resolutionPpi: image.resolutionPpi,
      pixels: image.pixels,
    },
    quality: {
      score: quality.score,
      measure: quality.version,
      condition: quality.condition,
      measures: Object.fromEntries(
        Object.entries(quality.measures).filter(
          (entry): entry is [string, number] => typeof entry[1] === "number",
        ),
      ),
    },
    bestAttempt: best.index,
  };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
