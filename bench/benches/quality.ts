import { assessBlockQuality } from "../../agent/quality/block-quality.js";
import { renderSimplePrint } from "../../hardware-sim/prints/simple-print.js";
import { nistReferenceImagePath, readPgm } from "../../hardware-sim/prints/pgm.js";
import { timeOperation, type Benchmark, type Figure } from "../benchmark.js";

const ITERATIONS = 500;

async function msPerImage(metric: string, operation: () => unknown): Promise<Figure[]> {
  const timing = await timeOperation(operation, { iterations: ITERATIONS });
  return [
    { metric, value: timing.meanMs, unit: "ms/image" },
    { metric: `${metric} p99`, value: timing.p99Ms, unit: "ms/image" },
  ];
}

/** Synthetic print rendering and the first quality measure, both on the capture path. */
export const qualityBenchmarks: readonly Benchmark[] = [
  {
    name: "quality-simple-print",
    description: "renderSimplePrint at 256x288 (R30x image size)",
    run: () => {
      let seed = 0;
      // A new seed each time so that no call can reuse an earlier one's work.
      return msPerImage("render 256x288", () =>
        renderSimplePrint({ seed: seed++, position: 2, width: 256, height: 288 }),
      );
    },
  },
  {
    name: "quality-block",
    description: "assessBlockQuality on a 256x288 synthetic print and NIST's 416x560 SFinGe image",
    run: async () => {
      const synthetic = renderSimplePrint({ seed: 1, position: 2, width: 256, height: 288 });
      const nist = readPgm(nistReferenceImagePath("SFinGe_Test01.pgm"));
      return [
        ...(await msPerImage("assess 256x288", () => assessBlockQuality(synthetic))),
        ...(await msPerImage("assess 416x560 NIST", () => assessBlockQuality(nist))),
      ];
    },
  },
];
