import { describe, expect, it } from "vitest";
import type { GreyImage } from "../../drivers/sensor.js";
import { SensorCapture } from "../../hardware-sim/r30x/finger-source.js";
import { RealisticFingerSource } from "../../hardware-sim/r30x/realistic-finger-source.js";
import {
  chooseFingerClass,
  type FingerClass,
} from "../../hardware-sim/prints/orientation-field.js";
import { mulberry32 } from "../../hardware-sim/prints/prng.js";
import { renderPrint } from "../../hardware-sim/prints/render-print.js";
import { SENSOR_NAMES, SENSOR_PROFILES } from "../../hardware-sim/prints/sensor-profiles.js";
import { runTravellers, type FingerPlaten } from "../../hardware-sim/travellers.js";

function pixel(image: GreyImage, x: number, y: number): number {
  return image.pixels[y * image.width + x] ?? 0;
}

/**
 * Best normalised cross-correlation of a 96x96 patch from the centre of `a`, turned by
 * -8..8 degrees, against `b` shifted by up to 36 pixels: the two images' agreement
 * once the rigid part of their difference is undone.
 */
function alignedCorrelation(a: GreyImage, b: GreyImage): number {
  const half = 48;
  const cx = a.width / 2;
  const cy = a.height / 2;
  let best = -1;
  for (let degrees = -8; degrees <= 8; degrees += 4) {
    const angle = (degrees * Math.PI) / 180;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const patch = new Float64Array(4 * half * half);
    let k = 0;
    for (let v = -half; v < half; v++) {
      for (let u = -half; u < half; u++) {
        patch[k++] = pixel(
          a,
          Math.round(cx + cos * u - sin * v),
          Math.round(cy + sin * u + cos * v),
        );
      }
    }
    const patchMean = patch.reduce((sum, value) => sum + value, 0) / patch.length;
    let patchNorm = 0;
    for (let i = 0; i < patch.length; i++) {
      patch[i] = (patch[i] ?? 0) - patchMean;
      patchNorm += (patch[i] ?? 0) ** 2;
    }
    for (let dy = -36; dy <= 36; dy += 3) {
      for (let dx = -36; dx <= 36; dx += 3) {
        let sum = 0;
        let sumOfSquares = 0;
        let cross = 0;
        k = 0;
        for (let v = -half; v < half; v++) {
          const row = (cy + dy + v) * b.width + cx + dx;
          for (let u = -half; u < half; u++) {
            const value = b.pixels[row + u] ?? 0;
            sum += value;
            sumOfSquares += value * value;
            cross += value * (patch[k++] ?? 0);
          }
        }
        const variance = sumOfSquares - (sum * sum) / patch.length;
        best = Math.max(best, cross / Math.sqrt(variance * patchNorm));
      }
    }
  }
  return best;
}

/**
 * The dominant ridge period in a 48x48 block: the period (5..16 px) and direction of
 * the strongest plane wave in the block, by a brute-force Fourier sum.
 */
function dominantPeriod(image: GreyImage, x0: number, y0: number): number {
  const size = 48;
  let mean = 0;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) mean += pixel(image, x0 + x, y0 + y);
  mean /= size * size;
  let bestPower = 0;
  let bestPeriod = 0;
  for (let period = 5; period <= 16; period += 0.25) {
    for (let step = 0; step < 24; step++) {
      const angle = (step * Math.PI) / 24;
      const kx = (2 * Math.PI * Math.cos(angle)) / period;
      const ky = (2 * Math.PI * Math.sin(angle)) / period;
      let re = 0;
      let im = 0;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const value = pixel(image, x0 + x, y0 + y) - mean;
          const phase = kx * x + ky * y;
          re += value * Math.cos(phase);
          im += value * Math.sin(phase);
        }
      }
      const power = re * re + im * im;
      if (power > bestPower) {
        bestPower = power;
        bestPeriod = period;
      }
    }
  }
  return bestPeriod;
}

describe("renderPrint", () => {
  it("gives identical bytes for identical requests", () => {
    const request = {
      seed: 21,
      position: 2,
      impression: 3,
      conditions: [
        { kind: "wet", severity: 0.4 },
        { kind: "noise", severity: 0.5 },
        { kind: "latent", severity: 0.5 },
      ],
    } as const;
    const first = renderPrint(request);
    const second = renderPrint(request);
    expect(Buffer.from(second.pixels).equals(Buffer.from(first.pixels))).toBe(true);
    expect(renderPrint({ ...request, impression: 4 }).pixels).not.toEqual(first.pixels);
  });

  it("renders every single-finger sensor at its own size and 500 ppi", () => {
    for (const name of SENSOR_NAMES.filter((sensor) => !SENSOR_PROFILES[sensor].slap)) {
      const image = renderPrint({ seed: 21, position: 2, sensor: name });
      const { width, height } = SENSOR_PROFILES[name];
      expect([image.width, image.height, image.pixels.length, image.resolutionPpi]).toEqual([
        width,
        height,
        width * height,
        500,
      ]);
    }
    expect([SENSOR_PROFILES.r307.width, SENSOR_PROFILES.r307.height]).toEqual([256, 288]);
    expect([SENSOR_PROFILES.r503.width, SENSOR_PROFILES.r503.height]).toEqual([192, 192]);
    expect([SENSOR_PROFILES["usb-optical"].width, SENSOR_PROFILES["usb-optical"].height]).toEqual([
      384, 290,
    ]);
  });

  it("renders a four-finger slap at 1600x1500 with four separate fingers", () => {
    const slap = renderPrint({ seed: 21, position: 13, sensor: "slap" });
    expect([slap.width, slap.height, slap.pixels.length]).toEqual([1600, 1500, 1600 * 1500]);
    // A band through the fingertips crosses four inked stretches, bare glass between them.
    const inked = (cx: number, cy: number, halfWidth: number, halfHeight: number): number => {
      let dark = 0;
      for (let y = cy - halfHeight; y < cy + halfHeight; y += 2) {
        for (let x = cx - halfWidth; x < cx + halfWidth; x++) if (pixel(slap, x, y) < 150) dark++;
      }
      return dark;
    };
    // Each fingertip where the layout puts it (fractions of the image), bare glass between.
    for (const [x, y] of [
      [0.17, 0.47],
      [0.39, 0.36],
      [0.61, 0.41],
      [0.82, 0.58],
    ] as const) {
      expect(inked(Math.round(1600 * x), Math.round(1500 * y), 40, 60)).toBeGreaterThan(1500);
    }
    for (const x of [0.28, 0.5, 0.72])
      expect(inked(Math.round(1600 * x), 650, 15, 250)).toBeLessThan(100);
    expect(() => renderPrint({ seed: 1, position: 2, sensor: "slap" })).toThrow(RangeError);
    expect(() => renderPrint({ seed: 1, position: 13 })).toThrow(RangeError);
  });

  it("keeps a finger's ridge pattern across impressions and tells fingers apart", () => {
    const impression = (seed: number, position: number, n: number) =>
      renderPrint({ seed, position, impression: n, sensor: "usb-optical" });
    const first = impression(21, 2, 0);
    const same = alignedCorrelation(first, impression(21, 2, 1));
    const otherFinger = alignedCorrelation(first, impression(21, 3, 0));
    const otherPerson = alignedCorrelation(first, impression(22, 2, 0));
    expect(same).toBeGreaterThan(0.6);
    expect(otherFinger).toBeLessThan(0.45);
    expect(otherPerson).toBeLessThan(0.45);
  });

  it("draws ridges about 9 pixels apart", () => {
    const image = renderPrint({ seed: 21, position: 3 });
    const periods = [
      [60, 70],
      [150, 70],
      [60, 170],
      [150, 170],
      [104, 120],
    ].map(([x, y]) => dominantPeriod(image, x ?? 0, y ?? 0));
    const sorted = [...periods].sort((p, q) => p - q);
    expect(sorted[2]).toBeGreaterThanOrEqual(8);
    expect(sorted[2]).toBeLessThanOrEqual(10.5);
    for (const period of periods) expect(period).toBeGreaterThan(6.5);
  });

  it("draws finger classes at realistic frequencies, loops leaning to the little finger", () => {
    const counts = (position: number): Record<FingerClass, number> => {
      const tally: Record<FingerClass, number> = {
        arch: 0,
        "tented-arch": 0,
        "left-loop": 0,
        "right-loop": 0,
        whorl: 0,
      };
      const random = mulberry32(position);
      for (let i = 0; i < 2000; i++) tally[chooseFingerClass(position, random)]++;
      return tally;
    };
    const rightMiddle = counts(3);
    const leftMiddle = counts(8);
    expect(rightMiddle["right-loop"]).toBeGreaterThan(1100);
    expect(leftMiddle["left-loop"]).toBeGreaterThan(1100);
    expect(rightMiddle.whorl).toBeGreaterThan(250);
    expect(rightMiddle.arch + rightMiddle["tented-arch"]).toBeLessThan(250);
  });
});

describe("RealisticFingerSource", () => {
  it("puts rendered prints on a module's glass at the module's size", () => {
    const source = new RealisticFingerSource(256, 288);
    const capture = new SensorCapture(source, 256, 288);
    expect(capture.capture()).toEqual({ kind: "no-finger" });
    const placed = source.placeFinger({ seed: 21, position: 3, impression: 1 });
    expect(source.current()).toBe(placed);
    expect(placed.pixels).toEqual(renderPrint({ seed: 21, position: 3, impression: 1 }).pixels);
    expect(capture.capture().kind).toBe("image");
    source.liftFinger();
    expect(source.current()).toBeUndefined();
    expect(new RealisticFingerSource(192, 192).sensor).toBe("r503");
    expect(() => new RealisticFingerSource(100, 100)).toThrow(RangeError);
  });

  it("lets travellers place realistic prints", async () => {
    const placed: GreyImage[] = [];
    const controller = new AbortController();
    const platen: FingerPlaten = {
      imageWidth: 256,
      imageHeight: 288,
      placeFinger: (image) => {
        placed.push(image);
        controller.abort();
      },
      liftFinger: () => undefined,
    };
    await runTravellers(platen, {
      fingers: [2],
      timing: { dwellMs: 1, betweenFingersMs: 1, betweenTravellersMs: 1 },
      signal: controller.signal,
      firstSeed: 21,
      prints: "realistic",
    });
    expect(placed[0]?.pixels).toEqual(renderPrint({ seed: 21, position: 2 }).pixels);
  });
});
