import { beforeAll, describe, expect, it } from "vitest";
import { assessQuality, type QualityReport } from "../../../agent/quality/assess-quality.js";
import { CONDITION_KINDS } from "../../../hardware-sim/prints/conditions.js";
import {
  renderCapture,
  type LabelledCapture,
} from "../../../hardware-sim/quality-calibration/labelled-set.js";
import { VERDICT_OF_CLASS } from "../../../agent/quality/quality-model.js";
import { heldOutConditionSet, spearman } from "../../support/quality-sets.js";

/**
 * The calibrated model on people it never saw: each condition from absent to as bad as
 * it gets on one placement per person, so the condition alone moves the figures.
 */
const PERSONS = 8;
const LEVELS = [0, 0.25, 0.5, 0.75, 1];

interface Judged {
  readonly capture: LabelledCapture;
  readonly report: QualityReport;
}

let judged: Judged[] = [];

beforeAll(() => {
  judged = heldOutConditionSet(PERSONS, LEVELS).map((capture) => ({
    capture,
    report: assessQuality(renderCapture(capture)),
  }));
}, 600_000);

describe("quality model on held-out synthetic prints", () => {
  it.each(CONDITION_KINDS)("the score falls with %s severity (Spearman rho <= -0.8)", (kind) => {
    const rows = judged.filter((j) => j.capture.kind === kind);
    expect(rows).toHaveLength(PERSONS * LEVELS.length);
    const rho = spearman(
      rows.map((j) => j.capture.severity),
      rows.map((j) => j.report.score),
    );
    expect(rho, `${kind}: rho ${rho.toFixed(3)}`).toBeLessThanOrEqual(-0.8);
  });

  it("names the condition of at least 90 % of prints at severity 0.5 and above", () => {
    const severe = judged.filter((j) => j.capture.severity >= 0.5);
    const right = severe.filter(
      (j) =>
        j.capture.kind !== undefined && j.report.condition === VERDICT_OF_CLASS[j.capture.kind],
    );
    expect(right.length / severe.length).toBeGreaterThanOrEqual(0.9);
  });

  it.each(CONDITION_KINDS)("names %s right in at least 60 % of severe prints", (kind) => {
    // The overall figure could hide one condition the model never names; this cannot.
    const severe = judged.filter((j) => j.capture.kind === kind && j.capture.severity >= 0.5);
    const right = severe.filter((j) => j.report.condition === VERDICT_OF_CLASS[kind]);
    expect(right.length / severe.length, kind).toBeGreaterThanOrEqual(0.6);
  });

  it("gives advice with every verdict but good, and a confidence between 0 and 1", () => {
    for (const { report } of judged) {
      expect(report.confidence).toBeGreaterThan(0);
      expect(report.confidence).toBeLessThanOrEqual(1);
      expect(Number.isInteger(report.score) && report.score >= 0 && report.score <= 100).toBe(true);
      if (report.condition === "good") expect(report.feedback).toEqual([]);
      else expect(report.feedback.length).toBeGreaterThan(0);
    }
  });
});
