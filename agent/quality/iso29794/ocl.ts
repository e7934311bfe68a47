import { BLOCK_SIZE, gradientCovariance } from "./block-geometry.js";
import { ValueList, type HistogramFeature } from "./histogram.js";
import type { Plane } from "./prepare.js";

/** NFIQ 2 OCLPHISTLIMITS: inner bin boundaries of the OCL histogram. */
const OCL_BOUNDARIES = [0.337, 0.479, 0.579, 0.655, 0.716, 0.766, 0.81, 0.852, 0.898] as const;

/**
 * Orientation certainty level (ISO/IEC 29794-4 OCL; NFIQ 2 OCLHistogramFeature): per whole
 * 32x32 block from the top-left corner, 1 - (smaller / larger eigenvalue) of the gradient
 * covariance matrix. NFIQ 2 applies no foreground mask here; only blocks without any
 * gradient (larger eigenvalue 0) are left out.
 */
export function measureOcl(plane: Plane): HistogramFeature {
  const covariance = new Float64Array(3);
  const columns = Math.floor(plane.width / BLOCK_SIZE);
  const rows = Math.floor(plane.height / BLOCK_SIZE);
  const values = new ValueList(columns * rows);
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      gradientCovariance(
        plane,
        column * BLOCK_SIZE,
        row * BLOCK_SIZE,
        BLOCK_SIZE,
        BLOCK_SIZE,
        covariance,
      );
      const a = covariance[0] ?? 0;
      const b = covariance[1] ?? 0;
      const c = covariance[2] ?? 0;
      const spread = Math.sqrt((a - b) * (a - b) + 4 * c * c);
      const largest = (a + b + spread) / 2;
      if (largest === 0) continue;
      values.push(1 - (a + b - spread) / 2 / largest);
    }
  }
  return values.histogram(OCL_BOUNDARIES);
}
