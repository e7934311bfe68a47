/**
 * Even-symmetric Gabor kernels tuned to ridges of a given direction and period. Growing
 * ridges filters every pixel many times, so the kernels are computed once per
 * (orientation, period) bin and stored as flat tap lists whose offsets already include
 * the image width: the inner loop is then one multiply-add per tap.
 */

export const ORIENTATION_BINS = 32;
export const PERIOD_MIN_PX = 6;
export const PERIOD_MAX_PX = 13;
export const PERIOD_STEP_PX = 0.5;
const PERIOD_BINS = Math.round((PERIOD_MAX_PX - PERIOD_MIN_PX) / PERIOD_STEP_PX) + 1;
/** Taps reach this far; the envelope is down to a fifth there for the mean period. */
export const KERNEL_RADIUS = 5;

export interface GaborBank {
  readonly width: number;
  /** Per bin, offsets relative to the centre pixel in a row-major image of `width`. */
  readonly offsets: readonly Int32Array[];
  readonly weights: readonly Float32Array[];
}

export function orientationBin(angle: number): number {
  const turns = angle / Math.PI;
  const wrapped = turns - Math.floor(turns);
  return Math.round(wrapped * ORIENTATION_BINS) % ORIENTATION_BINS;
}

export function periodBin(period: number): number {
  const bin = Math.round((period - PERIOD_MIN_PX) / PERIOD_STEP_PX);
  return Math.min(PERIOD_BINS - 1, Math.max(0, bin));
}

export function bankIndex(angle: number, period: number): number {
  return orientationBin(angle) * PERIOD_BINS + periodBin(period);
}

/**
 * A kernel that answers 1 to a unit cosine across ridges of its own direction and
 * period, and 0 to a flat image (its mean is removed): growth then keeps the ridge
 * amplitude near 1 and cannot drift towards all-dark or all-light.
 */
function kernel(
  angle: number,
  period: number,
  width: number,
): { offsets: Int32Array; weights: Float32Array } {
  const sigma = 0.38 * period;
  const across = { x: -Math.sin(angle), y: Math.cos(angle) };
  const offsets: number[] = [];
  const envelope: number[] = [];
  const wave: number[] = [];
  for (let dy = -KERNEL_RADIUS; dy <= KERNEL_RADIUS; dy++) {
    for (let dx = -KERNEL_RADIUS; dx <= KERNEL_RADIUS; dx++) {
      const r2 = dx * dx + dy * dy;
      if (r2 > (KERNEL_RADIUS + 0.5) ** 2) continue;
      offsets.push(dy * width + dx);
      envelope.push(Math.exp(-r2 / (2 * sigma * sigma)));
      wave.push(Math.cos((2 * Math.PI * (dx * across.x + dy * across.y)) / period));
    }
  }
  let envelopeSum = 0;
  let waveSum = 0;
  for (let i = 0; i < envelope.length; i++) {
    envelopeSum += envelope[i] ?? 0;
    waveSum += (envelope[i] ?? 0) * (wave[i] ?? 0);
  }
  const dc = waveSum / envelopeSum;
  const weights = envelope.map((e, i) => e * ((wave[i] ?? 0) - dc));
  let gain = 0;
  for (let i = 0; i < weights.length; i++) gain += (weights[i] ?? 0) * (wave[i] ?? 0);
  return {
    offsets: Int32Array.from(offsets),
    weights: Float32Array.from(weights, (w) => w / gain),
  };
}

const banks = new Map<number, GaborBank>();

/** The bank for images `width` pixels wide, built on first use. */
export function gaborBank(width: number): GaborBank {
  let bank = banks.get(width);
  if (!bank) {
    const offsets: Int32Array[] = [];
    const weights: Float32Array[] = [];
    for (let o = 0; o < ORIENTATION_BINS; o++) {
      for (let p = 0; p < PERIOD_BINS; p++) {
        const built = kernel(
          (o * Math.PI) / ORIENTATION_BINS,
          PERIOD_MIN_PX + p * PERIOD_STEP_PX,
          width,
        );
        offsets.push(built.offsets);
        weights.push(built.weights);
      }
    }
    bank = { width, offsets, weights };
    banks.set(width, bank);
  }
  return bank;
}
