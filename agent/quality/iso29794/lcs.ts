import {
  SLANTED_ACROSS,
  SLANTED_ALONG,
  labelFlips,
  ridgeValleyStructure,
  type SlantedBlockGrid,
} from "./block-geometry.js";
import { RidgeValleyScratch, sampleGridBlock } from "./slanted-block.js";
import { ValueList, type HistogramFeature } from "./histogram.js";
import type { Plane } from "./prepare.js";

/** NFIQ 2 LCSHISTLIMITS: inner bin boundaries of the LCS histogram. */
const LCS_BOUNDARIES = [0, 0.7, 0.74, 0.77, 0.79, 0.81, 0.83, 0.85, 0.87] as const;
/**
 * Ridge and valley widths are normalised by the widest ridge expected at 500 ppi: 5 pixels
 * at 125 ppi scaled by 500/125 (NFIQ 2 loclar, Wrmax125 with scanner resolution 500).
 */
const WIDTH_NORM = (500 / 125) * 5;
/**
 * Plausible ridge widths 3-10 pixels and valley widths 2-10 pixels (NFIQ 2 loclar). NFIQ 2
 * normalises the valley limits by the ridge scale as well; both scales are 20, so it does
 * not matter.
 */
const RIDGE_MIN = 3 / WIDTH_NORM;
const RIDGE_MAX = 10 / WIDTH_NORM;
const VALLEY_MIN = 2 / WIDTH_NORM;
const VALLEY_MAX = 10 / WIDTH_NORM;

/** LCS looks along the ridges, in the unpadded window. */
const SHAPE = { pad: false, rows: SLANTED_ALONG, columns: SLANTED_ACROSS } as const;

/** Local clarity of one block, 0 (worst) to 1 (best). */
function localClarity(
  plane: Plane,
  grid: SlantedBlockGrid,
  index: number,
  s: RidgeValleyScratch,
): number {
  const rows = SLANTED_ALONG;
  const columns = SLANTED_ACROSS;
  sampleGridBlock(plane, grid, index, SHAPE, "columns", true, s.samples);
  ridgeValleyStructure(s.samples.columnSums, rows, columns, s.ridge, s.threshold, s.profile);

  // Positions (counted from the second column) where the ridge/valley label flips.
  const changeCount = labelFlips(s.ridge, columns, s.changes);
  if (changeCount === 0) return 0;

  // Run widths alternate ridge, valley, ... from the first run (NFIQ 2 loclar's Wrv).
  const startsWithRidge = s.ridge[0] === 1;
  let ridgeSum = 0;
  let ridgeRuns = 0;
  let valleySum = 0;
  let valleyRuns = 0;
  for (let i = 0; i < changeCount; i++) {
    const width = i === 0 ? (s.changes[0] ?? 0) : (s.changes[i] ?? 0) - (s.changes[i - 1] ?? 0);
    if ((i % 2 === 0) === startsWithRidge) {
      ridgeSum += width;
      ridgeRuns++;
    } else {
      valleySum += width;
      valleyRuns++;
    }
  }
  const ridgeWidth = ridgeRuns === 0 ? 0 : ridgeSum / ridgeRuns / WIDTH_NORM;
  const valleyWidth = valleyRuns === 0 ? 0 : valleySum / valleyRuns / WIDTH_NORM;
  if (
    ridgeWidth < RIDGE_MIN ||
    ridgeWidth > RIDGE_MAX ||
    valleyWidth < VALLEY_MIN ||
    valleyWidth > VALLEY_MAX
  ) {
    return 0;
  }

  // Share of ridge pixels lighter than the line and valley pixels darker than it. Pixels
  // are integers, so "below the line" is "below its ceiling", which the sign bit of the
  // difference gives without a branch to mispredict on every other pixel.
  let ridgeWrong = 0;
  let ridgePixels = 0;
  let valleyWrong = 0;
  let valleyPixels = 0;
  const block = s.samples.block;
  for (let c = 0; c < columns; c++) {
    const ceiling = Math.ceil(s.threshold[c] as number);
    let below = 0;
    for (let at = c; at < rows * columns; at += columns) {
      below += ((block[at] as number) - ceiling) >>> 31;
    }
    if (s.ridge[c] === 1) {
      ridgeWrong += rows - below;
      ridgePixels += rows;
    } else {
      valleyWrong += below;
      valleyPixels += rows;
    }
  }
  if (ridgePixels === 0 || valleyPixels === 0) return 0;
  return 1 - (valleyWrong / valleyPixels + ridgeWrong / ridgePixels) / 2;
}

/**
 * Local clarity score (ISO/IEC 29794-4 LCS; NFIQ 2 LCSFeature) of every foreground block:
 * how cleanly the grey levels across the ridges split into ridge and valley runs of
 * plausible width. Blocks are added one at a time (see measureIso29794's block loop).
 */
export class LcsMeasure {
  private readonly scratch = new RidgeValleyScratch();
  private readonly values: ValueList;

  constructor(blocks: number) {
    this.values = new ValueList(blocks);
  }

  add(plane: Plane, grid: SlantedBlockGrid, index: number): void {
    this.values.push(localClarity(plane, grid, index, this.scratch));
  }

  histogram(): HistogramFeature {
    return this.values.histogram(LCS_BOUNDARIES);
  }
}
