import type { BuzzerTone, LampPattern } from "../guidance/signals.js";

/** Half a blink period: 1 Hz is 500 ms lit, 500 ms dark; 4 Hz is 125 ms each. */
export const BLINK_HALF_PERIOD_MS: Readonly<Record<"blink-slow" | "blink-fast", number>> = {
  "blink-slow": 500,
  "blink-fast": 125,
};

/** One tick of the lamp clock; every blink rate is a whole number of ticks, so lamps stay in step. */
export const LAMP_TICK_MS = BLINK_HALF_PERIOD_MS["blink-fast"];

/** Whether a lamp with this pattern is lit at this tick of the lamp clock (tick 0 lit). */
export function lampLit(pattern: LampPattern, tick: number): boolean {
  switch (pattern) {
    case "off":
      return false;
    case "steady":
      return true;
    case "blink-slow":
    case "blink-fast":
      return Math.floor((tick * LAMP_TICK_MS) / BLINK_HALF_PERIOD_MS[pattern]) % 2 === 0;
  }
}

export interface ToneRhythm {
  /** Alternating sounding and silent spans in milliseconds, sounding first. */
  readonly steps: readonly number[];
  /** Starts again after the last step until another tone (or "none") replaces it. */
  readonly repeats: boolean;
}

/**
 * The rhythms a plain buzzer plays for each tone. Beeps are long enough to hear in a
 * busy hall and short enough that "ok" never delays the next traveller.
 */
export const TONE_RHYTHMS: Readonly<Record<Exclude<BuzzerTone, "none">, ToneRhythm>> = {
  ok: { steps: [120], repeats: false },
  attention: { steps: [120, 120, 120], repeats: false },
  error: { steps: [700], repeats: false },
  alarm: { steps: [250, 250], repeats: true },
};
