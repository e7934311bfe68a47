import { describe, expect, it } from "vitest";
import type { GreyImage } from "../../drivers/sensor.js";
import type { ConditionKind, PrintCondition } from "../../hardware-sim/prints/conditions.js";
import { renderPrint } from "../../hardware-sim/prints/render-print.js";

const SEVERITIES = [0, 0.25, 0.5, 0.75, 1];
const BLOCK = 16;

function render(kind: ConditionKind, severity: number, extra: PrintCondition[] = []): GreyImage {
  return renderPrint({ seed: 8, position: 2, conditions: [{ kind, severity }, ...extra] });
}

/** Indices of the 16x16 blocks whose grey levels vary like ridges, not like bare glass. */
function foregroundBlocks(image: GreyImage): number[] {
  const blocks: number[] = [];
  const columns = Math.floor(image.width / BLOCK);
  for (let by = 0; by < Math.floor(image.height / BLOCK); by++) {
    for (let bx = 0; bx < columns; bx++) {
      const values = blockValues(image, by * columns + bx);
      const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
      const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
      if (Math.sqrt(variance) > 14 || mean < 150) blocks.push(by * columns + bx);
    }
  }
  return blocks;
}

function blockValues(image: GreyImage, block: number): number[] {
  const columns = Math.floor(image.width / BLOCK);
  const x0 = (block % columns) * BLOCK;
  const y0 = Math.floor(block / columns) * BLOCK;
  const values: number[] = [];
  for (let y = y0; y < y0 + BLOCK; y++) {
    for (let x = x0; x < x0 + BLOCK; x++) values.push(image.pixels[y * image.width + x] ?? 0);
  }
  return values;
}

function stats(values: readonly number[]): { mean: number; stdDev: number; p90: number } {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
  const sorted = [...values].sort((a, b) => a - b);
  return { mean, stdDev: Math.sqrt(variance), p90: sorted[Math.floor(0.9 * sorted.length)] ?? 0 };
}

/** Mean absolute difference between horizontal and vertical neighbours: edge energy. */
function sharpness(image: GreyImage, blocks: readonly number[]): number {
  let total = 0;
  let count = 0;
  for (const block of blocks) {
    const values = blockValues(image, block);
    for (let y = 0; y < BLOCK - 1; y++) {
      for (let x = 0; x < BLOCK - 1; x++) {
        const here = values[y * BLOCK + x] ?? 0;
        total += Math.abs(here - (values[y * BLOCK + x + 1] ?? 0));
        total += Math.abs(here - (values[(y + 1) * BLOCK + x] ?? 0));
        count += 2;
      }
    }
  }
  return total / count;
}

const allBlocks = (image: GreyImage): number[] =>
  Array.from(
    { length: Math.floor(image.width / BLOCK) * Math.floor(image.height / BLOCK) },
    (_, i) => i,
  );

/** The measure over the finger's area in the clean capture, for every severity. */
function overFinger(kind: ConditionKind, measure: (values: number[]) => number): number[] {
  const blocks = foregroundBlocks(render(kind, 0));
  return SEVERITIES.map((severity) => {
    const image = render(kind, severity);
    return measure(blocks.flatMap((block) => blockValues(image, block)));
  });
}

function expectFalling(series: readonly number[]): void {
  for (let i = 1; i < series.length; i++) expect(series[i]).toBeLessThan(series[i - 1] ?? 0);
}

function expectRising(series: readonly number[]): void {
  for (let i = 1; i < series.length; i++) expect(series[i]).toBeGreaterThan(series[i - 1] ?? 0);
}

describe("print conditions, as severity rises", () => {
  it("wet darkens the finger and fills the valleys", () => {
    expectFalling(overFinger("wet", (values) => stats(values).mean));
    expectFalling(overFinger("wet", (values) => stats(values).p90));
  });

  it("oily darkens the finger", () => {
    expectFalling(overFinger("oily", (values) => stats(values).mean));
  });

  it("dry and worn lower the ridge contrast", () => {
    expectFalling(overFinger("dry", (values) => stats(values).stdDev));
    expectFalling(overFinger("worn", (values) => stats(values).stdDev));
  });

  it("heavy pressure darkens the finger; light pressure shrinks the contact", () => {
    expectFalling(overFinger("heavy-pressure", (values) => stats(values).mean));
    expectFalling(SEVERITIES.map((s) => foregroundBlocks(render("light-pressure", s)).length));
  });

  it("partial contact shrinks the foreground", () => {
    const areas = SEVERITIES.map((s) => foregroundBlocks(render("partial", s)).length);
    expectFalling(areas);
    expect(areas[4]).toBeLessThan(0.6 * (areas[0] ?? 0));
  });

  it("smudge blurs the ridges", () => {
    const blocks = foregroundBlocks(render("smudge", 0));
    expectFalling(SEVERITIES.map((s) => sharpness(render("smudge", s), blocks)));
  });

  it("no-finger fades the finger to an empty, near-uniform platen", () => {
    const spread = SEVERITIES.map((s) => stats([...render("no-finger", s).pixels]).stdDev);
    expectFalling(spread);
    expect(spread[4]).toBeLessThan(6);
    expect(foregroundBlocks(render("no-finger", 1))).toHaveLength(0);
  });

  it("latent residue shows a ghost print on the empty platen", () => {
    const empty = [{ kind: "no-finger", severity: 1 }] as const;
    expectRising(SEVERITIES.map((s) => stats([...render("latent", s, [...empty]).pixels]).stdDev));
  });

  it("noise roughens the whole image", () => {
    const image = render("noise", 0);
    expectRising(SEVERITIES.map((s) => sharpness(render("noise", s), allBlocks(image))));
  });

  it("rejects unknown kinds and severities outside 0..1", () => {
    expect(() => render("wet", 1.5)).toThrow(RangeError);
    expect(() => render("wet", Number.NaN)).toThrow(RangeError);
    expect(() => render("soapy" as ConditionKind, 0.5)).toThrow(RangeError);
  });
});
