import type { CaptureParameters } from "../../drivers/sensor.js";
import type { FingerPosition } from "../capture/finger-position.js";
import type { PromptId } from "../guidance/prompt-catalogue.js";
import type { FeedbackCode, ConditionVerdict } from "../quality/verdict.js";

/** How one finger of the plan ended. */
export const FINGER_OUTCOMES = [
  /** An attempt met the quality threshold. */
  "captured",
  /** The budget ran out first: the best attempt is kept, flagged by this outcome. */
  "below-threshold",
  /** Declared missing (configuration or an operator): not asked for. */
  "missing",
  /** Declared bandaged: not asked for. */
  "bandaged",
  /** No finger was placed before the placement timeout: the traveller walked away. */
  "placement-timeout",
  /** Every configured sensor failed while this finger was being taken. */
  "device-fault",
  /** The session ended before this finger was reached (see the session's outcome). */
  "not-reached",
] as const;
export type FingerOutcome = (typeof FINGER_OUTCOMES)[number];

/** How the session as a whole ended. */
export const SESSION_OUTCOMES = [
  /** Every finger captured at or above its threshold. */
  "complete",
  /** Every finger dealt with, some flagged: below threshold, missing or bandaged. */
  "complete-with-exceptions",
  /** A placement timed out, or the presence sensor saw the traveller leave. */
  "walked-away",
  /** The session's time or attempt budget ran out. */
  "budget-exhausted",
  /** Every configured sensor failed. */
  "device-fault",
  /** The tamper alarm went off. */
  "tamper",
] as const;
export type SessionOutcome = (typeof SESSION_OUTCOMES)[number];

export interface FingerImage {
  readonly width: number;
  readonly height: number;
  readonly resolutionPpi: number;
  /** 8-bit grey, row-major: lossless, as the sensor delivered it. */
  readonly pixels: Uint8Array;
}

/** Quality as recorded: the measure's name and version travel with its figures. */
export interface RecordedQuality {
  /** 0-100, higher is better. */
  readonly score: number;
  /** Which measures and model produced the figures; scores of other versions don't compare. */
  readonly measure: string;
  /** The condition the quality model named: good, wet, dry, partial, ... */
  readonly condition: ConditionVerdict;
  readonly measures: Readonly<Record<string, number>>;
}

/** Where one attempt's time went, in milliseconds. */
export interface AttemptTimings {
  /** Waiting for the traveller to lift and place the finger (0 when it was already down). */
  readonly placementWaitMs: number;
  /** The sensor taking the image and sending it. */
  readonly captureMs: number;
  /** The quality assessment. */
  readonly assessmentMs: number;
}

/** One image taken and judged; its pixels are kept only for the finger's best attempt. */
export interface AttemptRecord {
  readonly sensorId: string;
  readonly startedAt: string;
  /** The quality verdict, or "refused" for an image the assessment would not take. */
  readonly verdict: ConditionVerdict | "refused";
  readonly score: number;
  readonly feedback: readonly FeedbackCode[];
  /** The prompt shown after it, when it was not accepted. */
  readonly prompt?: PromptId;
  /** The capture parameters in force, on sensors that have them. */
  readonly parameters?: CaptureParameters;
  readonly timings: AttemptTimings;
}

export interface FingerCapture {
  readonly position: FingerPosition;
  readonly outcome: FingerOutcome;
  /** The sensor that took the best attempt, or the last one asked. */
  readonly sensorId: string;
  readonly qualityThreshold: number;
  readonly attempts: readonly AttemptRecord[];
  /** The best attempt; absent when no image was taken. */
  readonly image?: FingerImage;
  readonly quality?: RecordedQuality;
  /** Which of `attempts` (0-based) the image is. */
  readonly bestAttempt?: number;
}

/** A sensor the session used, as it identified itself. */
export interface SessionSensor {
  readonly id: string;
  readonly kind: string;
  readonly model: string;
  readonly identity: Readonly<Record<string, string>>;
}

export interface SessionTimings {
  readonly totalMs: number;
  /** Waiting for the traveller: placements and lifts. */
  readonly travellerMs: number;
  /** The sensors taking images and setting lights and parameters. */
  readonly sensorMs: number;
  /** Quality assessment. */
  readonly assessmentMs: number;
}

/** One traveller's capture session: what the queue stores and the centre receives. */
export interface CaptureRecord {
  /** UUIDv7: time-ordered and unique without coordination. */
  readonly id: string;
  readonly device: {
    readonly id: string;
    readonly site: string;
    readonly lane: string;
    readonly direction: "entry" | "exit";
  };
  readonly plan: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly outcome: SessionOutcome;
  readonly fingers: readonly FingerCapture[];
  readonly sensors: readonly SessionSensor[];
  readonly timings: SessionTimings;
}
