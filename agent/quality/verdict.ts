/**
 * What the quality module tells the capture layer about one image: which condition spoiled
 * it (or that it is good), and what the traveller should do about it. The capture layer
 * maps feedback codes to prompts, lights and tones; the codes never change meaning.
 */

/** The condition judged most likely to explain the image. */
export const CONDITION_VERDICTS = [
  "good",
  "wet",
  "dry",
  "partial",
  "too-light",
  "too-heavy",
  "smudged",
  "no-finger",
] as const;
export type ConditionVerdict = (typeof CONDITION_VERDICTS)[number];

/** Something the traveller (or, for clean-sensor, the terminal's keeper) can act on. */
export const FEEDBACK_CODES = [
  /** Wet or oily finger: wipe it on a cloth or sleeve. */
  "wipe-finger",
  /** Dry or worn ridges that show faintly: press firmly. */
  "press-firmly",
  /** Dry skin: breathe on the fingertip to moisten it. */
  "moisten-finger",
  /** Too little of the finger, or off the middle: place it in the centre. */
  "centre-finger",
  /** Flattened ridges from pressing too hard. */
  "press-lighter",
  /** Smeared by movement during the capture. */
  "hold-still",
  /** Residue on the platen from earlier fingers. */
  "clean-sensor",
  /** Nothing on the sensor. */
  "place-finger",
  /** A slap shows fewer fingers than it should. */
  "place-all-fingers",
  /** Whatever went wrong, a fresh placement may fix it. */
  "lift-and-place-again",
] as const;
export type FeedbackCode = (typeof FEEDBACK_CODES)[number];
