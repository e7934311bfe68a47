import { describe, expect, it } from "vitest";
import type { GreyImage } from "../../drivers/sensor.js";
import { renderSimplePrint } from "../../hardware-sim/prints/simple-print.js";

const size = { width: 256, height: 288 };

function pixelAt(image: GreyImage, x: number, y: number): number {
  const value = image.pixels[y * image.width + x];
  if (value === undefined) throw new RangeError(`(${x}, ${y}) lies outside the image`);
  return value;
}

/** Mean and standard deviation of a w x h window centred on (cx, cy). */
function windowStats(image: GreyImage, cx: number, cy: number, w: number, h: number) {
  let sum = 0;
  let sumOfSquares = 0;
  for (let y = cy - h / 2; y < cy + h / 2; y++) {
    for (let x = cx - w / 2; x < cx + w / 2; x++) {
      const value = pixelAt(image, x, y);
      sum += value;
      sumOfSquares += value * value;
    }
  }
  const mean = sum / (w * h);
  return { mean, stdDev: Math.sqrt(sumOfSquares / (w * h) - mean * mean) };
}

function countDifferentPixels(a: GreyImage, b: GreyImage): number {
  let differing = 0;
  for (let i = 0; i < a.pixels.length; i++) if (a.pixels[i] !== b.pixels[i]) differing++;
  return differing;
}

function darkest(image: GreyImage): number {
  return image.pixels.reduce((low, value) => Math.min(low, value), 255);
}

/**
 * The lag, between 4 and 20 pixels, at which rows y0..y1 (columns x0..x1) best match
 * themselves shifted: the dominant ridge period seen along those rows.
 */
function dominantRowPeriod(image: GreyImage, x0: number, x1: number, y0: number, y1: number) {
  const rows: number[][] = [];
  for (let y = y0; y < y1; y++) {
    const row: number[] = [];
    for (let x = x0; x < x1; x++) row.push(pixelAt(image, x, y));
    const mean = row.reduce((sum, value) => sum + value, 0) / row.length;
    rows.push(row.map((value) => value - mean));
  }
  let bestLag = 0;
  let bestCorrelation = -Infinity;
  for (let lag = 4; lag <= 20; lag++) {
    let correlation = 0;
    for (const row of rows) {
      for (let i = 0; i + lag < row.length; i++) correlation += (row[i] ?? 0) * (row[i + lag] ?? 0);
    }
    correlation /= x1 - x0 - lag;
    if (correlation > bestCorrelation) {
      bestCorrelation = correlation;
      bestLag = lag;
    }
  }
  return bestLag;
}

describe("renderSimplePrint", () => {
  it("returns an 8-bit image of the requested size at 500 ppi by default", () => {
    const image = renderSimplePrint({ seed: 1, position: 2, ...size });
    expect(image.width).toBe(256);
    expect(image.height).toBe(288);
    expect(image.resolutionPpi).toBe(500);
    expect(image.pixels).toBeInstanceOf(Uint8Array);
    expect(image.pixels.length).toBe(256 * 288);
    const odd = renderSimplePrint({ seed: 1, position: 2, width: 131, height: 97 });
    expect(odd.pixels.length).toBe(131 * 97);
  });

  it("passes another resolution through", () => {
    const image = renderSimplePrint({ seed: 1, position: 2, ...size, resolutionPpi: 1000 });
    expect(image.resolutionPpi).toBe(1000);
  });

  it("gives identical bytes for the same seed and position", () => {
    const a = renderSimplePrint({ seed: 42, position: 7, ...size });
    const b = renderSimplePrint({ seed: 42, position: 7, ...size });
    expect(countDifferentPixels(a, b)).toBe(0);
  });

  it("gives a different print for another seed or another finger", () => {
    const reference = renderSimplePrint({ seed: 42, position: 7, ...size });
    const otherPerson = renderSimplePrint({ seed: 43, position: 7, ...size });
    const otherFinger = renderSimplePrint({ seed: 42, position: 8, ...size });
    const pixels = 256 * 288;
    expect(countDifferentPixels(reference, otherPerson)).toBeGreaterThan(pixels * 0.3);
    expect(countDifferentPixels(reference, otherFinger)).toBeGreaterThan(pixels * 0.3);
  });

  it("renders an empty platen as near-uniform light background", () => {
    const image = renderSimplePrint({ seed: 5, position: 2, ...size, present: false });
    const { mean, stdDev } = windowStats(image, 128, 144, 256, 288);
    expect(mean).toBeGreaterThanOrEqual(230);
    expect(stdDev).toBeGreaterThan(0);
    expect(stdDev).toBeLessThan(4);
    expect(darkest(image)).toBeGreaterThanOrEqual(220);
  });

  it("leaves the corners as background and puts dark ridges in the middle", () => {
    for (let seed = 0; seed < 10; seed++) {
      const image = renderSimplePrint({ seed, position: 2, ...size });
      expect(windowStats(image, 8, 8, 16, 16).mean).toBeGreaterThan(225);
      expect(windowStats(image, 248, 280, 16, 16).mean).toBeGreaterThan(225);
      const centre = windowStats(image, 128, 144, 64, 64);
      expect(centre.stdDev).toBeGreaterThan(40);
      expect(darkest(image)).toBeLessThan(100);
    }
  });

  // A row crosses oblique ridges at a slant, which makes them look wider apart than
  // they are, hence more room above 9 than below.
  it("spaces ridges about 9 pixels apart, as at 500 ppi", () => {
    for (let seed = 0; seed < 10; seed++) {
      const image = renderSimplePrint({ seed, position: 2, ...size });
      const period = dominantRowPeriod(image, 48, 208, 128, 160);
      expect(period).toBeGreaterThanOrEqual(7);
      expect(period).toBeLessThanOrEqual(12);
    }
  });

  it("scales ridge spacing with resolution", () => {
    const image = renderSimplePrint({
      seed: 3,
      position: 2,
      width: 512,
      height: 576,
      resolutionPpi: 1000,
    });
    const period = dominantRowPeriod(image, 96, 416, 272, 304);
    expect(period).toBeGreaterThanOrEqual(14);
    expect(period).toBeLessThanOrEqual(20);
  });

  it("rejects sizes and seeds it cannot render", () => {
    expect(() => renderSimplePrint({ seed: 1, position: 2, width: 0, height: 10 })).toThrow(
      RangeError,
    );
    expect(() => renderSimplePrint({ seed: 1, position: 2, width: 10.5, height: 10 })).toThrow(
      RangeError,
    );
    expect(() => renderSimplePrint({ seed: 0.5, position: 2, width: 10, height: 10 })).toThrow(
      RangeError,
    );
    expect(() =>
      renderSimplePrint({ seed: 1, position: 2, width: 10, height: 10, resolutionPpi: 0 }),
    ).toThrow(RangeError);
  });
});
