import type { IndicatorState } from "../../drivers/sensor.js";
import { isFingerPosition, type FingerPosition } from "../capture/finger-position.js";
import { FEEDBACK_CODES, type FeedbackCode } from "../quality/verdict.js";
import { FINGER_NAMES, type BilingualText } from "./finger-names.js";
import type { BuzzerTone, GateLights } from "./signals.js";

/**
 * Everything a terminal says to the traveller, in one place. Other code asks for a prompt
 * by id and never writes traveller-facing text itself (a unit test looks for Arabic string
 * literals outside agent/guidance), so the wording, both languages and the signals that go
 * with them are reviewed together and change together.
 */

/** What a terminal shows outside the quality module's feedback: the session's own events. */
export const SESSION_PROMPT_IDS = [
  /** Idle, waiting for a traveller. */
  "ready",
  /** Asking for one position of the capture plan; needs the finger position. */
  "place-named-finger",
  /** A finger is on the sensor and the image is being taken. */
  "capturing",
  "attempt-accepted",
  "next-finger",
  /** Missing or bandaged: the plan goes on without this position. */
  "finger-skipped",
  "session-complete",
  /** The traveller walked away or the session timed out before every finger was taken. */
  "session-incomplete",
  /** The sensor or terminal failed; someone has to help the traveller. */
  "device-fault",
  /** The terminal refuses new captures (for example, its queue is full). */
  "out-of-service",
  "tamper-alarm",
] as const;
export type SessionPromptId = (typeof SESSION_PROMPT_IDS)[number];

export type PromptId = FeedbackCode | SessionPromptId;
export const PROMPT_IDS: readonly PromptId[] = [...FEEDBACK_CODES, ...SESSION_PROMPT_IDS];

/** The prompts whose text names a finger position. */
export type FingerPromptId = "place-named-finger";
export type PlainPromptId = Exclude<PromptId, FingerPromptId>;

export interface FingerPromptParams {
  readonly finger: FingerPosition;
}

/** The non-verbal half of a prompt: the sensor's own light, the gate's lamps, the buzzer. */
export interface PromptSignals {
  readonly indicator: IndicatorState;
  readonly lights: GateLights;
  readonly tone: BuzzerTone;
}

type PromptText<Id extends PromptId> = Id extends FingerPromptId
  ? (finger: BilingualText) => string
  : string;

export type CatalogueEntry<Id extends PromptId> = PromptSignals & {
  readonly en: PromptText<Id>;
  readonly ar: PromptText<Id>;
};

/** A prompt ready to show: text in both languages plus its signals. */
export interface ResolvedPrompt extends BilingualText, PromptSignals {
  readonly id: PromptId;
}

/*
 * Colours and sounds, so that one colour always means one thing to the traveller:
 * - green: something succeeded (an attempt accepted, the session complete); the "ok" beep.
 * - amber on the gate, yellow on the aura: the traveller can put it right (every quality
 *   feedback code). It blinks or flashes because it asks for action; two short beeps.
 * - red: failure or alarm, never used for something the traveller can fix at once. Steady
 *   with no tone when the terminal is closed, since that state lasts and a repeating error
 *   beep would only trouble the queue; blinking with the long error tone for a fault or an
 *   abandoned session; fast blinking with the repeating alarm for tampering.
 * - blue breathing on the aura: waiting for a finger. The gate's lamps stay dark then,
 *   because its green is kept for success and its amber for correctable guidance.
 * - purple on the aura: the terminal is working (capturing); keep still.
 * - white on the aura: information that needs no action (a finger skipped); the gate
 *   stays dark and silent, as neither success, correction nor failure fits.
 */
const WAITING_FOR_FINGER: PromptSignals = {
  indicator: { pattern: "breathing", colour: "blue", cycles: 0 },
  lights: {},
  tone: "none",
};
const WORKING: PromptSignals = {
  indicator: { pattern: "steady", colour: "purple" },
  lights: {},
  tone: "none",
};
const SUCCEEDED: PromptSignals = {
  indicator: { pattern: "steady", colour: "green" },
  lights: { green: "steady" },
  tone: "ok",
};
const CORRECTABLE: PromptSignals = {
  indicator: { pattern: "flashing", colour: "yellow", cycles: 0 },
  lights: { amber: "blink-slow" },
  tone: "attention",
};
const INFORMATION: PromptSignals = {
  indicator: { pattern: "steady", colour: "white" },
  lights: {},
  tone: "none",
};
const FAILED: PromptSignals = {
  indicator: { pattern: "steady", colour: "red" },
  lights: { red: "blink-slow" },
  tone: "error",
};
const CLOSED: PromptSignals = {
  indicator: { pattern: "steady", colour: "red" },
  lights: { red: "steady" },
  tone: "none",
};
const ALARM: PromptSignals = {
  indicator: { pattern: "flashing", colour: "red", cycles: 0 },
  lights: { red: "blink-fast" },
  tone: "alarm",
};

/*
 * Wording: the fewest words that say what to do, imperative and addressed to the traveller,
 * with يرجى ("please") where the request is for something beyond the finger itself. "The
 * sensor" is قارئ البصمة (fingerprint reader), the term Arabic-language kiosks use.
 */
export const PROMPT_CATALOGUE: { readonly [Id in PromptId]: CatalogueEntry<Id> } = {
  "wipe-finger": {
    en: "Wipe your finger",
    ar: "امسح إصبعك",
    ...CORRECTABLE,
  },
  "press-firmly": {
    en: "Press more firmly",
    ar: "اضغط بقوة أكبر",
    ...CORRECTABLE,
  },
  "moisten-finger": {
    en: "Breathe on your fingertip",
    ar: "تنفس على طرف إصبعك",
    ...CORRECTABLE,
  },
  "centre-finger": {
    en: "Place your finger in the centre",
    ar: "ضع إصبعك في المنتصف",
    ...CORRECTABLE,
  },
  "press-lighter": {
    en: "Press more gently",
    ar: "خفف الضغط قليلًا",
    ...CORRECTABLE,
  },
  "hold-still": {
    en: "Keep your finger still",
    ar: "لا تحرك إصبعك",
    ...CORRECTABLE,
  },
  "clean-sensor": {
    en: "Please wipe the sensor surface",
    ar: "يرجى مسح سطح قارئ البصمة",
    ...CORRECTABLE,
  },
  "place-finger": {
    en: "Place your finger flat on the sensor",
    ar: "ضع إصبعك مسطحة على قارئ البصمة",
    ...CORRECTABLE,
  },
  "place-all-fingers": {
    en: "Place all your fingers flat on the sensor",
    ar: "ضع جميع أصابعك مسطحة على قارئ البصمة",
    ...CORRECTABLE,
  },
  "lift-and-place-again": {
    en: "Lift your finger and place it again",
    ar: "ارفع إصبعك ثم ضعها مجددًا",
    ...CORRECTABLE,
  },
  ready: {
    en: "Place your finger on the sensor",
    ar: "ضع إصبعك على قارئ البصمة",
    ...WAITING_FOR_FINGER,
  },
  "place-named-finger": {
    en: (finger) => `Place ${finger.en}`,
    ar: (finger) => `ضع ${finger.ar}`,
    ...WAITING_FOR_FINGER,
  },
  capturing: {
    en: "Scanning, hold still",
    ar: "جارٍ المسح، يرجى الثبات",
    ...WORKING,
  },
  "attempt-accepted": {
    en: "Fingerprint taken, lift your finger",
    ar: "تم أخذ البصمة، ارفع إصبعك",
    ...SUCCEEDED,
  },
  "next-finger": {
    en: "Now the next finger",
    ar: "والآن الإصبع التالية",
    ...WAITING_FOR_FINGER,
  },
  "finger-skipped": {
    en: "This finger is skipped",
    ar: "تم تخطي هذه الإصبع",
    ...INFORMATION,
  },
  "session-complete": {
    en: "Fingerprints complete, thank you",
    ar: "اكتمل أخذ البصمات، شكرًا لك",
    ...SUCCEEDED,
  },
  "session-incomplete": {
    en: "Session ended, please start again",
    ar: "انتهت الجلسة، يرجى البدء من جديد",
    ...FAILED,
  },
  "device-fault": {
    en: "Technical fault, please ask an officer",
    ar: "عطل فني، يرجى مراجعة الموظف",
    ...FAILED,
  },
  "out-of-service": {
    en: "Out of service, please use another lane",
    ar: "خارج الخدمة، يرجى التوجه إلى مسار آخر",
    ...CLOSED,
  },
  "tamper-alarm": {
    en: "Security alarm, do not touch the device",
    ar: "إنذار أمني، لا تلمس الجهاز",
    ...ALARM,
  },
};

export function isFingerPromptId(id: PromptId): id is FingerPromptId {
  return id === "place-named-finger";
}

/** The prompt to show for `id`; prompts that name a finger take its position. */
export function prompt(id: PlainPromptId): ResolvedPrompt;
export function prompt(id: FingerPromptId, params: FingerPromptParams): ResolvedPrompt;
export function prompt(id: PromptId, params?: FingerPromptParams): ResolvedPrompt {
  if (isFingerPromptId(id)) {
    // Positions from a custom capture plan arrive as numbers from configuration, so the
    // type alone does not guarantee a name exists.
    if (params === undefined || !isFingerPosition(params.finger)) {
      throw new RangeError(`prompt "${id}" needs a finger position (1-10, 13, 14 or 15)`);
    }
    const { en, ar, ...signals } = PROMPT_CATALOGUE[id];
    const finger = FINGER_NAMES[params.finger];
    return { id, en: en(finger), ar: ar(finger), ...signals };
  }
  return { id, ...PROMPT_CATALOGUE[id] };
}
