/**
 * The terminal's non-verbal signals, named by meaning. The prompt catalogue says which
 * signal goes with which prompt; the gate signaller turns a signal into GPIO timing (the
 * gate's status LEDs and buzzer), so neither needs to know the other's details.
 */

/** The gate's status lamps. */
export const GATE_LAMPS = ["green", "red", "amber"] as const;
export type GateLamp = (typeof GATE_LAMPS)[number];

/** How a lamp shows: off, on, or blinking slow (1 Hz) or fast (4 Hz). */
export type LampPattern = "off" | "steady" | "blink-slow" | "blink-fast";

/** What the lamps show together; a lamp not named is off. */
export type GateLights = Readonly<Partial<Record<GateLamp, LampPattern>>>;

/**
 * Buzzer tones by meaning. A plain buzzer plays them as rhythms (the signaller defines
 * the timing): "ok" one short beep, "attention" two short, "error" one long, "alarm"
 * repeating until cleared.
 */
export const BUZZER_TONES = ["none", "ok", "attention", "error", "alarm"] as const;
export type BuzzerTone = (typeof BUZZER_TONES)[number];
