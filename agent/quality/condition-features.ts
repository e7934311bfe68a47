import type { GreyImage } from "../../drivers/sensor.js";
import { SURVEY_BLOCK, surveyImage, surveyLevels, type ImageSurvey } from "./image-survey.js";

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

const BLOCK = SURVEY_BLOCK;
const BLOCK_PIXELS = BLOCK * BLOCK;
const FINGER_DEVIATION = 10;
const FAINT_RIDGE_DEVIATION = 25;
const TEXTURE_DEVIATION = 4;
/** Dark-and-flat: below half the platen level with too little spread to hold ridges. */
const DARK_FLAT_LEVEL = 0.5;
const DARK_FLAT_DEVIATION = 18;

/**
 * The ridge/valley split of the current finger block (see splitBlock). Sums of grey levels
 * are integers, so they are exact whatever the order of summing; shared by every call (no
 * reentry).
 */
const block = { dark: 0, valleySum: 0, valleySquares: 0 };

/**
 * The block's pixels darker than its mean (ridge), and the sum and sum of squares of the
 * others (valley), into `block`. Only finger blocks need them, so a slap's empty platen
 * is read once, not twice.
 */
function splitBlock(
  pixels: Uint8Array,
  width: number,
  left: number,
  top: number,
  sum: number,
): void {
  let dark = 0;
  let valleySum = 0;
  let valleySquares = 0;
  for (let row = top * width + left, end = row + BLOCK * width; row < end; row += width) {
    for (let i = row; i < row + BLOCK; i++) {
      const value = pixels[i] as number;
      // 1 when value < sum / count, in integers and without a branch to mispredict.
      const isDark = (value * BLOCK_PIXELS - sum) >>> 31;
      const valley = value * (1 - isDark);
      dark += isDark;
      valleySum += valley;
      valleySquares += valley * valley;
    }
  }
  block.dark = dark;
  block.valleySum = valleySum;
  block.valleySquares = valleySquares;
}

/**
 * Computes the condition features of an 8-bit image of at least 16x16 pixels.
 * `platenLevel` is the image's 98th-percentile grey level, and `survey` its survey, for a
 * caller that has them.
 */
export function measureConditionFeatures(
  image: GreyImage,
  platenLevel?: number,
  survey: ImageSurvey = surveyImage(image),
): ConditionFeatures {
  const { width, height } = image;
  const { blockColumns: columns, blockRows: rows, blockSums, blockSquares } = survey;
  const platen = Math.max(1, platenLevel ?? surveyLevels(survey, [0.98])[0] ?? 255);

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
  const { pixels } = image;
  const darkFlatLimit = DARK_FLAT_LEVEL * platen;
  for (let by = 0; by < rows; by++) {
    for (let bx = 0; bx < columns; bx++) {
      const sum = blockSums[by * columns + bx] as number;
      const mean = sum / BLOCK_PIXELS;
      const deviation = Math.sqrt(
        Math.max(0, (blockSquares[by * columns + bx] as number) / BLOCK_PIXELS - mean * mean),
      );
      const onBorder = bx === 0 || by === 0 || bx === columns - 1 || by === rows - 1;
      if (onBorder) border++;
      const darkAndFlat = mean < darkFlatLimit && deviation < DARK_FLAT_DEVIATION;
      if (deviation < FINGER_DEVIATION && !darkAndFlat) {
        if (deviation >= TEXTURE_DEVIATION) texture++;
        continue;
      }
      splitBlock(pixels, width, bx * BLOCK, by * BLOCK, sum);
      const valleys = Math.max(1, BLOCK_PIXELS - block.dark);
      const valleyMean = block.valleySum / valleys;
      const valleyDeviation = Math.sqrt(
        Math.max(0, block.valleySquares / valleys - valleyMean * valleyMean),
      );
      finger++;
      if (onBorder) borderFinger++;
      centroidX += (bx + 0.5) * BLOCK;
      centroidY += (by + 0.5) * BLOCK;
      meanSum += mean;
      deviationSum += deviation;
      dutySum += block.dark / BLOCK_PIXELS;
      valleySum += valleyMean;
      valleySpreadSum += valleyDeviation / Math.max(1, deviation);
      if (darkAndFlat) darkFlat++;
      else if (deviation < FAINT_RIDGE_DEVIATION) faint++;
    }
  }
  const blocks = Math.max(1, rows * columns);
  const { gxx, gyy, gxy } = survey;
  const energy = gxx + gyy;
  const coherence =
    energy === 0 ? 0 : Math.sqrt((gxx - gyy) * (gxx - gyy) + 4 * gxy * gxy) / energy;
  const laplacian = survey.laplacian / (4 * (width - 2) * (height - 2));
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
