import { describe, expect, it } from "vitest";
import { QUALITY_MEASURE_VERSION, assessBlockQuality } from "../../agent/quality/block-quality.js";
import type { GreyImage } from "../../drivers/sensor.js";
import { renderSimplePrint } from "../../hardware-sim/prints/simple-print.js";
import { nistReferenceImagePath, readPgm } from "../../hardware-sim/prints/pgm.js";

const ACCEPTANCE_THRESHOLD = 40;

function print(seed: number, width = 256, height = 288): GreyImage {
  return renderSimplePrint({ seed, position: 2, width, height });
}

function withPixels(image: GreyImage, map: (value: number, x: number) => number): GreyImage {
  const pixels = image.pixels.map((value, i) => map(value, i % image.width));
  return { ...image, pixels };
}

/** Pulls every grey level towards the image mean, as a dry or lightly pressed finger does. */
function flatten(image: GreyImage, keep: number): GreyImage {
  const mean = image.pixels.reduce((sum, value) => sum + value, 0) / image.pixels.length;
  return withPixels(image, (value) => Math.round(mean + (value - mean) * keep));
}

describe("assessBlockQuality", () => {
  it("names its measure", () => {
    expect(QUALITY_MEASURE_VERSION).toBe("block-contrast-1");
  });

  it("scores an empty platen 0", () => {
    const empty = renderSimplePrint({
      seed: 3,
      position: 2,
      width: 256,
      height: 288,
      present: false,
    });
    const { score, measures } = assessBlockQuality(empty);
    expect(score).toBe(0);
    expect(measures).toEqual({
      foregroundRatio: 0,
      meanBlockContrast: 0,
      ridgeValleyClarity: 0,
      blocks: 72,
      foregroundBlocks: 0,
    });
  });

  it("scores a uniform image and one smaller than a block 0", () => {
    const white: GreyImage = {
      width: 64,
      height: 64,
      resolutionPpi: 500,
      pixels: new Uint8Array(64 * 64).fill(255),
    };
    expect(assessBlockQuality(white).score).toBe(0);
    const tiny = print(1, 31, 40);
    const { score, measures } = assessBlockQuality(tiny);
    expect(score).toBe(0);
    expect(measures.blocks).toBe(0);
  });

  it("scores rendered prints well above the acceptance threshold", () => {
    for (let seed = 0; seed < 10; seed++) {
      const { score, measures } = assessBlockQuality(print(seed));
      expect(Number.isInteger(score)).toBe(true);
      expect(score).toBeGreaterThanOrEqual(ACCEPTANCE_THRESHOLD + 20);
      expect(score).toBeLessThanOrEqual(100);
      expect(measures.blocks).toBe(72);
      expect(measures.foregroundRatio).toBeGreaterThan(0.4);
      expect(measures.foregroundRatio).toBeLessThan(0.9);
      expect(measures.meanBlockContrast).toBeGreaterThan(0.2);
      expect(measures.ridgeValleyClarity).toBeGreaterThan(0.2);
    }
  });

  it("scores lower as contrast flattens", () => {
    const sharp = print(4);
    const assessments = [1, 0.6, 0.3, 0.15].map((keep) => assessBlockQuality(flatten(sharp, keep)));
    for (const values of [
      assessments.map((a) => a.score),
      assessments.map((a) => a.measures.meanBlockContrast),
      assessments.map((a) => a.measures.ridgeValleyClarity),
    ]) {
      expect(values).toEqual([...values].sort((a, b) => b - a));
      expect(new Set(values).size).toBe(values.length);
    }
    expect(assessments.at(-1)?.score).toBeLessThan(ACCEPTANCE_THRESHOLD);
  });

  it("halves the foreground ratio when half the platen is bare", () => {
    for (let seed = 0; seed < 5; seed++) {
      const full = print(seed);
      const half = withPixels(full, (value, x) => (x < full.width / 2 ? value : 240));
      const whole = assessBlockQuality(full);
      const halved = assessBlockQuality(half);
      const ratio = halved.measures.foregroundRatio / whole.measures.foregroundRatio;
      expect(ratio).toBeGreaterThan(0.35);
      expect(ratio).toBeLessThan(0.65);
      expect(halved.score).toBeLessThan(whole.score);
    }
  });

  it("works at the sizes of the supported sensors", () => {
    for (const [width, height, blocks] of [
      [192, 192, 36],
      [256, 288, 72],
    ] as const) {
      const { score, measures } = assessBlockQuality(print(9, width, height));
      expect(measures.blocks).toBe(blocks);
      expect(score).toBeGreaterThan(ACCEPTANCE_THRESHOLD);
    }
  });

  // The SFinGe print fills all but the corners and a bare strip along the bottom.
  it("finds the finger in NIST's SFinGe reference image", () => {
    const image = readPgm(nistReferenceImagePath("SFinGe_Test01.pgm"));
    expect([image.width, image.height]).toEqual([416, 560]);
    const { score, measures } = assessBlockQuality(image);
    expect(measures.blocks).toBe(13 * 17);
    expect(measures.foregroundRatio).toBeGreaterThan(0.6);
    expect(measures.foregroundRatio).toBeLessThan(0.95);
    expect(score).toBeGreaterThan(ACCEPTANCE_THRESHOLD);
  });

  it("rejects pixel data shorter than the stated size", () => {
    const short: GreyImage = {
      width: 64,
      height: 64,
      resolutionPpi: 500,
      pixels: new Uint8Array(100),
    };
    expect(() => assessBlockQuality(short)).toThrow(RangeError);
  });
});
