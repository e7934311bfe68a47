import { setTimeout as sleep } from "node:timers/promises";
import {
  SensorError,
  type CaptureParameterRanges,
  type CaptureParameters,
  type CapturedImage,
  type FingerprintSensor,
  type GreyImage,
  type IndicatorState,
  type SensorDescription,
  type WaitOptions,
} from "../../drivers/sensor.js";
import type { QualityReport } from "../../agent/quality/assess-quality.js";
import type { ConditionVerdict, FeedbackCode } from "../../agent/quality/verdict.js";

/** What the scripted traveller's next image scores. */
export interface ScriptedImage {
  readonly condition: ConditionVerdict;
  readonly score: number;
  readonly feedback?: readonly FeedbackCode[];
}

/** The next image, or the failure the sensor has instead of it. */
export type CaptureStep = ScriptedImage | SensorError;
/** Whether a finger arrives when waited for: at once, never (walked away), or a failure. */
export type PlacementStep = "placed" | "never" | SensorError;

export interface ScriptedSensorOptions {
  readonly indicator?: boolean;
  readonly parameters?: CaptureParameterRanges;
  /** The n-th (1-based) image this sensor takes. */
  readonly capture: (n: number) => CaptureStep;
  /** The n-th wait for placement; always "placed" unless set. */
  readonly placement?: (n: number) => PlacementStep;
  /** Whether open() succeeds; true unless set. */
  readonly opens?: boolean;
}

const scripted = new WeakMap<Uint8Array, QualityReport>();

/** The assessment the scripted images carry: what the script said each one scores. */
export function scriptedAssess(image: GreyImage): QualityReport {
  const report = scripted.get(image.pixels);
  if (report === undefined) throw new Error("not an image from a ScriptedSensor");
  return report;
}

/**
 * A FingerprintSensor whose traveller and device follow a script, for the session engine
 * without a simulator: images are 8x8 and carry the score the script gives them.
 */
export class ScriptedSensor implements FingerprintSensor {
  readonly id: string;
  readonly calls: string[] = [];
  readonly indicatorStates: IndicatorState[] = [];
  readonly parameterChanges: CaptureParameters[] = [];
  readonly #options: ScriptedSensorOptions;
  #captures = 0;
  #placements = 0;
  #opened = false;

  constructor(id: string, options: ScriptedSensorOptions) {
    this.id = id;
    this.#options = options;
  }

  get captures(): number {
    return this.#captures;
  }

  open(): Promise<SensorDescription> {
    this.calls.push("open");
    if (this.#options.opens === false) {
      return Promise.reject(new SensorError("disconnected", `${this.id} is unplugged`));
    }
    this.#opened = true;
    return Promise.resolve(this.describe());
  }

  describe(): SensorDescription {
    const parameters = this.#options.parameters;
    return {
      id: this.id,
      kind: "r30x",
      model: "scripted",
      imageWidth: 8,
      imageHeight: 8,
      resolutionPpi: 500,
      identity: { serial: `${this.id}-serial` },
      capabilities: {
        indicator: this.#options.indicator ?? false,
        ...(parameters !== undefined && { captureParameters: parameters }),
      },
    };
  }

  async waitForFinger(options: WaitOptions): Promise<void> {
    this.calls.push("waitForFinger");
    const step = this.#options.placement?.(++this.#placements) ?? "placed";
    if (step instanceof SensorError) throw step;
    if (step === "placed") return;
    try {
      await sleep(options.timeoutMs, undefined, { signal: options.signal });
    } catch {
      throw new SensorError("aborted", "wait aborted");
    }
    throw new SensorError("timeout", "no finger placed");
  }

  captureImage(signal?: AbortSignal): Promise<CapturedImage> {
    this.calls.push("captureImage");
    if (signal?.aborted === true) return Promise.reject(new SensorError("aborted", "aborted"));
    const step = this.#options.capture(++this.#captures);
    if (step instanceof SensorError) return Promise.reject(step);
    const pixels = new Uint8Array(64).fill(this.#captures);
    scripted.set(pixels, {
      score: step.score,
      condition: step.condition,
      confidence: 0.9,
      feedback: step.feedback ?? [],
      measures: { Mu: step.score },
      version: "scripted-1",
    });
    return Promise.resolve({
      sensorId: this.id,
      capturedAt: new Date(),
      durationMs: 1,
      width: 8,
      height: 8,
      resolutionPpi: 500,
      pixels,
    });
  }

  waitForFingerRemoved(): Promise<void> {
    this.calls.push("waitForFingerRemoved");
    return Promise.resolve();
  }

  setIndicator(state: IndicatorState): Promise<void> {
    if (!(this.#options.indicator ?? false)) {
      return Promise.reject(new SensorError("unsupported", "no indicator"));
    }
    this.indicatorStates.push(state);
    return Promise.resolve();
  }

  setCaptureParameters(parameters: CaptureParameters): Promise<CaptureParameters> {
    if (this.#options.parameters === undefined) {
      return Promise.reject(new SensorError("unsupported", "no capture parameters"));
    }
    this.parameterChanges.push(parameters);
    return Promise.resolve(parameters);
  }

  close(): Promise<void> {
    this.#opened = false;
    return Promise.resolve();
  }

  get isOpen(): boolean {
    return this.#opened;
  }
}

/** Always the same image. */
export function always(image: CaptureStep): (n: number) => CaptureStep {
  return () => image;
}

export const GOOD: ScriptedImage = { condition: "good", score: 88 };
export const UNPLUGGED = (): SensorError => new SensorError("disconnected", "unplugged");
