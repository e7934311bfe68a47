import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeFingerImage } from "../../../agent/quality/image-file/decode-image.js";
import {
  ImageFileError,
  type ImageFileProblem,
} from "../../../agent/quality/image-file/image-file-error.js";
import { encodePng } from "../../../hardware-sim/prints/png.js";
import { renderPrint } from "../../../hardware-sim/prints/render-print.js";

const print = renderPrint({ seed: 30_001, position: 2 });

function pgm(width: number, height: number, pixels: Uint8Array, header = "P5"): Uint8Array {
  const head = new TextEncoder().encode(`${header}\n# synthetic\n${width} ${height}\n255\n`);
  const bytes = new Uint8Array(head.length + pixels.length);
  bytes.set(head);
  bytes.set(pixels, head.length);
  return bytes;
}

/** A grey PNG stating `density` ppi, or no resolution at all. */
async function png(
  pixels: Uint8Array,
  width: number,
  height: number,
  density?: number,
): Promise<Uint8Array> {
  if (density !== undefined) return encodePng({ width, height, resolutionPpi: density, pixels });
  const plain = sharp(pixels, { raw: { width, height, channels: 1 } }).toColourspace("b-w");
  return new Uint8Array(await plain.png().toBuffer());
}

async function expectProblem(promise: Promise<unknown>, problem: ImageFileProblem): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ImageFileError);
  expect((error as ImageFileError).problem).toBe(problem);
}

describe("decodeFingerImage", () => {
  it("reads a PGM, a PNG and raw pixels to the same image", async () => {
    const fromPgm = await decodeFingerImage(pgm(print.width, print.height, print.pixels));
    const fromPng = await decodeFingerImage(
      await png(print.pixels, print.width, print.height, 500),
    );
    const fromRaw = await decodeFingerImage(print.pixels, { raw: { width: 256, height: 288 } });
    for (const image of [fromPgm, fromPng, fromRaw]) {
      expect(image).toMatchObject({ width: 256, height: 288, resolutionPpi: 500 });
      expect(Buffer.from(image.pixels).equals(Buffer.from(print.pixels))).toBe(true);
    }
  });

  it("resamples to 500 ppi from the resolution the PNG states or the caller gives", async () => {
    const at1000 = await decodeFingerImage(await png(print.pixels, 256, 288, 1000));
    expect(at1000).toMatchObject({ width: 128, height: 144, resolutionPpi: 500 });
    const declared = await decodeFingerImage(pgm(256, 288, print.pixels), { resolutionPpi: 400 });
    expect(declared).toMatchObject({ width: 320, height: 360, resolutionPpi: 500 });
    // Resampling keeps the grey levels: the mean moves by less than one level.
    const mean = (p: Uint8Array): number => p.reduce((a, b) => a + b, 0) / p.length;
    expect(Math.abs(mean(declared.pixels) - mean(print.pixels))).toBeLessThan(1);
  });

  it("takes a PNG without a stated resolution as 500 ppi", async () => {
    const image = await decodeFingerImage(await png(print.pixels, 256, 288));
    expect(image).toMatchObject({ width: 256, height: 288 });
  });

  it("refuses undecodable, truncated, empty and out-of-range input", async () => {
    const whole = await png(print.pixels, 256, 288, 500);
    await expectProblem(decodeFingerImage(whole.subarray(0, whole.length / 2)), "truncated");
    await expectProblem(
      decodeFingerImage(new TextEncoder().encode("not an image at all")),
      "undecodable",
    );
    await expectProblem(decodeFingerImage(new Uint8Array(0)), "undecodable");
    await expectProblem(
      decodeFingerImage(pgm(256, 288, print.pixels.subarray(0, 9000))),
      "truncated",
    );
    await expectProblem(decodeFingerImage(pgm(256, 288, print.pixels, "P2")), "undecodable");
    await expectProblem(decodeFingerImage(pgm(40, 40, new Uint8Array(1600))), "out-of-range");
    await expectProblem(
      decodeFingerImage(print.pixels, { raw: { width: 256, height: 300 } }),
      "truncated",
    );
    await expectProblem(
      decodeFingerImage(pgm(256, 288, print.pixels), { resolutionPpi: 100 }),
      "unsupported-resolution",
    );
    // Below 250 ppi a print holds too little ridge detail for resampling to recover.
    await expectProblem(
      decodeFingerImage(await png(print.pixels, 256, 288, 150)),
      "unsupported-resolution",
    );
  });
});
