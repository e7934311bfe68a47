import { describe, expect, it } from "vitest";
import {
  FEEDBACK_PRIORITY,
  VERDICT_FALLBACK,
  guidanceFor,
  guidanceForAttempt,
} from "../../../agent/guidance/attempt-guidance.js";
import type { PromptId } from "../../../agent/guidance/prompt-catalogue.js";
import {
  CONDITION_VERDICTS,
  FEEDBACK_CODES,
  type ConditionVerdict,
  type FeedbackCode,
} from "../../../agent/quality/verdict.js";

/** What the quality module says for each condition, and what the traveller should then see. */
const TYPICAL_ASSESSMENTS: Record<
  ConditionVerdict,
  { feedback: readonly FeedbackCode[]; shows: PromptId }
> = {
  good: { feedback: [], shows: "attempt-accepted" },
  wet: { feedback: ["wipe-finger"], shows: "wipe-finger" },
  dry: { feedback: ["press-firmly", "moisten-finger"], shows: "moisten-finger" },
  partial: { feedback: ["centre-finger"], shows: "centre-finger" },
  "too-light": { feedback: ["press-firmly", "centre-finger"], shows: "press-firmly" },
  "too-heavy": { feedback: ["press-lighter"], shows: "press-lighter" },
  smudged: { feedback: ["hold-still", "lift-and-place-again"], shows: "hold-still" },
  "no-finger": { feedback: ["place-finger"], shows: "place-finger" },
};

const PROBLEM_VERDICTS = CONDITION_VERDICTS.filter((verdict) => verdict !== "good");

describe("guidanceFor", () => {
  it.each(CONDITION_VERDICTS)("shows the expected prompt for a typical %s attempt", (verdict) => {
    const { feedback, shows } = TYPICAL_ASSESSMENTS[verdict];
    expect(guidanceFor(verdict, feedback).id).toBe(shows);
  });

  it("accepts a good attempt whatever feedback came with it", () => {
    expect(guidanceFor("good", FEEDBACK_CODES).id).toBe("attempt-accepted");
  });

  it.each(PROBLEM_VERDICTS)("follows the verdict when a %s attempt has no feedback", (verdict) => {
    const shown = guidanceFor(verdict, []).id;
    expect(shown).toBe(VERDICT_FALLBACK[verdict]);
    expect(shown).not.toBe("lift-and-place-again");
  });

  it("alternates the two pieces of advice for a dry finger from one attempt to the next", () => {
    const feedback = ["press-firmly", "moisten-finger"] as const;
    const shown = [1, 2, 3, 4].map((attempt) => guidanceForAttempt("dry", feedback, attempt).id);
    expect(shown).toEqual(["moisten-finger", "press-firmly", "moisten-finger", "press-firmly"]);
  });

  it("does not alternate when only one piece of advice was given", () => {
    for (const attempt of [1, 2, 3]) {
      expect(guidanceForAttempt("dry", ["press-firmly"], attempt).id).toBe("press-firmly");
      expect(guidanceForAttempt("wet", ["wipe-finger"], attempt).id).toBe("wipe-finger");
    }
  });

  it.each(FEEDBACK_CODES)("shows %s's own prompt when it is the only feedback", (code) => {
    for (const verdict of PROBLEM_VERDICTS) expect(guidanceFor(verdict, [code]).id).toBe(code);
  });

  it("ranks every feedback code exactly once", () => {
    expect([...FEEDBACK_PRIORITY].sort()).toEqual([...FEEDBACK_CODES].sort());
    expect(FEEDBACK_PRIORITY.at(-1)).toBe("lift-and-place-again");
  });

  it("lets the higher-ranked code win whatever order the feedback arrives in", () => {
    FEEDBACK_PRIORITY.forEach((higher, rank) => {
      for (const lower of FEEDBACK_PRIORITY.slice(rank + 1)) {
        expect(guidanceFor("wet", [higher, lower]).id).toBe(higher);
        expect(guidanceFor("wet", [lower, higher]).id).toBe(higher);
      }
    });
  });

  it("puts the traveller's own finger before the sensor's cleanliness", () => {
    expect(guidanceFor("smudged", ["clean-sensor", "hold-still"]).id).toBe("hold-still");
    expect(guidanceFor("wet", ["press-firmly", "wipe-finger"]).id).toBe("wipe-finger");
  });

  it("returns the whole prompt, text and signals included", () => {
    const shown = guidanceFor("wet", ["wipe-finger"]);
    expect(shown).toMatchObject({ en: "Wipe your finger", ar: "امسح إصبعك", tone: "attention" });
  });
});
