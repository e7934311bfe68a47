import { describe, expect, it } from "vitest";
import { assessQuality } from "../../../agent/quality/assess-quality.js";
import { ImageFileError } from "../../../agent/quality/image-file/image-file-error.js";
import { Iso29794InputError } from "../../../agent/quality/iso29794/index.js";
import { FEEDBACK_CODES } from "../../../agent/quality/verdict.js";
import type { GreyImage } from "../../../drivers/sensor.js";
import { nistReferenceImagePath, readPgm } from "../../../hardware-sim/prints/pgm.js";
import { renderPrint } from "../../../hardware-sim/prints/render-print.js";

function filled(width: number, height: number, value: number): GreyImage {
  return { width, height, resolutionPpi: 500, pixels: new Uint8Array(width * height).fill(value) };
}

describe("assessQuality", () => {
  it("scores a clean synthetic print as good with its ISO measures and condition features", () => {
    const report = assessQuality(renderPrint({ seed: 20_001, position: 2 }));
    expect(report.condition).toBe("good");
    expect(report.score).toBeGreaterThanOrEqual(60);
    expect(report.feedback).toEqual([]);
    expect(report.measures.OCL_Bin10_Mean).toBeGreaterThan(0);
    expect(report.measures.fingerArea).toBeGreaterThan(0.5);
    expect(report.version).toMatch(/^iso29794-4-2024.*\+basma-quality-model-\d+$/);
  });

  it("sees a finger in each of NIST's reference images", () => {
    // Not a score comparison: NFIQ 2 gives these 45-57, and their thin ridges on a pure
    // white field look like light pressure to a model calibrated on our sensor profiles.
    for (const n of [1, 2, 3, 4, 5]) {
      const report = assessQuality(readPgm(nistReferenceImagePath(`SFinGe_Test0${n}.pgm`)));
      expect(report.condition, `SFinGe_Test0${n}`).not.toBe("no-finger");
      expect(report.measures.fingerArea, `SFinGe_Test0${n}`).toBeGreaterThan(0.8);
    }
  });

  it("tells a wet finger from a dry one and advises each", () => {
    const wet = assessQuality(
      renderPrint({ seed: 20_002, position: 7, conditions: [{ kind: "wet", severity: 0.9 }] }),
    );
    const dry = assessQuality(
      renderPrint({ seed: 20_002, position: 7, conditions: [{ kind: "dry", severity: 0.9 }] }),
    );
    expect(wet.condition).toBe("wet");
    expect(wet.feedback[0]).toBe("wipe-finger");
    expect(dry.condition).toBe("dry");
    expect(dry.feedback).toContain("moisten-finger");
    for (const code of [...wet.feedback, ...dry.feedback]) expect(FEEDBACK_CODES).toContain(code);
  });

  it.each([
    ["blank white", filled(256, 288, 255)],
    ["empty platen grey", filled(256, 288, 230)],
    ["saturated black", filled(256, 288, 0)],
    ["a white slap", filled(1600, 1500, 255)],
  ])("calls a %s image no finger with score 0", (_name, image) => {
    const report = assessQuality(image);
    expect(report).toMatchObject({ condition: "no-finger", score: 0, feedback: ["place-finger"] });
  });

  it("refuses a tiny image, a truncated one and a huge one with clear errors", () => {
    expect(() => assessQuality(filled(64, 64, 128))).toThrow(Iso29794InputError);
    const truncated = { ...filled(256, 288, 128), pixels: new Uint8Array(1000) };
    expect(() => assessQuality(truncated)).toThrow(/fewer than its 256x288/);
    expect(() => assessQuality(filled(3000, 3000, 200))).toThrow(ImageFileError);
    expect(() => assessQuality({ ...filled(256, 288, 128), resolutionPpi: 1000 })).toThrow(
      /500 ppi/,
    );
  });

  it("never puts pixel values into an error message", () => {
    const pixels = new Uint8Array(500).fill(0xab);
    try {
      assessQuality({ width: 256, height: 288, resolutionPpi: 500, pixels });
      expect.unreachable("a truncated image must be refused");
    } catch (error) {
      expect(String(error)).not.toMatch(/171|ab ab|0xab/i);
    }
  });
});
