import type { ConditionVerdict } from "../quality/verdict.js";
import type { FingerPosition } from "../capture/finger-position.js";

/** How one finger of the plan ended. */
export type FingerOutcome =
  /** An image was taken (it may still be under the quality threshold; see quality). */
  | "captured"
  /** No finger was placed before the placement timeout. */
  | "placement-timeout"
  /** The sensor failed while this finger was being taken. */
  | "device-fault";

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

export interface FingerCapture {
  readonly position: FingerPosition;
  readonly outcome: FingerOutcome;
  readonly sensorId: string;
  readonly attempts: number;
  /** The best attempt; absent when no image was taken. */
  readonly image?: FingerImage;
  readonly quality?: RecordedQuality;
}

export type SessionOutcome = "complete" | "incomplete" | "device-fault";

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
}
