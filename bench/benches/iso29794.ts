import { measureIso29794 } from "../../agent/quality/iso29794/index.js";
import type { GreyImage } from "../../drivers/sensor.js";
import { nistReferenceImagePath, readPgm } from "../../hardware-sim/prints/pgm.js";
import { renderPrint } from "../../hardware-sim/prints/render-print.js";
import { timeOperation, type Benchmark, type Figure } from "../benchmark.js";

/**
 * The 1600x1500 case takes tens of milliseconds a run, so 30 runs give a steady mean in
 * about a second (its p99 is then the slowest run).
 */
const ITERATIONS = { small: 100, huge: 30 } as const;

/** The centre `width` x `height` of `image`, so every size holds finger rather than margin. */
function centreCrop(image: GreyImage, width: number, height: number): GreyImage {
  const left = Math.floor((image.width - width) / 2);
  const top = Math.floor((image.height - height) / 2);
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const start = (top + y) * image.width + left;
    pixels.set(image.pixels.subarray(start, start + width), y * width);
  }
  return { width, height, resolutionPpi: image.resolutionPpi, pixels };
}

/**
 * `image` repeated across a `width` x `height` canvas: a slap-sized input that is ridges from
 * edge to edge, the worst case for the block measures (a real slap is mostly empty platen).
 */
function tile(image: GreyImage, width: number, height: number): GreyImage {
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = ((y % image.height) * image.width) | 0;
    for (let x = 0; x < width; x += image.width) {
      const span = Math.min(image.width, width - x);
      pixels.set(image.pixels.subarray(row, row + span), y * width + x);
    }
  }
  return { width, height, resolutionPpi: image.resolutionPpi, pixels };
}

async function msPerImage(metric: string, image: GreyImage, iterations: number): Promise<Figure[]> {
  const timing = await timeOperation(() => measureIso29794(image), { iterations });
  return [
    { metric, value: timing.meanMs, unit: "ms/image" },
    { metric: `${metric} p99`, value: timing.p99Ms, unit: "ms/image" },
  ];
}

/** ISO/IEC 29794-4 native quality measures (NFIQ 2 feature set), single core. */
export const iso29794Benchmarks: Benchmark[] = [
  {
    name: "iso29794-measures",
    description:
      "measureIso29794 on NIST SFinGe_Test01: centre crops 192x192 and 256x288, " +
      "the full 416x560 image, a 1600x1500 tiling of it (ridges everywhere, the worst case), " +
      "and a simulated 1600x1500 four-finger slap",
    run: async () => {
      const nist = readPgm(nistReferenceImagePath("SFinGe_Test01.pgm"));
      return [
        ...(await msPerImage("192x192", centreCrop(nist, 192, 192), ITERATIONS.small)),
        ...(await msPerImage("256x288", centreCrop(nist, 256, 288), ITERATIONS.small)),
        ...(await msPerImage("416x560 NIST", nist, ITERATIONS.small)),
        ...(await msPerImage("1600x1500 tiled", tile(nist, 1600, 1500), ITERATIONS.huge)),
        ...(await msPerImage(
          "1600x1500 slap",
          renderPrint({ seed: 7, position: 13, sensor: "slap" }),
          ITERATIONS.huge,
        )),
      ];
    },
  },
];
