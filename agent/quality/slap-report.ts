import type { FingerQuality, QualityReport } from "./assess-quality.js";
import type { FeedbackCode } from "./verdict.js";

/**
 * The finger that decides a slap: the lowest score, since the gate needs every finger good
 * and a slap is only as usable as its worst print. Between equal scores a flagged finger
 * goes before a good one (its advice is worth giving), then the leftmost.
 */
function worstFinger(fingers: readonly FingerQuality[]): FingerQuality {
  let worst = fingers[0] as FingerQuality;
  for (const finger of fingers.slice(1)) {
    if (
      finger.score < worst.score ||
      (finger.score === worst.score && worst.condition === "good" && finger.condition !== "good")
    ) {
      worst = finger;
    }
  }
  return worst;
}

/**
 * A slap's report from its fingers' (at least one), `expectedFingers` being how many it
 * should show. Score, condition, confidence, feedback and measures are the worst finger's,
 * so the slap's figures explain its score the way a single finger's do, and each finger's
 * own stay in `fingers`. A slap showing fewer fingers than expected scores 0 (a missing
 * finger is a no-finger image, score 0, and no slap with a finger missing may pass the
 * gate), is a partial capture with full confidence (the count is not the model's guess),
 * and asks first for the missing finger to be placed, then for whatever the worst finger
 * present needs.
 */
export function slapReport(
  fingers: readonly FingerQuality[],
  expectedFingers: number,
  version: string,
): QualityReport {
  const worst = worstFinger(fingers);
  const { score, condition, confidence, feedback, measures } = worst;
  if (fingers.length >= expectedFingers) {
    return { score, condition, confidence, feedback, measures, version, fingers };
  }
  const placeAll = new Set<FeedbackCode>(["place-all-fingers", ...feedback]);
  return {
    score: 0,
    condition: "partial",
    confidence: 1,
    feedback: [...placeAll],
    measures,
    version,
    fingers,
  };
}
