import { isSensorError, type FingerprintSensor } from "../../drivers/sensor.js";
import type { FingerPosition } from "../capture/finger-position.js";
import type { SessionEvents } from "../capture/session-events.js";
import type { ResolvedPrompt } from "./prompt-catalogue.js";
import type { BuzzerTone, GateLights } from "./signals.js";

/** The gate's lamps and buzzer as the presenter needs them; a GateSignaller is one. */
export interface GateSignals {
  show(lights: GateLights): void;
  sound(tone: BuzzerTone): void;
}

export interface PresenterLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface PresenterOptions {
  readonly events: SessionEvents;
  /** Absent on terminals without gate lamps or buzzer. */
  readonly gate?: GateSignals | undefined;
  readonly logger: PresenterLogger;
}

export interface PromptContext {
  /** The sensor whose aura should show the prompt (the one the traveller is at). */
  readonly sensor?: FingerprintSensor | undefined;
  readonly sessionId?: string | undefined;
  readonly position?: FingerPosition | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Shows one catalogue prompt everywhere it can be seen or heard at once: the sensor's own
 * light (where it has one), the gate's lamps and buzzer, and a prompt-shown event for the
 * display. Signalling never fails a capture: a light that cannot be set is logged and
 * the traveller still has the other channels.
 */
export class GuidancePresenter {
  readonly #events: SessionEvents;
  readonly #gate: GateSignals | undefined;
  readonly #log: PresenterLogger;
  #lastShown: ResolvedPrompt | undefined;

  constructor(options: PresenterOptions) {
    this.#events = options.events;
    this.#gate = options.gate;
    this.#log = options.logger;
  }

  /** The prompt on show now, for a display that connects mid-session. */
  get current(): ResolvedPrompt | undefined {
    return this.#lastShown;
  }

  async show(prompt: ResolvedPrompt, context: PromptContext = {}): Promise<void> {
    this.#lastShown = prompt;
    this.#events.emit({
      type: "prompt-shown",
      promptId: prompt.id,
      text: { en: prompt.en, ar: prompt.ar },
      ...(context.sessionId !== undefined && { sessionId: context.sessionId }),
      ...(context.position !== undefined && { position: context.position }),
    });
    if (this.#gate !== undefined) {
      this.#gate.show(prompt.lights);
      this.#gate.sound(prompt.tone);
    }
    const sensor = context.sensor;
    if (sensor === undefined || !hasIndicator(sensor)) return;
    try {
      await sensor.setIndicator(prompt.indicator, context.signal);
    } catch (error) {
      if (context.signal?.aborted === true) throw error;
      // The session notices a dead sensor on its next command; here it is only a light.
      const level = isSensorError(error, "unsupported") ? "debug" : "warn";
      this.#log[level](
        { sensorId: sensor.id, promptId: prompt.id, err: error },
        "indicator not set",
      );
    }
  }
}

function hasIndicator(sensor: FingerprintSensor): boolean {
  try {
    return sensor.describe().capabilities.indicator;
  } catch {
    return false;
  }
}
