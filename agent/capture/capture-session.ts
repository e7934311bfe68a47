import { uuidv7 } from "uuidv7";
import { isSensorError, type CapturedImage, type FingerprintSensor } from "../../drivers/index.js";
import type { AgentConfig } from "../config/schema.js";
import type { Logger } from "../log/logger.js";
import { assessQuality, type QualityReport } from "../quality/assess-quality.js";
import type { CaptureRecord, FingerCapture, SessionOutcome } from "../records/capture-record.js";
import type { CapturePlan } from "./capture-plan.js";
import type { FingerPosition } from "./finger-position.js";

export interface SessionContext {
  readonly sensor: FingerprintSensor;
  readonly plan: CapturePlan;
  readonly device: AgentConfig["device"];
  readonly policy: AgentConfig["capture"];
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

interface Attempt {
  readonly image: CapturedImage;
  readonly quality: QualityReport;
}

/**
 * One traveller, once the first finger is on the sensor: every finger of the plan,
 * the best of up to attemptsPerFinger images each. A sensor failure ends the session
 * with an explicit device-fault outcome instead of throwing; only abort propagates.
 */
export async function runCaptureSession(
  context: SessionContext,
  startedAt: Date,
): Promise<CaptureRecord> {
  const { plan, policy, signal } = context;
  const deadline = startedAt.getTime() + policy.timeouts.sessionMs;
  const fingers: FingerCapture[] = [];
  let outcome: SessionOutcome = "complete";

  for (const [index, position] of plan.fingers.entries()) {
    if (outcome !== "complete") {
      fingers.push(
        notTaken(
          context,
          position,
          outcome === "device-fault" ? "device-fault" : "placement-timeout",
        ),
      );
      continue;
    }
    const remainingMs = deadline - Date.now();
    try {
      // The first finger is already down: it is what started the session.
      if (index > 0) {
        await context.sensor.waitForFinger({
          signal,
          timeoutMs: Math.max(0, Math.min(policy.timeouts.placementMs, remainingMs)),
        });
      }
      fingers.push(await captureFinger(context, position));
      await context.sensor
        .waitForFingerRemoved({ signal, timeoutMs: policy.timeouts.placementMs })
        .catch((error: unknown) => {
          if (!isSensorError(error, "timeout")) throw error;
          context.logger.debug({ position }, "finger left on the sensor; continuing");
        });
    } catch (error) {
      if (signal.aborted) throw error;
      if (isSensorError(error, "timeout")) {
        outcome = "incomplete";
        fingers.push(notTaken(context, position, "placement-timeout"));
      } else if (isSensorError(error)) {
        outcome = "device-fault";
        context.logger.error({ err: error, position }, "sensor failed during a capture session");
        fingers.push(notTaken(context, position, "device-fault"));
      } else {
        throw error;
      }
    }
  }

  return {
    id: uuidv7(),
    device: context.device,
    plan: plan.name,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    outcome,
    fingers,
  };
}

async function captureFinger(
  context: SessionContext,
  position: FingerPosition,
): Promise<FingerCapture> {
  const { sensor, policy, signal } = context;
  let best: Attempt | undefined;
  let attempts = 0;
  while (attempts < policy.attemptsPerFinger) {
    attempts++;
    const image = await sensor.captureImage(signal);
    const quality = assessQuality(image);
    context.logger.debug(
      { position, attempt: attempts, score: quality.score, condition: quality.condition },
      "attempt assessed",
    );
    if (best === undefined || quality.score > best.quality.score) best = { image, quality };
    if (quality.score >= policy.qualityThreshold) break;
  }
  if (best === undefined) throw new Error("attemptsPerFinger must be at least 1");
  const { image, quality } = best;
  return {
    position,
    outcome: "captured",
    sensorId: image.sensorId,
    attempts,
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
      measures: { ...quality.measures },
    },
  };
}

function notTaken(
  context: SessionContext,
  position: FingerPosition,
  outcome: "placement-timeout" | "device-fault",
): FingerCapture {
  return { position, outcome, sensorId: context.sensor.id, attempts: 0 };
}
