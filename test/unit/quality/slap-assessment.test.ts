import { beforeAll, describe, expect, it } from "vitest";
import {
  assessQuality,
  type FingerQuality,
  type QualityReport,
} from "../../../agent/quality/assess-quality.js";
import { Iso29794InputError } from "../../../agent/quality/iso29794/index.js";
import {
  cropImage,
  segmentSlap,
  type FingerBox,
} from "../../../agent/quality/slap-segmentation.js";
import type { GreyImage } from "../../../drivers/sensor.js";
import { nistReferenceImagePath, readPgm } from "../../../hardware-sim/prints/pgm.js";
import { mulberry32 } from "../../../hardware-sim/prints/prng.js";
import { renderPrint } from "../../../hardware-sim/prints/render-print.js";

const SLAP_WIDTH = 1600;
const SLAP_HEIGHT = 1500;
/** Darker than any platen and lighter than any inked ridge the slap profile renders. */
const RIDGE_LEVEL = 150;

function canvas(level: number, width = SLAP_WIDTH, height = SLAP_HEIGHT): GreyImage {
  return { width, height, resolutionPpi: 500, pixels: new Uint8Array(width * height).fill(level) };
}

/** Draws `tile` onto `image` at (x, y), the darker pixel winning, as two fingers on glass do. */
function press(image: GreyImage, tile: GreyImage, x: number, y: number): void {
  for (let row = 0; row < tile.height; row++) {
    for (let column = 0; column < tile.width; column++) {
      const at = (y + row) * image.width + x + column;
      const value = tile.pixels[row * tile.width + column] as number;
      image.pixels[at] = Math.min(image.pixels[at] as number, value);
    }
  }
}

/** Copies `tile` onto `image` at (x, y). */
function paste(image: GreyImage, tile: GreyImage, x: number, y: number): void {
  for (let row = 0; row < tile.height; row++) {
    image.pixels.set(
      tile.pixels.subarray(row * tile.width, (row + 1) * tile.width),
      (y + row) * image.width + x,
    );
  }
}

function darkPixels(image: GreyImage, box: FingerBox = { x: 0, y: 0, ...image }): number {
  let dark = 0;
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let x = box.x; x < box.x + box.width; x++) {
      if ((image.pixels[y * image.width + x] as number) < RIDGE_LEVEL) dark++;
    }
  }
  return dark;
}

function overlaps(a: FingerBox, b: FingerBox): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** A finger's judgement as it appears in a slap report, from a report of its crop. */
function asFinger(box: FingerBox, report: QualityReport): FingerQuality {
  const { score, condition, confidence, feedback, measures } = report;
  return { box, score, condition, confidence, feedback, measures };
}

let rightSlap: GreyImage;
let rightBoxes: FingerBox[];

beforeAll(() => {
  rightSlap = renderPrint({ seed: 30_001, position: 13, sensor: "slap" });
  rightBoxes = segmentSlap(rightSlap);
});

describe("segmentSlap", () => {
  it.each([
    [13, "right four fingers"],
    [14, "left four fingers"],
  ])("finds the four fingertips of a position-%i slap (%s), left to right", (position) => {
    const slap =
      position === 13 ? rightSlap : renderPrint({ seed: 30_002, position, sensor: "slap" });
    const boxes = position === 13 ? rightBoxes : segmentSlap(slap);
    expect(boxes).toHaveLength(4);
    const ridges = darkPixels(slap);
    let covered = 0;
    for (const [i, box] of boxes.entries()) {
      // A fingertip at 500 ppi is 250-330 pixels wide and 330-430 tall, before tilt.
      expect(box.width, `finger ${i}`).toBeGreaterThan(200);
      expect(box.width, `finger ${i}`).toBeLessThan(450);
      expect(box.height, `finger ${i}`).toBeGreaterThan(250);
      expect(box.height, `finger ${i}`).toBeLessThan(560);
      expect(box.x + box.width).toBeLessThanOrEqual(SLAP_WIDTH);
      expect(box.y + box.height).toBeLessThanOrEqual(SLAP_HEIGHT);
      const inside = darkPixels(slap, box);
      expect(inside, `finger ${i} holds a finger's share of the ridges`).toBeGreaterThan(
        0.15 * ridges,
      );
      covered += inside;
      for (const other of boxes.slice(i + 1)) expect(overlaps(box, other)).toBe(false);
      const next = boxes[i + 1];
      if (next !== undefined) expect(next.x).toBeGreaterThan(box.x);
    }
    // Every ridge of the slap is in some finger's box.
    expect(covered).toBeGreaterThan(0.995 * ridges);
  });

  it("finds nothing on an empty platen, clean or electrically noisy", () => {
    expect(segmentSlap(canvas(242))).toEqual([]);
    const noisy = canvas(0);
    const random = mulberry32(5);
    for (let i = 0; i < noisy.pixels.length; i++) noisy.pixels[i] = 200 + Math.floor(random() * 40);
    expect(segmentSlap(noisy)).toEqual([]);
  });

  it("finds one, two or three fingers where only those are on the glass", () => {
    for (const count of [1, 2, 3]) {
      const slap = canvas(242);
      for (const box of rightBoxes.slice(0, count)) {
        paste(slap, cropImage(rightSlap, box), box.x, box.y);
      }
      expect(segmentSlap(slap)).toEqual(rightBoxes.slice(0, count));
    }
  });

  it("splits two fingertips pressed side by side at the valley between them", () => {
    const [first, second] = rightBoxes as [FingerBox, FingerBox];
    const slap = canvas(242);
    const y = 500;
    press(slap, cropImage(rightSlap, first), 400, y);
    // The second finger's ridges start where the first's end: the two tips touch.
    const secondX = 400 + first.width - 32;
    press(slap, cropImage(rightSlap, second), secondX, y);
    const boxes = segmentSlap(slap);
    expect(boxes).toHaveLength(2);
    const [left, right] = boxes as [FingerBox, FingerBox];
    expect(left.x).toBeLessThanOrEqual(400 + 16);
    expect(right.x + right.width).toBeGreaterThanOrEqual(secondX + second.width - 16);
    expect(overlaps(left, right)).toBe(false);
    // The cut lies between the two fingers' centres.
    expect(left.x + left.width).toBeLessThan(secondX + second.width / 2);
    expect(right.x).toBeGreaterThan(400 + first.width / 2);
  });

  it("keeps at most the fingers asked for, the clearest ones: not a latent ghost", () => {
    expect(segmentSlap(rightSlap, 2)).toHaveLength(2);
    // This hand's residue leaves a ghost as large as the little finger, apart from the others.
    const hand = { seed: 113, position: 13, sensor: "slap" } as const;
    const ghosted = renderPrint({ ...hand, conditions: [{ kind: "latent", severity: 1 }] });
    const clean = segmentSlap(renderPrint(hand));
    expect(segmentSlap(ghosted, 5)).toHaveLength(5);
    expect(segmentSlap(ghosted)).toEqual(clean);
  });
});

describe("assessQuality on a slap", () => {
  let report: QualityReport;
  beforeAll(() => {
    report = assessQuality(rightSlap);
  });

  it("judges each finger as its own crop would be judged", () => {
    expect(report.fingers?.map((finger) => finger.box)).toEqual(rightBoxes);
    for (const finger of report.fingers ?? []) {
      expect(finger).toEqual(asFinger(finger.box, assessQuality(cropImage(rightSlap, finger.box))));
    }
  });

  it("takes its score, condition and advice from its worst finger", () => {
    const fingers = report.fingers ?? [];
    expect(fingers).toHaveLength(4);
    const lowest = Math.min(...fingers.map((finger) => finger.score));
    expect(report.score).toBe(lowest);
    const worst = fingers.find((finger) => finger.score === lowest);
    expect(report).toMatchObject({
      condition: worst?.condition,
      confidence: worst?.confidence,
      feedback: worst?.feedback,
      measures: worst?.measures,
    });
    expect(report.version).toMatch(/\+slap-by-finger-\d+$/);
  });

  it("scores a slap with one wet finger by that finger", () => {
    const wet = renderPrint({
      seed: 30_001,
      position: 13,
      sensor: "slap",
      conditions: [{ kind: "wet", severity: 0.9 }],
    });
    // The clean slap with its second finger taken from the wet capture of the same hand.
    const mixed = { ...rightSlap, pixels: rightSlap.pixels.slice() };
    const box = rightBoxes[1] as FingerBox;
    paste(mixed, cropImage(wet, box), box.x, box.y);
    const mixedReport = assessQuality(mixed);
    expect(mixedReport.fingers).toHaveLength(4);
    expect(mixedReport.fingers?.[1]?.condition).toBe("wet");
    expect(mixedReport).toMatchObject({ condition: "wet", feedback: ["wipe-finger"] });
    expect(mixedReport.score).toBe(mixedReport.fingers?.[1]?.score);
    expect(mixedReport.score).toBeLessThan(report.score);
  });

  it("gives each finger of a slap tiled from one finger that finger's own judgement", () => {
    const crop = cropImage(rightSlap, rightBoxes[0] as FingerBox);
    const alone = assessQuality(crop);
    const slap = canvas(242);
    // On the 16-pixel grid, as the crop was cut, so that the cells fall the same way.
    const places = [
      { x: 32, y: 528 },
      { x: 432, y: 400 },
      { x: 832, y: 464 },
      { x: 1232, y: 592 },
    ];
    for (const { x, y } of places) paste(slap, crop, x, y);
    const tiled = assessQuality(slap);
    expect(tiled.fingers).toEqual(
      places.map(({ x, y }) => asFinger({ x, y, width: crop.width, height: crop.height }, alone)),
    );
    expect(tiled).toMatchObject({ score: alone.score, condition: alone.condition });
  });

  it("scores 0 and asks for the missing finger when one is not on the glass", () => {
    const missing = { ...rightSlap, pixels: rightSlap.pixels.slice() };
    const box = rightBoxes[2] as FingerBox;
    for (let row = box.y; row < box.y + box.height; row++) {
      missing.pixels.fill(
        242,
        row * missing.width + box.x,
        row * missing.width + box.x + box.width,
      );
    }
    const threeFingers = assessQuality(missing);
    expect(threeFingers.fingers?.map((finger) => finger.box)).toEqual(
      rightBoxes.filter((other) => other !== box),
    );
    expect(threeFingers).toMatchObject({ score: 0, condition: "partial", confidence: 1 });
    expect(threeFingers.feedback[0]).toBe("place-all-fingers");
  });

  it("finds the fingers the generator pushed off the glass missing", () => {
    // A severe partial capture slides the hand so far that the index finger leaves the glass.
    const slid = assessQuality(
      renderPrint({
        seed: 113,
        position: 13,
        sensor: "slap",
        conditions: [{ kind: "partial", severity: 1 }],
      }),
    );
    expect(slid.fingers?.length).toBeLessThan(4);
    expect(slid).toMatchObject({ score: 0, condition: "partial" });
    expect(slid.feedback).toContain("place-all-fingers");
  });

  it("accepts two thumbs as a whole slap when two fingers are expected", () => {
    const thumbs = renderPrint({ seed: 30_003, position: 15, sensor: "slap" });
    const asPair = assessQuality(thumbs, { expectedFingers: 2 });
    expect(asPair.fingers).toHaveLength(2);
    expect(asPair.score).toBe(Math.min(...(asPair.fingers ?? []).map((finger) => finger.score)));
    expect(asPair.score).toBeGreaterThan(0);
    expect(assessQuality(thumbs)).toMatchObject({ score: 0, condition: "partial" });
  });

  it("does not call glass covered edge to edge with ridges empty", () => {
    const print = renderPrint({ seed: 30_005, position: 2 });
    const covered = canvas(0);
    for (let y = 0; y < SLAP_HEIGHT; y++) {
      for (let x = 0; x < SLAP_WIDTH; x++) {
        covered.pixels[y * SLAP_WIDTH + x] = print.pixels[
          (y % print.height) * print.width + (x % print.width)
        ] as number;
      }
    }
    const report = assessQuality(covered);
    expect(report.condition).not.toBe("no-finger");
    expect(report.fingers?.length).toBeGreaterThan(0);
  });

  it("calls an empty slap no finger, with no fingers", () => {
    expect(assessQuality(canvas(242))).toMatchObject({
      score: 0,
      condition: "no-finger",
      feedback: ["place-finger"],
      fingers: [],
    });
  });

  it("judges single-finger images whole, as before", () => {
    for (const image of [
      renderPrint({ seed: 30_004, position: 2 }),
      renderPrint({ seed: 30_004, position: 2, sensor: "usb-optical" }),
      readPgm(nistReferenceImagePath("SFinGe_Test01.pgm")),
      canvas(242, 799, 799),
    ]) {
      expect(assessQuality(image)).not.toHaveProperty("fingers");
    }
  });

  it("refuses a truncated slap and a nonsensical finger count with clear errors", () => {
    const truncated = { ...canvas(242), pixels: new Uint8Array(1000).fill(0xab) };
    expect(() => assessQuality(truncated)).toThrow(Iso29794InputError);
    expect(() => assessQuality(truncated)).toThrow(/fewer than its 1600x1500/);
    expect(() => assessQuality(truncated)).not.toThrow(/171|0xab/i);
    expect(() => assessQuality(rightSlap, { expectedFingers: 0 })).toThrow(RangeError);
    expect(() => assessQuality(rightSlap, { expectedFingers: 2.5 })).toThrow(RangeError);
  });
});
