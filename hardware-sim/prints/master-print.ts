import { bankIndex, gaborBank, KERNEL_RADIUS } from "./gabor-bank.js";
import {
  chooseFingerClass,
  fingertipSize,
  layoutFingertip,
  orientationField,
  type FingertipLayout,
} from "./orientation-field.js";
import { mixSeeds, mulberry32 } from "./prng.js";
import { ridgePeriodField } from "./ridge-frequency.js";

/**
 * The ridge pattern of one finger, independent of any capture: what every impression
 * of that finger is taken from.
 */
export interface MasterPrint extends FingertipLayout {
  readonly seed: number;
  readonly position: number;
  readonly width: number;
  readonly height: number;
  /** Ridge relief, about -1 (valley floor) to 1 (ridge crest); 0 off the skin. */
  readonly ridges: Float32Array;
}

/** Skin around the contact ellipse, so that a shifted or pressed impression still finds ridges. */
const MARGIN_PX = 28;
/** Ridges are grown this far beyond the contact ellipse (as a fraction of its radius). */
const GROWN_EXTENT = 1.15;
const GROWTH_PASSES = 6;
/** Overdrive before clipping: pushes the relief towards a clean two-level pattern. */
const GROWTH_GAIN = 2.2;
const CACHE_SIZE = 48;

const cache = new Map<string, MasterPrint>();

function checkFinger(seed: number, position: number): void {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isInteger(position) || position < 1 || position > 10) {
    throw new RangeError(`a single finger's position is 1 to 10, got ${position}`);
  }
}

/**
 * The master print of finger `position` (ISO/IEC 19794-4: 1 right thumb .. 10 left
 * little) of the person `seed`, built on first use and then kept, most recently used
 * first, because building one costs far more than an impression.
 */
export function masterPrint(seed: number, position: number): MasterPrint {
  checkFinger(seed, position);
  const key = `${seed}:${position}`;
  const cached = cache.get(key);
  if (cached) {
    cache.delete(key);
    cache.set(key, cached);
    return cached;
  }
  const built = buildMasterPrint(seed, position);
  cache.set(key, built);
  if (cache.size > CACHE_SIZE) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return built;
}

/**
 * SFinGe-style ridge growth: starting from white noise, every pass filters each pixel
 * with the Gabor kernel of its own ridge direction and period and clips the result, so
 * that only structure matching the local flow survives and is reinforced; minutiae
 * appear where the flow forces ridges to end or split. The last pass is left unclipped
 * so ridges keep a rounded profile that impressions can threshold at any thickness.
 */
export function buildMasterPrint(seed: number, position: number): MasterPrint {
  checkFinger(seed, position);
  const random = mulberry32(mixSeeds(seed, position, 0x6d61));
  const { halfWidth, halfHeight } = fingertipSize(position);
  const scale = 0.94 + 0.12 * random();
  const rx = Math.round(halfWidth * scale);
  const ry = Math.round(halfHeight * scale);
  const width = 2 * (rx + MARGIN_PX);
  const height = 2 * (ry + MARGIN_PX);
  const centreX = width / 2;
  const centreY = height / 2;
  const fingerClass = chooseFingerClass(position, random);
  const layout = layoutFingertip(fingerClass, centreX, centreY, rx, ry, random);
  const orientation = orientationField(layout, width, height, random);
  const period = ridgePeriodField(layout, position, width, height, random);

  // Only pixels near the fingertip are grown; the rest stays 0 and costs nothing.
  const active: number[] = [];
  const limit = GROWN_EXTENT * GROWN_EXTENT;
  for (let y = KERNEL_RADIUS; y < height - KERNEL_RADIUS; y++) {
    const ey = (y - centreY) / ry;
    for (let x = KERNEL_RADIUS; x < width - KERNEL_RADIUS; x++) {
      const ex = (x - centreX) / rx;
      if (ex * ex + ey * ey <= limit) active.push(y * width + x);
    }
  }
  const pixels = Int32Array.from(active);
  const kernelOf = new Uint16Array(pixels.length);
  for (let k = 0; k < pixels.length; k++) {
    const i = pixels[k] ?? 0;
    kernelOf[k] = bankIndex(orientation[i] ?? 0, period[i] ?? 0);
  }

  const bank = gaborBank(width);
  let current = new Float32Array(width * height);
  for (const i of pixels) current[i] = random() * 2 - 1;
  let next = new Float32Array(width * height);
  for (let pass = 0; pass < GROWTH_PASSES; pass++) {
    const last = pass === GROWTH_PASSES - 1;
    for (let k = 0; k < pixels.length; k++) {
      const i = pixels[k] ?? 0;
      const bin = kernelOf[k] ?? 0;
      const offsets = bank.offsets[bin] ?? new Int32Array(0);
      const weights = bank.weights[bin] ?? new Float32Array(0);
      let sum = 0;
      for (let t = 0; t < offsets.length; t++) {
        sum += (weights[t] ?? 0) * (current[i + (offsets[t] ?? 0)] ?? 0);
      }
      next[i] = last ? sum : Math.max(-1, Math.min(1, GROWTH_GAIN * sum));
    }
    [current, next] = [next, current];
  }
  // Ridges print dark, so a ridge crest is the positive extreme of the relief.
  normaliseRelief(current, pixels);

  return {
    seed,
    position,
    fingerClass,
    width,
    height,
    ridges: current,
    centreX,
    centreY,
    halfWidth: rx,
    halfHeight: ry,
    cores: layout.cores,
    deltas: layout.deltas,
  };
}

/** Scales the relief so that its typical crest sits at 1, then softly bounds it. */
function normaliseRelief(relief: Float32Array, pixels: Int32Array): void {
  let sumOfSquares = 0;
  for (const i of pixels) sumOfSquares += (relief[i] ?? 0) ** 2;
  // A sinusoid's crest is √2 times its RMS.
  const crest = Math.sqrt((2 * sumOfSquares) / Math.max(1, pixels.length)) || 1;
  for (const i of pixels) relief[i] = Math.tanh((1.3 * (relief[i] ?? 0)) / crest);
}
