import type { GreyImage } from "../../drivers/sensor.js";
import { mixSeeds, mulberry32, type Prng } from "./prng.js";

export interface SimplePrintOptions {
  /** Identifies the simulated person; with `position` it fixes the ridge pattern. */
  readonly seed: number;
  /** Finger position code (ISO/IEC 19794-4): each finger of a person has its own pattern. */
  readonly position: number;
  readonly width: number;
  readonly height: number;
  /** Defaults to 500, the resolution of every supported module. */
  readonly resolutionPpi?: number;
  /** False renders an empty platen: background and sensor noise only. */
  readonly present?: boolean;
}

const REFERENCE_PPI = 500;
/** Adult ridges lie about 0.46 mm apart: 9 pixels at 500 ppi. */
const RIDGE_PERIOD_PX = 9;
/** A fingertip's contact area is roughly 15 x 20 mm; these are its half-axes in pixels at 500 ppi. */
const FINGERTIP_HALF_WIDTH_PX = 148;
const FINGERTIP_HALF_HEIGHT_PX = 197;
/** Fraction of the fingertip's radius over which pressure, and so ridge contrast, fades out. */
const SOFT_EDGE = 0.15;
/** Half-width of the uniform sensor noise in grey levels (standard deviation about 2.3). */
const NOISE_PEAK = 4;
/** Smooth warps of the flow field, so that prints are not perfect conics. */
const WARP_TERMS = 3;

function between(random: Prng, low: number, high: number): number {
  return low + (high - low) * random();
}

/** Writes amplitude·sin(2π·t/wavelength + phase) for t = 0..length-1 into `into` at `start`. */
function fillWave(
  into: Float64Array,
  start: number,
  length: number,
  random: Prng,
  scale: number,
): void {
  const amplitude = between(random, 0.8, 1.4);
  const k = (2 * Math.PI) / (between(random, 90, 220) * scale);
  const phase = between(random, 0, 2 * Math.PI);
  for (let t = 0; t < length; t++) into[start + t] = amplitude * Math.sin(k * t + phase);
}

function checkDimension(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

/**
 * A plausible synthetic fingertip: dark ridges on a light platen, ridges running as
 * nested ovals around a core. A walking-skeleton generator, good enough to exercise
 * capture, quality and storage paths; it draws no minutiae, deltas or pores.
 *
 * Ridges follow the level sets of |d| - β·(d·u), d the offset from the core and u a
 * slightly tilted downward unit vector: for β < 1, ellipses with the core at a focus,
 * a little tighter towards the fingertip and wider towards the base, then bent by a
 * few smooth warps so that no two prints are the same conic. The result looks like a
 * whorl; loops and arches need the orientation-field generator that will replace this.
 */
export function renderSimplePrint(options: SimplePrintOptions): GreyImage {
  const { seed, position, width, height, resolutionPpi = REFERENCE_PPI, present = true } = options;
  checkDimension("width", width);
  checkDimension("height", height);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isSafeInteger(position)) {
    throw new RangeError(`position must be an integer, got ${position}`);
  }
  if (!Number.isFinite(resolutionPpi) || resolutionPpi <= 0) {
    throw new RangeError(`resolutionPpi must be positive, got ${resolutionPpi}`);
  }

  // Every parameter is drawn, in a fixed order, whether or not a finger is present, so
  // the same seed gives the same background and noise with and without a finger.
  const random = mulberry32(mixSeeds(seed, position));
  const scale = resolutionPpi / REFERENCE_PPI;
  const background = between(random, 236, 244);

  const maskX = width / 2 + between(random, -0.06, 0.06) * width;
  const maskY = height / 2 + between(random, -0.05, 0.05) * height;
  const maskRx =
    Math.min(FINGERTIP_HALF_WIDTH_PX * scale, 0.4 * width) * between(random, 0.92, 1.04);
  const maskRy =
    Math.min(FINGERTIP_HALF_HEIGHT_PX * scale, 0.44 * height) * between(random, 0.92, 1.04);

  const coreX = maskX + between(random, -0.15, 0.15) * maskRx;
  const coreY = maskY - between(random, 0.05, 0.3) * maskRy;
  const beta = between(random, 0.15, 0.3);
  const tilt = between(random, -0.35, 0.35);
  const openX = beta * Math.sin(tilt);
  const openY = beta * Math.cos(tilt);
  const waveNumber = (2 * Math.PI) / (RIDGE_PERIOD_PX * scale * between(random, 0.94, 1.06));
  const depth = between(random, 150, 190);

  // Each warp is separable, colWarp(x)·rowWarp(y), so the per-pixel cost is a few
  // multiplications instead of a sine per term.
  const colWarp = new Float64Array(WARP_TERMS * width);
  const rowWarp = new Float64Array(WARP_TERMS * height);
  for (let term = 0; term < WARP_TERMS; term++) {
    fillWave(colWarp, term * width, width, random, scale);
    fillWave(rowWarp, term * height, height, random, scale);
  }
  const rowWeights = new Float64Array(WARP_TERMS);

  const edgeStart = 1 - SOFT_EDGE;
  const grey = new Uint8ClampedArray(width * height);
  for (let y = 0; y < height; y++) {
    const dy = y - coreY;
    const my = (y - maskY) / maskRy;
    const my2 = my * my;
    for (let term = 0; term < WARP_TERMS; term++) {
      rowWeights[term] = rowWarp[term * height + y] ?? 0;
    }
    const rowStart = y * width;
    for (let x = 0; x < width; x++) {
      let value = background + (random() - 0.5) * 2 * NOISE_PEAK;
      const mx = (x - maskX) / maskRx;
      const e2 = mx * mx + my2;
      if (present && e2 < 1) {
        const e = Math.sqrt(e2);
        let contact = 1;
        if (e > edgeStart) {
          const t = (1 - e) / SOFT_EDGE;
          contact = t * t * (3 - 2 * t);
        }
        const dx = x - coreX;
        const flow = Math.sqrt(dx * dx + dy * dy) - (dx * openX + dy * openY);
        let warp = 0;
        for (let term = 0; term < WARP_TERMS; term++) {
          warp += (rowWeights[term] ?? 0) * (colWarp[term * width + x] ?? 0);
        }
        value -= contact * depth * (0.5 + 0.5 * Math.cos(flow * waveNumber + warp));
      }
      grey[rowStart + x] = value;
    }
  }
  return { width, height, resolutionPpi, pixels: new Uint8Array(grey.buffer) };
}
