import {
  isSensorError,
  type CaptureParameters,
  type FingerprintSensor,
  type GreyImage,
  type SensorDescription,
} from "../../drivers/sensor.js";
import type { AgentConfig } from "../config/schema.js";
import type { GuidancePresenter } from "../guidance/guidance-presenter.js";
import { prompt, type PlainPromptId, type ResolvedPrompt } from "../guidance/prompt-catalogue.js";
import type { Logger } from "../log/logger.js";
import type { AssessOptions, QualityReport } from "../quality/assess-quality.js";
import type { SessionSensor, SessionTimings } from "../records/capture-record.js";
import { initialParameters } from "./capture-adaptation.js";
import type { CapturePlan } from "./capture-plan.js";
import type { FingerPosition } from "./finger-position.js";
import type { SensorPool } from "./sensor-pool.js";
import type { SessionControl } from "./session-control.js";
import type { SessionEvent, SessionEvents } from "./session-events.js";

export interface SessionOptions {
  readonly sensors: SensorPool;
  readonly plan: CapturePlan;
  readonly device: AgentConfig["device"];
  readonly timeouts: AgentConfig["capture"]["timeouts"];
  readonly adaptParameters: boolean;
  readonly presenter: GuidancePresenter;
  readonly events: SessionEvents;
  readonly logger: Logger;
  /** Shutdown: the only thing that makes the session reject. */
  readonly signal: AbortSignal;
  readonly control: SessionControl;
  /**
   * True when a finger placed on the current sensor started the session (it is down
   * now); false when the presence sensor did and the first finger must be asked for.
   */
  readonly firstFingerPlaced: boolean;
  /** The quality assessment; assessQuality unless a test scripts it. */
  readonly assess: (image: GreyImage, options?: AssessOptions) => QualityReport;
}

type TimingBucket = Exclude<keyof SessionTimings, "totalMs">;

/**
 * One session's running state, shared by the session and its fingers: the clock and
 * budgets, the sensor in use and the ones that failed, the parameters in force, and
 * where the time went.
 */
export class SessionRun {
  readonly id: string;
  readonly options: SessionOptions;
  readonly startedAt = new Date();
  readonly #startedMs = performance.now();
  readonly #deadline: number;
  readonly failedSensors = new Set<string>();
  readonly #used = new Map<string, SessionSensor>();
  readonly #parameters = new Map<string, CaptureParameters>();
  readonly #spent: Record<TimingBucket, number> = {
    travellerMs: 0,
    sensorMs: 0,
    assessmentMs: 0,
  };
  attemptsUsed = 0;
  sensor: FingerprintSensor;

  constructor(id: string, options: SessionOptions) {
    this.id = id;
    this.options = options;
    this.#deadline = this.#startedMs + options.plan.sessionMs;
    this.sensor = options.sensors.current;
    this.noteSensor(this.sensor);
  }

  get remainingMs(): number {
    return Math.max(0, this.#deadline - performance.now());
  }

  get attemptsLeft(): number {
    return this.options.plan.attemptsPerSession - this.attemptsUsed;
  }

  emit(event: SessionEvent): void {
    this.options.events.emit(event);
  }

  /** Runs `work` and books its time to `bucket`, whether it succeeds or not. */
  async timed<T>(bucket: TimingBucket, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.#spent[bucket] += performance.now() - started;
    }
  }

  /** Books time measured elsewhere (an attempt's own timings). */
  book(bucket: TimingBucket, ms: number): void {
    this.#spent[bucket] += ms;
  }

  timings(): SessionTimings {
    const round = (ms: number): number => Math.round(ms * 100) / 100;
    return {
      totalMs: round(performance.now() - this.#startedMs),
      travellerMs: round(this.#spent.travellerMs),
      sensorMs: round(this.#spent.sensorMs),
      assessmentMs: round(this.#spent.assessmentMs),
    };
  }

  /** What an operation on the sensor listens to: shutdown, interruption, and this finger's declaration. */
  operationSignal(position: FingerPosition, timeoutMs?: number): AbortSignal {
    const signals = [
      this.options.signal,
      this.options.control.signal,
      this.options.control.fingerSignal(position),
    ];
    if (timeoutMs !== undefined) signals.push(AbortSignal.timeout(timeoutMs));
    return AbortSignal.any(signals);
  }

  async show(
    id: PlainPromptId | ResolvedPrompt,
    position?: FingerPosition,
    signal?: AbortSignal,
  ): Promise<void> {
    const shown = typeof id === "string" ? prompt(id) : id;
    await this.timed("sensorMs", () =>
      this.options.presenter.show(shown, {
        sensor: this.sensor,
        sessionId: this.id,
        position,
        signal: signal ?? this.options.signal,
      }),
    );
  }

  noteSensor(sensor: FingerprintSensor, description?: SensorDescription): void {
    let known = description;
    if (known === undefined) {
      try {
        known = sensor.describe();
      } catch {
        return;
      }
    }
    this.#used.set(sensor.id, {
      id: sensor.id,
      kind: known.kind,
      model: known.model,
      identity: { ...known.identity },
    });
  }

  get sensorsUsed(): readonly SessionSensor[] {
    return [...this.#used.values()];
  }

  /** The capture parameters in force on the current sensor; undefined when it has none. */
  parameters(): CaptureParameters | undefined {
    const ranges = this.#ranges(this.sensor);
    if (ranges === undefined) return undefined;
    return this.#parameters.get(this.sensor.id) ?? initialParameters(ranges);
  }

  /** Sets new capture parameters on the current sensor; a refusal keeps the old ones. */
  async setParameters(next: CaptureParameters, signal: AbortSignal): Promise<void> {
    const set = this.sensor.setCaptureParameters?.bind(this.sensor);
    if (set === undefined) return;
    const sensorId = this.sensor.id;
    const applied = await this.timed("sensorMs", () => set(next, signal)).catch(
      (error: unknown) => {
        if (signal.aborted || !isSensorError(error, "unsupported")) throw error;
        return undefined;
      },
    );
    if (applied !== undefined) this.#parameters.set(sensorId, applied);
  }

  /** Puts every sensor whose parameters changed back as it was, for the next traveller. */
  async restoreParameters(): Promise<void> {
    for (const sensor of this.options.sensors.all) {
      const ranges = this.#ranges(sensor);
      const set = sensor.setCaptureParameters?.bind(sensor);
      if (ranges === undefined || set === undefined || !this.#parameters.has(sensor.id)) continue;
      try {
        await this.timed("sensorMs", () => set(initialParameters(ranges), this.options.signal));
        this.#parameters.delete(sensor.id);
      } catch (error) {
        if (this.options.signal.aborted) throw error;
        this.options.logger.warn(
          { sensorId: sensor.id, err: error },
          "capture parameters not restored",
        );
      }
    }
  }

  #ranges(sensor: FingerprintSensor) {
    if (sensor.setCaptureParameters === undefined) return undefined;
    try {
      return sensor.describe().capabilities.captureParameters;
    } catch {
      return undefined;
    }
  }
}
