import { describe, expect, it } from "vitest";
import { greyLevelsAt } from "../../../agent/quality/grey-levels.js";
import { surveyImage, surveyLevels } from "../../../agent/quality/image-survey.js";
import type { GreyImage } from "../../../drivers/sensor.js";
import { renderPrint } from "../../../hardware-sim/prints/render-print.js";

/** Pixels from a fixed linear congruential sequence, so every run sees the same image. */
function randomImage(width: number, height: number, seed: number): GreyImage {
  const pixels = new Uint8Array(width * height);
  let state = seed;
  for (let i = 0; i < pixels.length; i++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    pixels[i] = state >>> 24;
  }
  return { width, height, resolutionPpi: 500, pixels };
}

/** The survey's figures the plain way: pixel by pixel, one pass per figure. */
function reference(image: GreyImage) {
  const { width, height, pixels } = image;
  const at = (x: number, y: number): number => pixels[y * width + x] as number;
  const columns = Math.floor(width / 16);
  const rows = Math.floor(height / 16);
  const sums: number[] = [];
  const squares: number[] = [];
  for (let by = 0; by < rows; by++) {
    for (let bx = 0; bx < columns; bx++) {
      let sum = 0;
      let sumSquares = 0;
      for (let y = 16 * by; y < 16 * by + 16; y++) {
        for (let x = 16 * bx; x < 16 * bx + 16; x++) {
          sum += at(x, y);
          sumSquares += at(x, y) ** 2;
        }
      }
      sums.push(sum);
      squares.push(sumSquares);
    }
  }
  const histogram = new Array<number>(256).fill(0);
  for (const value of pixels.subarray(0, width * height)) {
    histogram[value] = (histogram[value] ?? 0) + 1;
  }
  let laplacian = 0;
  let gxx = 0;
  let gyy = 0;
  let gxy = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      laplacian += Math.abs(
        4 * at(x, y) - at(x - 1, y) - at(x + 1, y) - at(x, y - 1) - at(x, y + 1),
      );
      const gx = at(x + 1, y) - at(x - 1, y);
      const gy = at(x, y + 1) - at(x, y - 1);
      gxx += gx * gx;
      gyy += gy * gy;
      gxy += gx * gy;
    }
  }
  return { columns, rows, sums, squares, histogram, laplacian, gxx, gyy, gxy };
}

describe("surveyImage", () => {
  it.each([
    ["a 256x288 print", renderPrint({ seed: 30_001, position: 2, sensor: "r307" })],
    [
      "a 384x290 print (rows past the last whole block)",
      renderPrint({ seed: 30_002, position: 3, sensor: "usb-optical" }),
    ],
    ["noise 203x170 (columns past the last block, odd width)", randomImage(203, 170, 11)],
    ["noise 17x33", randomImage(17, 33, 12)],
    ["noise 3x3", randomImage(3, 3, 13)],
  ])("equals the pixel-by-pixel figures exactly on %s", (_name, image) => {
    const survey = surveyImage(image);
    const want = reference(image);
    expect(survey.blockColumns).toBe(want.columns);
    expect(survey.blockRows).toBe(want.rows);
    expect([...survey.blockSums]).toEqual(want.sums);
    expect([...survey.blockSquares]).toEqual(want.squares);
    expect([...survey.histogram]).toEqual(want.histogram);
    expect(survey.laplacian).toBe(want.laplacian);
    expect(survey.gxx).toBe(want.gxx);
    expect(survey.gyy).toBe(want.gyy);
    expect(survey.gxy).toBe(want.gxy);
  });

  it("gives the grey levels greyLevelsAt gives", () => {
    const image = renderPrint({ seed: 30_003, position: 4, sensor: "r503" });
    const fractions = [0, 0.02, 0.5, 0.98, 1];
    expect(surveyLevels(surveyImage(image), fractions)).toEqual(
      greyLevelsAt(image.pixels, fractions),
    );
  });

  it("reads only the pixels the dimensions cover", () => {
    const image = randomImage(40, 40, 14);
    const longer = new Uint8Array(40 * 40 + 100).fill(255);
    longer.set(image.pixels);
    const survey = surveyImage({ ...image, pixels: longer });
    expect([...survey.histogram]).toEqual(reference(image).histogram);
  });
});
