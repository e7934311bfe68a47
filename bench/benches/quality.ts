import { assessQuality } from "../../agent/quality/assess-quality.js";
import { segmentSlap } from "../../agent/quality/slap-segmentation.js";
import type { GreyImage } from "../../drivers/sensor.js";
import { renderPrint } from "../../hardware-sim/prints/render-print.js";
import { SENSOR_PROFILES, type SensorName } from "../../hardware-sim/prints/sensor-profiles.js";
import { renderSimplePrint } from "../../hardware-sim/prints/simple-print.js";
import { timeOperation, type Benchmark, type Figure } from "../benchmark.js";

async function msPerImage(
  metric: string,
  operation: () => unknown,
  iterations: number,
): Promise<Figure[]> {
  const timing = await timeOperation(operation, { iterations });
  return [
    { metric, value: timing.meanMs, unit: "ms/image" },
    { metric: `${metric} p99`, value: timing.p99Ms, unit: "ms/image" },
  ];
}

/** A realistic synthetic capture on each sensor size the gate meets. */
const SIZES: readonly {
  metric: string;
  sensor: SensorName;
  position: number;
  iterations: number;
  /** Prints rendered for the generator's figure; a slap takes about half a second. */
  renders: number;
}[] = [
  { metric: "192x192", sensor: "r503", position: 2, iterations: 100, renders: 20 },
  { metric: "256x288", sensor: "r307", position: 2, iterations: 100, renders: 20 },
  { metric: "384x290", sensor: "usb-optical", position: 2, iterations: 50, renders: 20 },
  // Enough runs that the first ones, still being compiled, do not set the mean.
  { metric: "1600x1500 slap", sensor: "slap", position: 13, iterations: 30, renders: 5 },
];

/** The whole quality judgement of the capture path, and the simple print the stack's travellers use. */
export const qualityBenchmarks: readonly Benchmark[] = [
  {
    name: "quality-simple-print",
    description: "renderSimplePrint at 256x288 (R30x image size)",
    run: () => {
      let seed = 0;
      // A new seed each time so that no call can reuse an earlier one's work.
      return msPerImage(
        "render 256x288",
        () => renderSimplePrint({ seed: seed++, position: 2, width: 256, height: 288 }),
        500,
      );
    },
  },
  {
    name: "quality-assess",
    description:
      "assessQuality (ISO/IEC 29794-4 measures, condition features, calibrated model) on " +
      "realistic synthetic prints of each sensor size (a slap finger by finger), beside the " +
      "generator's time per print, and the slap's segmentation into fingers alone",
    run: async () => {
      const figures: Figure[] = [];
      for (const { metric, sensor, position, iterations, renders } of SIZES) {
        let impression = 0;
        const render = (): GreyImage =>
          renderPrint({ seed: 7, position, sensor, impression: impression++ });
        const image = render();
        figures.push(
          ...(await msPerImage(`assess ${metric}`, () => assessQuality(image), iterations)),
        );
        figures.push(...(await msPerImage(`generate ${metric}`, render, renders)));
        if (SENSOR_PROFILES[sensor].slap) {
          figures.push(
            ...(await msPerImage(`segment ${metric}`, () => segmentSlap(image), iterations)),
          );
        }
      }
      return figures;
    },
  },
];
