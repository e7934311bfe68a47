import type { ConditionVerdict, FeedbackCode } from "../quality/verdict.js";
import { prompt, type ResolvedPrompt } from "./prompt-catalogue.js";

/**
 * Which feedback code wins when the quality module gives several: a traveller reads one
 * prompt per attempt, so it must be the one most likely to make the next image good.
 *
 * - place-finger first: with nothing on the sensor, no other advice can be followed.
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
 * The one prompt to show after an assessed attempt. A good verdict is accepted whatever
 * feedback came with it; otherwise the highest-priority feedback code wins, and with no
 * feedback at all the traveller is simply asked to try again.
 */
export function guidanceFor(
  verdict: ConditionVerdict,
  feedback: readonly FeedbackCode[],
): ResolvedPrompt {
  if (verdict === "good") {
    return prompt("attempt-accepted");
  }
  const winner = FEEDBACK_PRIORITY.find((code) => feedback.includes(code));
  return prompt(winner ?? "lift-and-place-again");
}
