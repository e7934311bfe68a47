import type { GreyImage } from "../../drivers/sensor.js";
import { greyLevelsAt } from "./grey-levels.js";

/**
 * Image statistics that tell capture conditions apart where the ISO/IEC 29794-4 measures
 * only say "worse": the standard's measures grade ridge clarity, but a wet finger and a
 * heavy press both lower it, and only where the dark goes (flat blobs or wide ridges)
 * separates them. Every figure is a ratio or a grey level over 255, so sensors of other
 * sizes and grey characters give comparable values.
 */
export interface ConditionFeatures {
  /** Share of 16x16 blocks that hold ridges (grey-level standard deviation of 10 or more). */
  readonly fingerArea: number;
  /** Distance of the finger area's centroid from the image centre, over half the diagonal. */
  readonly offCentre: number;
  /** Share of the border blocks holding finger: a finger cut off by the edge. */
  readonly edgeContact: number;
  /** Empty-platen grey level (98th percentile), over 255. */
  readonly platenLevel: number;
  /** Mean grey level of the finger blocks over the platen level: how dark the finger shows. */
  readonly fingerDarkness: number;
  /** Mean standard deviation of the finger blocks, over 128: ridge contrast. */
  readonly ridgeContrast: number;
  /** Share of finger-block pixels darker than their block mean: ridge width over period. */
  readonly ridgeDuty: number;
  /** Mean grey level of the finger blocks' valleys (pixels above the block mean) over the platen. */
  readonly valleyLevel: number;
  /** Spread within the valleys over the block's spread: residue or grain in the valley floors. */
  readonly valleyRoughness: number;
  /** Share of finger blocks that are dark and flat: ridges merged into blobs. */
  readonly darkFlatBlocks: number;
  /** Share of finger blocks whose ridges show faintly (deviation 10 to 25). */
  readonly faintBlocks: number;
  /** Share of blocks with faint texture (deviation 4 to 10): residue, ghosts, fading. */
  readonly faintTexture: number;
  /** Pixel-to-pixel roughness (mean absolute Laplacian) over the ridge contrast. */
  readonly roughness: number;
  /** Coherence of the image's summed gradient tensor: a smear has one dominant direction. */
  readonly smearDirectionality: number;
}

const BLOCK = 16;
const FINGER_DEVIATION = 10;
const FAINT_RIDGE_DEVIATION = 25;
const TEXTURE_DEVIATION = 4;
/** Dark-and-flat: below half the platen level with too little spread to hold ridges. */
const DARK_FLAT_LEVEL = 0.5;
const DARK_FLAT_DEVIATION = 18;

interface BlockStats {
  readonly mean: number;
  readonly deviation: number;
  readonly darkShare: number;
  readonly valleyMean: number;
  readonly valleyDeviation: number;
}

function blockStats(image: GreyImage, left: number, top: number): BlockStats {
  const { width, pixels } = image;
  let sum = 0;
  let squares = 0;
  for (let y = top; y < top + BLOCK; y++) {
    const row = y * width;
    for (let x = left; x < left + BLOCK; x++) {
      const value = pixels[row + x] as number;
      sum += value;
      squares += value * value;
    }
  }
  const count = BLOCK * BLOCK;
  const mean = sum / count;
  let dark = 0;
  let valleySum = 0;
  let valleySquares = 0;
  for (let y = top; y < top + BLOCK; y++) {
    const row = y * width;
    for (let x = left; x < left + BLOCK; x++) {
      const value = pixels[row + x] as number;
      if (value < mean) dark++;
      else {
        valleySum += value;
        valleySquares += value * value;
      }
    }
  }
  const valleys = Math.max(1, count - dark);
  const valleyMean = valleySum / valleys;
  return {
    mean,
    deviation: Math.sqrt(Math.max(0, squares / count - mean * mean)),
    darkShare: dark / count,
    valleyMean,
    valleyDeviation: Math.sqrt(Math.max(0, valleySquares / valleys - valleyMean * valleyMean)),
  };
}

/** Mean absolute 4-neighbour Laplacian and the coherence of the summed gradient tensor. */
function gradientStatistics(image: GreyImage): { laplacian: number; coherence: number } {
  const { width, height, pixels } = image;
  let laplacian = 0;
  let gxx = 0;
  let gyy = 0;
  let gxy = 0;
  for (let y = 1; y < height - 1; y++) {
    const row = y * width;
    for (let x = 1; x < width - 1; x++) {
      const i = row + x;
      const left = pixels[i - 1] as number;
      const right = pixels[i + 1] as number;
      const up = pixels[i - width] as number;
      const down = pixels[i + width] as number;
      laplacian += Math.abs(4 * (pixels[i] as number) - left - right - up - down);
      const gx = right - left;
      const gy = down - up;
      gxx += gx * gx;
      gyy += gy * gy;
      gxy += gx * gy;
    }
  }
  const inner = (width - 2) * (height - 2);
  const energy = gxx + gyy;
  return {
    laplacian: laplacian / (4 * inner),
    coherence: energy === 0 ? 0 : Math.sqrt((gxx - gyy) * (gxx - gyy) + 4 * gxy * gxy) / energy,
  };
}

/**
 * Computes the condition features of an 8-bit image of at least 16x16 pixels.
 * `platenLevel` is the image's 98th-percentile grey level, for a caller that has it.
 */
export function measureConditionFeatures(
  image: GreyImage,
  platenLevel = greyLevelsAt(image.pixels.subarray(0, image.width * image.height), [0.98])[0] ??
    255,
): ConditionFeatures {
  const { width, height } = image;
  const columns = Math.floor(width / BLOCK);
  const rows = Math.floor(height / BLOCK);
  const platen = Math.max(1, platenLevel);

  let finger = 0;
  let border = 0;
  let borderFinger = 0;
  let centroidX = 0;
  let centroidY = 0;
  let meanSum = 0;
  let deviationSum = 0;
  let dutySum = 0;
  let valleySum = 0;
  let valleySpreadSum = 0;
  let darkFlat = 0;
  let faint = 0;
  let texture = 0;
  for (let by = 0; by < rows; by++) {
    for (let bx = 0; bx < columns; bx++) {
      const stats = blockStats(image, bx * BLOCK, by * BLOCK);
      const onBorder = bx === 0 || by === 0 || bx === columns - 1 || by === rows - 1;
      if (onBorder) border++;
      const darkAndFlat =
        stats.mean < DARK_FLAT_LEVEL * platen && stats.deviation < DARK_FLAT_DEVIATION;
      if (stats.deviation < FINGER_DEVIATION && !darkAndFlat) {
        if (stats.deviation >= TEXTURE_DEVIATION) texture++;
        continue;
      }
      finger++;
      if (onBorder) borderFinger++;
      centroidX += (bx + 0.5) * BLOCK;
      centroidY += (by + 0.5) * BLOCK;
      meanSum += stats.mean;
      deviationSum += stats.deviation;
      dutySum += stats.darkShare;
      valleySum += stats.valleyMean;
      valleySpreadSum += stats.valleyDeviation / Math.max(1, stats.deviation);
      if (darkAndFlat) darkFlat++;
      else if (stats.deviation < FAINT_RIDGE_DEVIATION) faint++;
    }
  }
  const blocks = Math.max(1, rows * columns);
  const { laplacian, coherence } = gradientStatistics(image);
  const ridgeContrast = finger === 0 ? 0 : deviationSum / finger / 128;
  const halfDiagonal = Math.hypot(width, height) / 2;
  return {
    fingerArea: finger / blocks,
    offCentre:
      finger === 0
        ? 1
        : Math.hypot(centroidX / finger - width / 2, centroidY / finger - height / 2) /
          halfDiagonal,
    edgeContact: border === 0 ? 0 : borderFinger / border,
    platenLevel: platen / 255,
    fingerDarkness: finger === 0 ? 0 : 1 - meanSum / finger / platen,
    ridgeContrast,
    ridgeDuty: finger === 0 ? 0 : dutySum / finger,
    valleyLevel: finger === 0 ? 1 : valleySum / finger / platen,
    valleyRoughness: finger === 0 ? 0 : valleySpreadSum / finger,
    darkFlatBlocks: finger === 0 ? 0 : darkFlat / finger,
    faintBlocks: finger === 0 ? 0 : faint / finger,
    faintTexture: texture / blocks,
    roughness: laplacian / (128 * Math.max(ridgeContrast, 0.02)),
    smearDirectionality: coherence,
  };
}
