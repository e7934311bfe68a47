/** ISO/IEC 19794-4 and ANSI/NIST-ITL finger position codes. */
export const FINGER_POSITIONS = {
  1: "right thumb",
  2: "right index",
  3: "right middle",
  4: "right ring",
  5: "right little",
  6: "left thumb",
  7: "left index",
  8: "left middle",
  9: "left ring",
  10: "left little",
  13: "right four-finger slap",
  14: "left four-finger slap",
  15: "both thumbs",
} as const;

export type FingerPosition = keyof typeof FINGER_POSITIONS;

export const FINGER_POSITION_CODES = Object.keys(FINGER_POSITIONS).map(Number) as FingerPosition[];

export function isFingerPosition(code: number): code is FingerPosition {
  return Object.hasOwn(FINGER_POSITIONS, code);
}

/** The field's common flows (see ../shared/reference/domain.md). */
export const BUILT_IN_PLANS = {
  /** Self-service kiosk: right index, then left index. */
  "kiosk-two-index": [2, 7],
  /** Ten-print in 4-4-2: right slap, left slap, both thumbs (slap-capable sensor). */
  "ten-print-442": [13, 14, 15],
  /** One-finger verification. */
  "verify-right-index": [2],
} as const satisfies Record<string, readonly FingerPosition[]>;

export type BuiltInPlanName = keyof typeof BUILT_IN_PLANS;
