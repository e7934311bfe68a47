import type { BlockCovariances } from "./block-gradients.js";
import { ValueList, type HistogramFeature } from "./histogram.js";

/** NFIQ 2 OCLPHISTLIMITS: inner bin boundaries of the OCL histogram. */
const OCL_BOUNDARIES = [0.337, 0.479, 0.579, 0.655, 0.716, 0.766, 0.81, 0.852, 0.898] as const;

/**
 * Orientation certainty level (ISO/IEC 29794-4 OCL; NFIQ 2 OCLHistogramFeature): per whole
 * 32x32 block from the top-left corner, 1 - (smaller / larger eigenvalue) of the gradient
 * covariance matrix. NFIQ 2 applies no foreground mask here; only blocks without any
 * gradient (larger eigenvalue 0) are left out.
 */
export function measureOcl(corner: BlockCovariances): HistogramFeature {
  const { values } = corner;
  const blocks = corner.columns * corner.rows;
  const out = new ValueList(blocks);
  for (let i = 0; i < blocks; i++) {
    const a = values[3 * i] as number;
    const b = values[3 * i + 1] as number;
    const c = values[3 * i + 2] as number;
    const spread = Math.sqrt((a - b) * (a - b) + 4 * c * c);
    const largest = (a + b + spread) / 2;
    if (largest === 0) continue;
    out.push(1 - (a + b - spread) / 2 / largest);
  }
  return out.histogram(OCL_BOUNDARIES);
}
