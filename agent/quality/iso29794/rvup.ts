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

/** NFIQ 2 RVUPHISTLIMITS: inner bin boundaries of the RVUP histogram. */
const RVUP_BOUNDARIES = [0.5, 0.667, 0.8, 1, 1.25, 1.5, 2, 24, 30] as const;

/** RVUP looks along the ridges, in the padded window. */
const SHAPE = { pad: true, rows: SLANTED_ALONG, columns: SLANTED_ACROSS } as const;

/** RVUP also keeps the widths of the complete runs. */
class Scratch extends RidgeValleyScratch {
  readonly widths = new Int32Array(SLANTED_ACROSS);
}

/**
 * Adds the ratios of neighbouring complete ridge and valley widths of one block to
 * `values` (NFIQ 2 rvuhist). Incomplete runs at both ends are dropped; ratios are taken
 * ridge over valley, i.e. every other ratio is inverted according to the first run.
 */
function addRidgeValleyRatios(
  plane: Plane,
  grid: SlantedBlockGrid,
  index: number,
  s: Scratch,
  values: ValueList,
): void {
  const rows = SLANTED_ALONG;
  const columns = SLANTED_ACROSS;
  sampleGridBlock(plane, grid, index, SHAPE, "columns", false, s.samples);
  ridgeValleyStructure(s.samples.columnSums, rows, columns, s.ridge, s.threshold, s.profile);

  // NFIQ 2 looks for label flips among the first 31 columns only.
  const changeCount = labelFlips(s.ridge, columns - 1, s.changes);
  if (changeCount === 0) return;
  const first = s.changes[0] ?? 0;
  const last = s.changes[changeCount - 1] ?? 0;
  if (last <= first + 1) return;
  const startsWithRidge = s.ridge[first + 1] === 1 ? 1 : 0;
  if (changeCount < 3) return;

  // Widths of the complete runs, taken from the last run back to the first, as NFIQ 2 does.
  let widthCount = 0;
  for (let i = changeCount - 1; i > 1; i--) {
    s.widths[widthCount++] = (s.changes[i] ?? 0) - (s.changes[i - 1] ?? 0);
  }
  for (let m = 0; m + 1 < widthCount; m++) {
    const ratio = (s.widths[m] ?? 0) / (s.widths[m + 1] ?? 1);
    values.push((m - startsWithRidge) % 2 === 0 ? 1 / ratio : ratio);
  }
}

/**
 * Ridge-valley uniformity (ISO/IEC 29794-4 RVU; NFIQ 2 RVUPHistogramFeature): the ratios
 * of neighbouring ridge and valley widths across every foreground block; uniform prints
 * keep them near 1. Blocks are added one at a time.
 */
export class RvupMeasure {
  private readonly scratch = new Scratch();
  private readonly values: ValueList;

  constructor(blocks: number) {
    this.values = new ValueList(blocks * 4);
  }

  add(plane: Plane, grid: SlantedBlockGrid, index: number): void {
    addRidgeValleyRatios(plane, grid, index, this.scratch, this.values);
  }

  histogram(): HistogramFeature {
    return this.values.histogram(RVUP_BOUNDARIES);
  }
}
