import type { GpioOutput, LineValue } from "../../drivers/gpio/gpio.js";
import {
  GATE_LAMPS,
  type BuzzerTone,
  type GateLamp,
  type GateLights,
  type LampPattern,
} from "../guidance/signals.js";
import { errorMessage, type GateLogger } from "./gate-logger.js";
import { LAMP_TICK_MS, TONE_RHYTHMS, lampLit } from "./signal-timing.js";

export interface GateSignallerOptions {
  /** The gate's lamps; a lamp without a line is left out of every pattern. */
  readonly lamps: Readonly<Partial<Record<GateLamp, GpioOutput>>>;
  readonly buzzer?: GpioOutput | undefined;
  readonly logger: GateLogger;
}

/**
 * Plays the gate's signals (agent/guidance/signals.ts) on its lamps and buzzer. Each
 * new pattern replaces the last at once, lights and tones independently: a traveller
 * must never see the previous prompt's blinking. Signalling is not safety-relevant, so
 * a line that fails is logged (once until it recovers) and the rest go on.
 */
export class GateSignaller {
  readonly #lamps: readonly (readonly [GateLamp, GpioOutput])[];
  readonly #buzzer: GpioOutput | undefined;
  readonly #log: GateLogger;
  readonly #failing = new Set<string>();
  #lights: GateLights = {};
  #tone: BuzzerTone = "none";
  #lampTimer: NodeJS.Timeout | undefined;
  #toneTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: GateSignallerOptions) {
    this.#lamps = GATE_LAMPS.flatMap((lamp) => {
      const line = options.lamps[lamp];
      return line === undefined ? [] : [[lamp, line] as const];
    });
    this.#buzzer = options.buzzer;
    this.#log = options.logger;
  }

  get lights(): GateLights {
    return this.#lights;
  }

  get tone(): BuzzerTone {
    return this.#tone;
  }

  /** Shows these lights from now on; lamps not named go dark. Blinking starts lit. */
  show(lights: GateLights): void {
    if (this.#closed) return;
    clearInterval(this.#lampTimer);
    this.#lampTimer = undefined;
    this.#lights = lights;
    const patternOf = (lamp: GateLamp): LampPattern => lights[lamp] ?? "off";
    this.#paintLamps(patternOf, 0);
    const blinking = this.#lamps.some(([lamp]) => patternOf(lamp).startsWith("blink"));
    if (!blinking) return;
    let tick = 0;
    this.#lampTimer = setInterval(() => {
      tick += 1;
      this.#paintLamps(patternOf, tick);
    }, LAMP_TICK_MS);
    this.#lampTimer.unref();
  }

  /** Plays this tone from now on, cutting off the one before; "none" silences the buzzer. */
  sound(tone: BuzzerTone): void {
    if (this.#closed) return;
    clearTimeout(this.#toneTimer);
    this.#toneTimer = undefined;
    this.#tone = tone;
    const buzzer = this.#buzzer;
    if (buzzer === undefined) return;
    if (tone === "none") {
      this.#write(buzzer, 0);
      return;
    }
    const rhythm = TONE_RHYTHMS[tone];
    const play = (step: number): void => {
      const span = rhythm.steps[step];
      if (span === undefined) {
        if (rhythm.repeats) {
          play(0);
          return;
        }
        this.#write(buzzer, 0);
        this.#toneTimer = undefined;
        this.#tone = "none";
        return;
      }
      this.#write(buzzer, step % 2 === 0 ? 1 : 0);
      this.#toneTimer = setTimeout(() => {
        play(step + 1);
      }, span);
      this.#toneTimer.unref();
    };
    play(0);
  }

  /** Stops every pattern and turns every lamp and the buzzer off; later signals are ignored. */
  close(): void {
    if (this.#closed) return;
    this.show({});
    this.sound("none");
    this.#closed = true;
  }

  #paintLamps(patternOf: (lamp: GateLamp) => LampPattern, tick: number): void {
    for (const [lamp, line] of this.#lamps) {
      this.#write(line, lampLit(patternOf(lamp), tick) ? 1 : 0);
    }
  }

  #write(line: GpioOutput, value: LineValue): void {
    try {
      if (line.value !== value || this.#failing.has(line.name)) line.write(value);
      if (this.#failing.delete(line.name)) {
        this.#log.info({ line: line.name }, "signal line works again");
      }
    } catch (error) {
      if (this.#failing.has(line.name)) return;
      this.#failing.add(line.name);
      this.#log.warn({ line: line.name, error: errorMessage(error) }, "signal line failed");
    }
  }
}
