import type { ConditionVerdict, FeedbackCode } from "../quality/verdict.js";
import { prompt, type ResolvedPrompt } from "./prompt-catalogue.js";

/**
 * Which feedback code wins when the quality module gives several: a traveller reads one
 * prompt per attempt, so it must be the one most likely to make the next image good.
 *
 * - place-finger first: with nothing on the sensor, no other advice can be followed; then
 *   place-all-fingers, as a slap judged with a finger missing is judged wrongly.
 * - Then the skin itself (wipe, moisten): moisture or dryness spoils the whole image
 *   wherever and however hard the finger is placed, and pressing harder on a wet finger
 *   only merges the ridges further.
 * - Then pressure (lighter, firmer): pressure decides how much of the finger touches the
 *   sensor, so a light touch that looked off-centre is often fixed by pressing alone, while
 *   centring never fixes pressure.
 * - Then position (centre), then motion (hold still): a smear is a one-off accident more
 *   than a habit, so it is the least likely to repeat.
 * - clean-sensor late: residue is the keeper's job, and asking the traveller to clean the
 *   sensor only helps if nothing about their own finger needs changing.
 * - lift-and-place-again last: it is what every other code implies anyway.
 */
export const FEEDBACK_PRIORITY = [
  "place-finger",
  "place-all-fingers",
  "wipe-finger",
  "moisten-finger",
  "press-lighter",
  "press-firmly",
  "centre-finger",
  "hold-still",
  "clean-sensor",
  "lift-and-place-again",
] as const satisfies readonly FeedbackCode[];

/**
 * What a verdict alone asks for, when the quality module gave no feedback with it: the
 * verdict still says what went wrong, which is more use to the traveller than "try again".
 */
export const VERDICT_FALLBACK = {
  wet: "wipe-finger",
  dry: "moisten-finger",
  partial: "centre-finger",
  "too-light": "press-firmly",
  "too-heavy": "press-lighter",
  smudged: "hold-still",
  "no-finger": "place-finger",
} as const satisfies Record<Exclude<ConditionVerdict, "good">, FeedbackCode>;

/**
 * Advice that fixes the same condition two ways. When one did not work, the other is
 * worth a try: a dry finger that pressing harder did not help may need breathing on.
 */
const ALTERNATIVES: readonly (readonly [FeedbackCode, FeedbackCode])[] = [
  ["moisten-finger", "press-firmly"],
];

/**
 * The one prompt to show after an assessed attempt. A good verdict is accepted whatever
 * feedback came with it; otherwise the highest-priority feedback code wins, and with no
 * feedback at all the verdict's own advice is given.
 */
export function guidanceFor(
  verdict: ConditionVerdict,
  feedback: readonly FeedbackCode[],
): ResolvedPrompt {
  return guidanceForAttempt(verdict, feedback, 1);
}

/**
 * As guidanceFor, for the `attempt`-th attempt (1-based) at one finger: where the feedback
 * holds both halves of an alternative, even attempts get the second, so a traveller whose
 * first try at one piece of advice failed hears the other instead of the same words again.
 */
export function guidanceForAttempt(
  verdict: ConditionVerdict,
  feedback: readonly FeedbackCode[],
  attempt: number,
): ResolvedPrompt {
  if (verdict === "good") {
    return prompt("attempt-accepted");
  }
  const winner = FEEDBACK_PRIORITY.find((code) => feedback.includes(code));
  if (winner === undefined) return prompt(VERDICT_FALLBACK[verdict]);
  const pair = ALTERNATIVES.find((codes) => codes.includes(winner));
  if (pair !== undefined && pair.every((code) => feedback.includes(code)) && attempt % 2 === 0) {
    return prompt(pair[0] === winner ? pair[1] : pair[0]);
  }
  return prompt(winner);
}
