import { beforeAll, describe, expect, it } from "vitest";
import { assessQuality, type QualityReport } from "../../../agent/quality/assess-quality.js";
import { renderCapture } from "../../../hardware-sim/quality-calibration/labelled-set.js";
import { heldOutCleanSet } from "../../support/quality-sets.js";

/** Clean captures of held-out people on every calibrated sensor, several placements each. */
let reports: QualityReport[] = [];

beforeAll(() => {
  reports = heldOutCleanSet(40, 3).map((capture) => assessQuality(renderCapture(capture)));
}, 600_000);

describe("quality model on clean held-out prints", () => {
  it("flags at most 5 % of clean prints", () => {
    expect(reports).toHaveLength(120);
    const flagged = reports.filter((report) => report.condition !== "good");
    expect(flagged.length / reports.length).toBeLessThanOrEqual(0.05);
  });

  it("scores clean prints above the default acceptance threshold (40)", () => {
    const scores = reports.map((report) => report.score).sort((a, b) => a - b);
    const median = scores[Math.floor(scores.length / 2)] ?? 0;
    expect(median).toBeGreaterThanOrEqual(80);
    expect(scores.filter((score) => score < 40).length).toBeLessThanOrEqual(reports.length * 0.05);
  });
});
