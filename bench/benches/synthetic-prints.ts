import { buildMasterPrint, masterPrint } from "../../hardware-sim/prints/master-print.js";
import { renderPrint } from "../../hardware-sim/prints/render-print.js";
import { timeOperation, type Benchmark, type Figure } from "../benchmark.js";

async function meanAndP99(
  metric: string,
  unit: string,
  operation: () => unknown,
  iterations: number,
): Promise<Figure[]> {
  const timing = await timeOperation(operation, { iterations });
  return [
    { metric, value: timing.meanMs, unit },
    { metric: `${metric} p99`, value: timing.p99Ms, unit },
  ];
}

/** The realistic print generator: its one-off cost per finger and its per-capture cost. */
export const syntheticPrintBenchmarks: Benchmark[] = [
  {
    name: "prints-master",
    description: "buildMasterPrint: orientation field, frequency map and Gabor ridge growth",
    run: () => {
      let seed = 0;
      // A new finger each time, bypassing the cache, as a new traveller's first capture.
      return meanAndP99("master print", "ms/finger", () => buildMasterPrint(seed++, 2), 20);
    },
  },
  {
    name: "prints-impression",
    description: "renderPrint 256x288 (R307) with the master cached, clean and wet+noise",
    run: async () => {
      masterPrint(1, 2);
      let impression = 0;
      return [
        ...(await meanAndP99(
          "impression 256x288",
          "ms/image",
          () => renderPrint({ seed: 1, position: 2, impression: impression++ }),
          200,
        )),
        ...(await meanAndP99(
          "impression 256x288 wet+noise",
          "ms/image",
          () =>
            renderPrint({
              seed: 1,
              position: 2,
              impression: impression++,
              conditions: [
                { kind: "wet", severity: 0.6 },
                { kind: "noise", severity: 0.4 },
              ],
            }),
          200,
        )),
      ];
    },
  },
  {
    name: "prints-slap",
    description: "renderPrint 1600x1500 four-finger slap with the four masters cached",
    run: () => {
      renderPrint({ seed: 1, position: 13, sensor: "slap" });
      let impression = 1;
      return meanAndP99(
        "slap 1600x1500",
        "ms/image",
        () => renderPrint({ seed: 1, position: 13, sensor: "slap", impression: impression++ }),
        10,
      );
    },
  },
];
