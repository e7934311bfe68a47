import type { IndicatorColour } from "../sensor.js";

/**
 * What the R503's aura ring should do. Shaped like IndicatorState so a sensor's
 * indicator state can be passed straight through; speed is the aura's own addition.
 */
export type AuraSetting =
  | { readonly pattern: "off" }
  | {
      readonly pattern: "steady" | "breathing" | "flashing" | "fade-in" | "fade-out";
      readonly colour: IndicatorColour;
      /** 0-255; the manual gives no unit. Defaults to DEFAULT_AURA_SPEED. */
      readonly speed?: number;
      /** Breathing and flashing: 1-255 cycles, 0 (the default) until the next setting. */
      readonly cycles?: number;
    };

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
