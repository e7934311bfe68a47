import type { IndicatorColour, IndicatorState } from "../sensor.js";

/**
 * What the R503's aura ring should do: a sensor's IndicatorState, passed straight
 * through, plus the aura's own speed (0-255; the manual gives no unit; defaults to
 * DEFAULT_AURA_SPEED).
 */
export type AuraSetting = IndicatorState extends infer State
  ? State extends { readonly pattern: "off" }
    ? State
    : State & { readonly speed?: number }
  : never;

/** The speed in the R503 manual's own example. */
export const DEFAULT_AURA_SPEED = 0x50;

const CONTROL_CODES = {
  breathing: 0x01,
  flashing: 0x02,
  steady: 0x03,
  off: 0x04,
  "fade-in": 0x05,
  "fade-out": 0x06,
} as const satisfies Record<AuraSetting["pattern"], number>;

const COLOUR_CODES = {
  red: 0x01,
  blue: 0x02,
  purple: 0x03,
  green: 0x04,
  yellow: 0x05,
  cyan: 0x06,
  white: 0x07,
} as const satisfies Record<IndicatorColour, number>;

/** AuraLedConfig's four argument bytes: control, speed, colour, count. */
export function encodeAura(setting: AuraSetting): Uint8Array {
  if (setting.pattern === "off") {
    // The module ignores colour and speed when switching off, but wants a valid colour index.
    return Uint8Array.of(CONTROL_CODES.off, 0, COLOUR_CODES.red, 0);
  }
  const speed = setting.speed ?? DEFAULT_AURA_SPEED;
  const cycles = setting.cycles ?? 0;
  checkByte(speed, "aura speed");
  checkByte(cycles, "aura cycles");
  return Uint8Array.of(CONTROL_CODES[setting.pattern], speed, COLOUR_CODES[setting.colour], cycles);
}

function checkByte(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new RangeError(`${what} must be an integer 0-255, got ${value}`);
  }
}
