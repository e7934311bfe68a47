import type { FingerPosition } from "../capture/finger-position.js";

/** One piece of traveller-facing text in both of the terminal's languages. */
export interface BilingualText {
  readonly en: string;
  readonly ar: string;
}

/**
 * Each position as the thing the traveller is asked to place ("Place …" / "ضع …"), not as
 * a bare noun: slaps and both thumbs read naturally only as whole phrases, and an Arabic
 * dual takes a different ending as an object than as a subject.
 *
 * Arabic treats إصبع and the finger names as feminine (الإبهام، البنصر and الخنصر are
 * feminine in the classical dictionaries, and either gender is correct for إصبع), so every
 * adjective and pronoun that refers to a finger in the catalogue is feminine: السبابة
 * اليمنى, الإصبع التالية, ضعها, and the four of a slap is أربع, not أربعة.
 */
export const FINGER_NAMES = {
  1: { en: "your right thumb", ar: "الإبهام اليمنى" },
  2: { en: "your right index finger", ar: "السبابة اليمنى" },
  3: { en: "your right middle finger", ar: "الوسطى اليمنى" },
  4: { en: "your right ring finger", ar: "البنصر اليمنى" },
  5: { en: "your right little finger", ar: "الخنصر اليمنى" },
  6: { en: "your left thumb", ar: "الإبهام اليسرى" },
  7: { en: "your left index finger", ar: "السبابة اليسرى" },
  8: { en: "your left middle finger", ar: "الوسطى اليسرى" },
  9: { en: "your left ring finger", ar: "البنصر اليسرى" },
  10: { en: "your left little finger", ar: "الخنصر اليسرى" },
  13: { en: "the four fingers of your right hand", ar: "أصابع يدك اليمنى الأربع" },
  14: { en: "the four fingers of your left hand", ar: "أصابع يدك اليسرى الأربع" },
  15: { en: "both thumbs", ar: "كلا الإبهامين" },
} as const satisfies Record<FingerPosition, BilingualText>;
