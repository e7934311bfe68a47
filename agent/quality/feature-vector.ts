import type { ConditionFeatures } from "./condition-features.js";
import type { Iso29794Measures } from "./iso29794/index.js";

/**
 * The named inputs of the quality model, in a fixed order: the ISO/IEC 29794-4 means and
 * spreads under NIST's names, then the condition features. The calibrated model stores
 * its weights against these names, so reordering or renaming one invalidates the model
 * (loading it fails instead of silently misreading).
 */
export const FEATURE_NAMES = [
  "Mu",
  "ImgProcROIArea_Mean",
  "OrientationMap_ROIFilter_CoherenceRel",
  "ROIBlockShare",
  "OCL_Bin10_Mean",
  "OCL_Bin10_StdDev",
  "LCS_Bin10_Mean",
  "LCS_Bin10_StdDev",
  "FDA_Bin10_Mean",
  "FDA_Bin10_StdDev",
  "RVUP_Bin10_Mean",
  "RVUP_Bin10_StdDev",
  "OF_Bin10_Mean",
  "OF_Bin10_StdDev",
  "fingerArea",
  "offCentre",
  "edgeContact",
  "platenLevel",
  "fingerDarkness",
  "ridgeContrast",
  "ridgeDuty",
  "valleyLevel",
  "valleyRoughness",
  "darkFlatBlocks",
  "faintBlocks",
  "faintTexture",
  "roughness",
  "smearDirectionality",
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

export type FeatureVector = Readonly<Record<FeatureName, number>>;

/** The model's view of one image; grey levels are over 255 so every input is near 0..1. */
export function featureVector(iso: Iso29794Measures, condition: ConditionFeatures): FeatureVector {
  const blocks = Math.ceil(iso.measuredWidth / 32) * Math.ceil(iso.measuredHeight / 32);
  return {
    Mu: iso.mu / 255,
    ImgProcROIArea_Mean: iso.roiAreaMean / 255,
    OrientationMap_ROIFilter_CoherenceRel: iso.coherenceRel,
    // CoherenceSum is a count of ROI blocks weighted by coherence; over the block count it
    // becomes a share that means the same on a 192x192 module and a slap.
    ROIBlockShare: iso.coherenceRel === 0 ? 0 : iso.coherenceSum / iso.coherenceRel / blocks,
    OCL_Bin10_Mean: iso.ocl.mean,
    OCL_Bin10_StdDev: iso.ocl.stdDev,
    LCS_Bin10_Mean: iso.lcs.mean,
    LCS_Bin10_StdDev: iso.lcs.stdDev,
    FDA_Bin10_Mean: iso.fda.mean,
    FDA_Bin10_StdDev: iso.fda.stdDev,
    RVUP_Bin10_Mean: iso.rvup.mean,
    RVUP_Bin10_StdDev: iso.rvup.stdDev,
    OF_Bin10_Mean: iso.of.mean,
    OF_Bin10_StdDev: iso.of.stdDev,
    ...condition,
  };
}
