import { describe, expect, it } from "vitest";
import {
  Iso29794InputError,
  measureIso29794,
  type Iso29794InputProblem,
  type Iso29794Measures,
} from "../../agent/quality/iso29794/index.js";
import type { GreyImage } from "../../drivers/sensor.js";
import { nistReferenceImagePath, readPgm } from "../../hardware-sim/prints/pgm.js";

const nist = readPgm(nistReferenceImagePath("SFinGe_Test01.pgm"));

function filled(width: number, height: number, value: number): GreyImage {
  return { width, height, resolutionPpi: 500, pixels: new Uint8Array(width * height).fill(value) };
}

/** Repeats `image` across a `width` x `height` canvas. */
function tiled(image: GreyImage, width: number, height: number): GreyImage {
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      pixels[y * width + x] =
        image.pixels[(y % image.height) * image.width + (x % image.width)] ?? 0;
    }
  }
  return { width, height, resolutionPpi: 500, pixels };
}

function expectRefusal(image: GreyImage, problem: Iso29794InputProblem): void {
  let thrown: unknown;
  try {
    measureIso29794(image);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(Iso29794InputError);
  expect((thrown as Iso29794InputError).problem).toBe(problem);
  // Messages give sizes and counts, never pixel values.
  expect((thrown as Iso29794InputError).message.length).toBeLessThan(200);
}

function expectFinite(measures: Iso29794Measures): void {
  for (const [key, value] of Object.entries(measures.values)) {
    expect(Number.isFinite(value), key).toBe(true);
  }
}

describe("measureIso29794 on hostile input", () => {
  it("refuses a blank (all-white) platen as blank", () => {
    expectRefusal(filled(256, 288, 255), "blank");
  });

  it("measures a saturated (all-black) image without crashing: no ridges anywhere", () => {
    const measures = measureIso29794(filled(256, 288, 0));
    expectFinite(measures);
    expect(measures.mu).toBe(0);
    expect(measures.ocl.count).toBe(0);
    expect(measures.lcs.count).toBe(0);
    expect(measures.fda.count).toBe(0);
    expect(measures.of.count).toBe(0);
    expect(measures.coherenceSum).toBe(0);
  });

  it("measures a uniform mid-grey image as ridge-free", () => {
    const measures = measureIso29794(filled(256, 288, 128));
    expectFinite(measures);
    expect(measures.ocl.count).toBe(0);
    expect(measures.rvup.count).toBe(0);
  });

  it("refuses an image below three blocks a side", () => {
    expectRefusal(filled(95, 200, 100), "too-small");
    expectRefusal(filled(200, 64, 100), "too-small");
    expectRefusal(filled(1, 1, 100), "too-small");
  });

  it("refuses a print that is too small once its white frame is trimmed", () => {
    const image = filled(300, 300, 255);
    for (let y = 100; y < 160; y++) image.pixels.fill(60, y * 300 + 100, y * 300 + 160);
    expectRefusal(image, "too-small");
  });

  it("refuses pixel data shorter than the dimensions", () => {
    expectRefusal(
      { ...nist, pixels: nist.pixels.subarray(0, nist.pixels.length - 1) },
      "truncated",
    );
    expectRefusal({ ...nist, pixels: new Uint8Array(0) }, "truncated");
  });

  it("refuses pixels that are not 8-bit", () => {
    const wide = new Uint16Array(nist.width * nist.height);
    expectRefusal({ ...nist, pixels: wide as unknown as Uint8Array }, "not-8-bit");
  });

  it("refuses nonsensical dimensions and other resolutions", () => {
    expectRefusal({ ...nist, width: 0 }, "bad-dimensions");
    expectRefusal({ ...nist, height: Number.NaN }, "bad-dimensions");
    expectRefusal({ ...nist, width: 415.5 }, "bad-dimensions");
    expectRefusal({ ...nist, resolutionPpi: 1000 }, "unsupported-resolution");
  });

  it("ignores pixel data beyond width*height", () => {
    const longer = new Uint8Array(nist.pixels.length + 1000).fill(7);
    longer.set(nist.pixels);
    expect(measureIso29794({ ...nist, pixels: longer }).values).toEqual(
      measureIso29794(nist).values,
    );
  });

  it("measures a huge 1600x1500 tiled image", () => {
    const measures = measureIso29794(tiled(nist, 1600, 1500));
    expectFinite(measures);
    expect(measures.measuredWidth).toBeGreaterThan(1000);
    expect(measures.ocl.count).toBeGreaterThan(1000);
    expect(measures.ocl.mean).toBeGreaterThan(0.7);
  });

  it("measures random noise without crashing", () => {
    let state = 12345;
    const noise = filled(200, 200, 0);
    for (let i = 0; i < noise.pixels.length; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      noise.pixels[i] = state >>> 24;
    }
    expectFinite(measureIso29794(noise));
  });
});
