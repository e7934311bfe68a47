import { gradientCovariance } from "./block-geometry.js";
import type { BlockCovariances } from "./block-gradients.js";
import type { Plane } from "./prepare.js";
import { ROI_BLOCK, type RegionOfInterest } from "./roi.js";

export interface OrientationCoherence {
  /** Sum of the ROI blocks' coherence: NIST "OrientationMap_ROIFilter_CoherenceSum". */
  readonly sum: number;
  /** That sum over the number of ROI blocks: NIST "OrientationMap_ROIFilter_CoherenceRel". */
  readonly relative: number;
}

/**
 * Orientation-map coherence over the ROI blocks (ISO/IEC 29794-4; NFIQ 2 QualityMapFeatures
 * with the ROI filter: ROI_BLOCK blocks, partial edge blocks included). A block's coherence is
 * the length of its summed doubled-angle gradient vectors (gx^2 - gy^2, 2 gx gy) over the
 * sum of their lengths (gx^2 + gy^2): 1 for perfectly parallel ridges, 0 for no gradient.
 * Whole blocks are the OCL's `corner` blocks; only partial ones are computed here.
 */
export function measureCoherence(
  plane: Plane,
  roi: RegionOfInterest,
  corner: BlockCovariances,
): OrientationCoherence {
  const covariance = new Float64Array(3);
  let sum = 0;
  for (let row = 0; row < roi.blockRows; row++) {
    const top = row * ROI_BLOCK;
    const height = Math.min(ROI_BLOCK, plane.height - top);
    for (let column = 0; column < roi.blockColumns; column++) {
      if (roi.blocks[row * roi.blockColumns + column] !== 1) continue;
      const left = column * ROI_BLOCK;
      const width = Math.min(ROI_BLOCK, plane.width - left);
      let at = 0;
      let values: Float64Array = covariance;
      if (row < corner.rows && column < corner.columns) {
        values = corner.values;
        at = 3 * (row * corner.columns + column);
      } else {
        gradientCovariance(plane, left, top, width, height, covariance);
      }
      const a = values[at] as number;
      const b = values[at + 1] as number;
      const c = values[at + 2] as number;
      if (a + b > 0) sum += Math.sqrt((a - b) * (a - b) + 4 * c * c) / (a + b);
    }
  }
  return { sum, relative: roi.roiBlocks === 0 ? 0 : sum / roi.roiBlocks };
}
