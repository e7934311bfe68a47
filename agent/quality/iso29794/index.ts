import type { GreyImage } from "../../../drivers/sensor.js";
import {
  SegmentationMask,
  SlantedBlockGrid,
  slantedForeground,
  slantedGridSize,
} from "./block-geometry.js";
import { blockCovariances } from "./block-gradients.js";
import { blockStatistics } from "./block-statistics.js";
import { measureCoherence } from "./coherence.js";
import { measureContrast } from "./contrast.js";
import { FdaMeasure } from "./fda.js";
import type { HistogramFeature } from "./histogram.js";
import { LcsMeasure } from "./lcs.js";
import { measureOcl } from "./ocl.js";
import { measureOrientationFlow } from "./orientation-flow.js";
import { prepareImage, type Plane } from "./prepare.js";
import { computeRegionOfInterest } from "./roi.js";
import { RvupMeasure } from "./rvup.js";
import { toWordImage } from "./word-image.js";

export { Iso29794InputError, type Iso29794InputProblem } from "./errors.js";
export type { HistogramFeature } from "./histogram.js";

/**
 * Stored with every result, since figures from different implementations are not
 * comparable. native-2: the region of interest is found on cell means, which moves the ROI
 * area mean by up to about 1e-3 against native-1 and the coherence figures by at most a
 * block's worth; every other figure is unchanged.
 */
export const ISO29794_MEASURES_VERSION = "iso29794-4-2024-nfiq2.3-native-2";

export type HistogramPrefix = "OCL" | "LCS" | "FDA" | "RVUP" | "OF";
type BinIndex = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
/** The feature names NIST's NFIQ 2 prints, e.g. "OCL_Bin10_Mean". */
export type Iso29794Key =
  | `${HistogramPrefix}_Bin10_${BinIndex | "Mean" | "StdDev"}`
  | "Mu"
  | "MMB"
  | "ImgProcROIArea_Mean"
  | "OrientationMap_ROIFilter_CoherenceSum"
  | "OrientationMap_ROIFilter_CoherenceRel";

export interface Iso29794Measures {
  readonly version: typeof ISO29794_MEASURES_VERSION;
  /** Every figure under NIST's name, for records and for comparison with NFIQ 2 output. */
  readonly values: Readonly<Record<Iso29794Key, number>>;
  readonly mu: number;
  readonly mmb: number;
  readonly roiAreaMean: number;
  readonly coherenceSum: number;
  readonly coherenceRel: number;
  readonly ocl: HistogramFeature;
  readonly lcs: HistogramFeature;
  readonly fda: HistogramFeature;
  readonly rvup: HistogramFeature;
  readonly of: HistogramFeature;
  /** Size measured, after NFIQ 2's removal of the near-white frame. */
  readonly measuredWidth: number;
  readonly measuredHeight: number;
}

function addHistogram(
  values: Partial<Record<Iso29794Key, number>>,
  prefix: HistogramPrefix,
  feature: HistogramFeature,
): void {
  feature.bins.forEach((count, bin) => {
    values[`${prefix}_Bin10_${bin as BinIndex}`] = count;
  });
  values[`${prefix}_Bin10_Mean`] = feature.mean;
  values[`${prefix}_Bin10_StdDev`] = feature.stdDev;
}

/**
 * LCS, RVUP and FDA of every foreground block of the slanted-block grid, in one pass: LCS and
 * RVUP turn a block by the same angle, so they share half of its lookup, and each block's
 * pixels are read three times while still in cache.
 */
function measureSlantedBlocks(
  plane: Plane,
  grid: SlantedBlockGrid,
): { lcs: HistogramFeature; fda: HistogramFeature; rvup: HistogramFeature } {
  const lcs = new LcsMeasure(grid.count);
  const rvup = new RvupMeasure(grid.count);
  const fda = new FdaMeasure(grid.count);
  for (let i = 0; i < grid.count; i++) {
    if (grid.foreground[i] !== 1) continue;
    lcs.add(plane, grid, i);
    rvup.add(plane, grid, i);
    fda.add(plane, grid, i);
  }
  return { lcs: lcs.histogram(), fda: fda.histogram(), rvup: rvup.histogram() };
}

/**
 * The native quality measures of ISO/IEC 29794-4:2024 as NIST's NFIQ 2.3 computes them,
 * minutiae excepted. Throws Iso29794InputError for input it cannot measure: pixels not
 * 8-bit, fewer pixels than the dimensions need, not 500 ppi, blank, or under 96x96 once
 * the white frame is trimmed.
 */
export function measureIso29794(image: GreyImage): Iso29794Measures {
  const plane = prepareImage(image);
  const words = toWordImage(plane.pixels, plane.width, plane.height);
  const blocks = blockStatistics(words);
  const { mu, mmb } = measureContrast(blocks);
  const mask = new SegmentationMask(blocks);
  const slantedSize = slantedGridSize(plane);
  const foreground = slantedForeground(mask, slantedSize);
  const covariances = blockCovariances(plane, words, slantedSize, foreground);
  const grid = new SlantedBlockGrid(covariances.inset, foreground);
  const ocl = measureOcl(covariances.corner);
  const { lcs, fda, rvup } = measureSlantedBlocks(plane, grid);
  const of = measureOrientationFlow(grid);
  const roi = computeRegionOfInterest(words, blocks);
  const coherence = measureCoherence(plane, roi, covariances.corner);

  const values: Partial<Record<Iso29794Key, number>> = {
    Mu: mu,
    MMB: mmb,
    ImgProcROIArea_Mean: roi.meanOfRoiPixels,
    OrientationMap_ROIFilter_CoherenceSum: coherence.sum,
    OrientationMap_ROIFilter_CoherenceRel: coherence.relative,
  };
  addHistogram(values, "OCL", ocl);
  addHistogram(values, "LCS", lcs);
  addHistogram(values, "FDA", fda);
  addHistogram(values, "RVUP", rvup);
  addHistogram(values, "OF", of);
  return {
    version: ISO29794_MEASURES_VERSION,
    values: values as Record<Iso29794Key, number>,
    mu,
    mmb,
    roiAreaMean: roi.meanOfRoiPixels,
    coherenceSum: coherence.sum,
    coherenceRel: coherence.relative,
    ocl,
    lcs,
    fda,
    rvup,
    of,
    measuredWidth: plane.width,
    measuredHeight: plane.height,
  };
}
