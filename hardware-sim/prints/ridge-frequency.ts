import { fingerOfHand, type FingertipLayout } from "./orientation-field.js";
import { smoothNoise } from "./noise-field.js";
import type { Prng } from "./prng.js";

/** Adult ridges lie about 0.46 mm apart: 9 pixels at 500 ppi. */
export const MEAN_RIDGE_PERIOD_PX = 9;
/** Thumbs have the widest spacing and little fingers the narrowest. */
const FINGER_PERIOD_FACTOR: readonly number[] = [1.05, 1, 1, 0.98, 0.94];

/**
 * Ridge period (pixels) at every pixel. The spacing of a real finger is not constant:
 * ridges crowd together above the core and near the tip and spread out towards the
 * base and around the deltas, and the person's own scale varies a few percent.
 */
export function ridgePeriodField(
  layout: FingertipLayout,
  position: number,
  width: number,
  height: number,
  random: Prng,
): Float32Array {
  const personal =
    MEAN_RIDGE_PERIOD_PX *
    (FINGER_PERIOD_FACTOR[fingerOfHand(position) - 1] ?? 1) *
    (0.95 + 0.1 * random());
  const variation = smoothNoise(width, height, 90, random);
  const field = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    // -1 at the tip, +1 at the base of the pad.
    const along = (y - layout.centreY) / layout.halfHeight;
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      field[i] = personal * (1 + 0.05 * along + 0.05 * (variation[i] ?? 0));
    }
  }
  return field;
}
