import { describe, expect, it } from "vitest";
import {
  FINGER_POSITION_CODES,
  FINGER_POSITIONS,
  type FingerPosition,
} from "../../../agent/capture/finger-position.js";
import { FINGER_NAMES } from "../../../agent/guidance/finger-names.js";
import {
  PROMPT_CATALOGUE,
  PROMPT_IDS,
  SESSION_PROMPT_IDS,
  isFingerPromptId,
  prompt,
  type ResolvedPrompt,
} from "../../../agent/guidance/prompt-catalogue.js";
import {
  BUZZER_TONES,
  GATE_LAMPS,
  type GateLamp,
  type LampPattern,
} from "../../../agent/guidance/signals.js";
import { FEEDBACK_CODES } from "../../../agent/quality/verdict.js";
import { encodeAura } from "../../../drivers/r30x/aura.js";
import type { IndicatorColour, IndicatorState } from "../../../drivers/sensor.js";

// Records rather than arrays, so adding a member to the union without listing it here
// fails to compile instead of silently passing.
const LAMP_PATTERNS: Record<LampPattern, true> = {
  off: true,
  steady: true,
  "blink-slow": true,
  "blink-fast": true,
};
const INDICATOR_PATTERNS: Record<IndicatorState["pattern"], true> = {
  off: true,
  steady: true,
  breathing: true,
  flashing: true,
  "fade-in": true,
  "fade-out": true,
};
const INDICATOR_COLOURS: Record<IndicatorColour, true> = {
  red: true,
  blue: true,
  purple: true,
  green: true,
  yellow: true,
  cyan: true,
  white: true,
};

const ARABIC = /\p{Script=Arabic}/u;
const LATIN = /\p{Script=Latin}/u;

/** Every prompt a terminal can show: plain prompts once, finger prompts once per position. */
function everyResolvedPrompt(): ResolvedPrompt[] {
  return PROMPT_IDS.flatMap((id) =>
    isFingerPromptId(id)
      ? FINGER_POSITION_CODES.map((finger) => prompt(id, { finger }))
      : [prompt(id)],
  );
}

describe("the prompt catalogue", () => {
  it("holds exactly one entry per prompt id", () => {
    expect(Object.keys(PROMPT_CATALOGUE).sort()).toEqual([...PROMPT_IDS].sort());
    expect(new Set(PROMPT_IDS).size).toBe(PROMPT_IDS.length);
  });

  it("has a prompt for every feedback code and every session event", () => {
    for (const id of [...FEEDBACK_CODES, ...SESSION_PROMPT_IDS]) {
      expect(PROMPT_IDS).toContain(id);
    }
  });

  it.each(everyResolvedPrompt())("$id: $en / $ar has text in both languages", (shown) => {
    expect(shown.en.trim()).not.toBe("");
    expect(shown.ar.trim()).not.toBe("");
    expect(shown.en).toBe(shown.en.trim());
    expect(shown.ar).toBe(shown.ar.trim());
  });

  it("writes Arabic in Arabic script only, with the Arabic comma", () => {
    for (const shown of everyResolvedPrompt()) {
      expect(shown.ar, shown.id).toMatch(ARABIC);
      expect(shown.ar, shown.id).not.toMatch(LATIN);
      expect(shown.ar, shown.id).not.toMatch(/[,;?0-9]/);
    }
  });

  it("keeps Arabic script out of the English text", () => {
    for (const shown of everyResolvedPrompt()) {
      expect(shown.en, shown.id).not.toMatch(ARABIC);
      expect(shown.en, shown.id).toMatch(/^[A-Z]/);
    }
  });

  it("never gives two prompts the same text in either language", () => {
    const shown = everyResolvedPrompt();
    expect(new Set(shown.map((p) => p.en)).size).toBe(shown.length);
    expect(new Set(shown.map((p) => p.ar)).size).toBe(shown.length);
  });

  it("refers to fingers in the feminine throughout, as finger-names.ts chose", () => {
    // Whole words only: ضعه must not match inside ضعها.
    const masculineForms = ["الأيمن", "الأيسر", "التالي", "أربعة", "الأربعة", "ضعه"].map(
      (word) => new RegExp(`(?<![\\p{L}\\p{M}])${word}(?![\\p{L}\\p{M}])`, "u"),
    );
    for (const shown of everyResolvedPrompt()) {
      for (const masculine of masculineForms) expect(shown.ar, shown.id).not.toMatch(masculine);
    }
  });
});

describe("prompt() for a named finger", () => {
  it("has a name for exactly the ISO positions 1-10, 13, 14 and 15", () => {
    expect(Object.keys(FINGER_NAMES).map(Number)).toEqual(FINGER_POSITION_CODES);
    expect(FINGER_POSITION_CODES).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15]);
  });

  it.each(FINGER_POSITION_CODES)("renders position %i", (finger) => {
    const shown = prompt("place-named-finger", { finger });
    expect(shown.id).toBe("place-named-finger");
    expect(shown.en).toBe(`Place ${FINGER_NAMES[finger].en}`);
    expect(shown.ar).toBe(`ضع ${FINGER_NAMES[finger].ar}`);
    // The English name carries the side named by finger-position.ts.
    const side = FINGER_POSITIONS[finger].split(" ")[0];
    if (side === "right" || side === "left") expect(shown.en).toContain(side);
  });

  it("names the fingers a kiosk and a 4-4-2 ten-print ask for", () => {
    expect(prompt("place-named-finger", { finger: 2 })).toMatchObject({
      en: "Place your right index finger",
      ar: "ضع السبابة اليمنى",
    });
    expect(prompt("place-named-finger", { finger: 7 })).toMatchObject({
      en: "Place your left index finger",
      ar: "ضع السبابة اليسرى",
    });
    expect(prompt("place-named-finger", { finger: 13 }).ar).toBe("ضع أصابع يدك اليمنى الأربع");
    expect(prompt("place-named-finger", { finger: 15 }).en).toBe("Place both thumbs");
  });

  it("tells the right hand from the left in Arabic too", () => {
    const sides = FINGER_POSITION_CODES.filter((finger) => finger <= 14).map((finger) => {
      const { ar } = prompt("place-named-finger", { finger });
      return ar.includes("اليمنى") ? "right" : ar.includes("اليسرى") ? "left" : "neither";
    });
    expect(sides).toEqual([
      ...Array<string>(5).fill("right"),
      ...Array<string>(5).fill("left"),
      "right",
      "left",
    ]);
  });

  it("asks for a finger exactly where the prompt names one", () => {
    // @ts-expect-error: a named-finger prompt cannot be shown without its position
    expect(() => prompt("place-named-finger")).toThrow(RangeError);
    // @ts-expect-error: plain prompts take no parameters
    expect(prompt("ready", { finger: 2 }).en).toBe(prompt("ready").en);
  });

  it("rejects a position that has no name, whatever the types said", () => {
    const unknown = 11 as FingerPosition;
    expect(() => prompt("place-named-finger", { finger: unknown })).toThrow(RangeError);
  });
});

describe("prompt signals", () => {
  it.each(everyResolvedPrompt())("$id uses real indicator, lamp and tone values", (shown) => {
    expect(BUZZER_TONES).toContain(shown.tone);
    for (const [lamp, pattern] of Object.entries(shown.lights)) {
      expect(GATE_LAMPS).toContain(lamp);
      expect(Object.hasOwn(LAMP_PATTERNS, pattern)).toBe(true);
    }
    const { indicator } = shown;
    expect(Object.hasOwn(INDICATOR_PATTERNS, indicator.pattern)).toBe(true);
    if (indicator.pattern !== "off") {
      expect(Object.hasOwn(INDICATOR_COLOURS, indicator.colour)).toBe(true);
    }
    // The R503 driver is the strictest consumer: it must be able to encode every state.
    expect(() => encodeAura(indicator)).not.toThrow();
  });

  function litLamps(shown: ResolvedPrompt): GateLamp[] {
    return GATE_LAMPS.filter((lamp) => (shown.lights[lamp] ?? "off") !== "off");
  }
  function auraColour(shown: ResolvedPrompt): IndicatorColour | "off" {
    return shown.indicator.pattern === "off" ? "off" : shown.indicator.colour;
  }

  it("shows every correctable feedback in amber and yellow, with the attention tone", () => {
    for (const code of FEEDBACK_CODES) {
      const shown = prompt(code);
      expect(litLamps(shown), code).toEqual(["amber"]);
      expect(auraColour(shown), code).toBe("yellow");
      expect(shown.tone, code).toBe("attention");
    }
  });

  it("keeps green for success and red for failure and alarm", () => {
    for (const id of ["attempt-accepted", "session-complete"] as const) {
      expect(litLamps(prompt(id)), id).toEqual(["green"]);
      expect(auraColour(prompt(id)), id).toBe("green");
      expect(prompt(id).tone, id).toBe("ok");
    }
    for (const id of [
      "session-incomplete",
      "device-fault",
      "out-of-service",
      "tamper-alarm",
    ] as const) {
      expect(litLamps(prompt(id)), id).toEqual(["red"]);
      expect(auraColour(prompt(id)), id).toBe("red");
    }
    expect(prompt("tamper-alarm").tone).toBe("alarm");
    const lampsForOthers = everyResolvedPrompt()
      .filter((shown) => !["attempt-accepted", "session-complete"].includes(shown.id))
      .flatMap(litLamps);
    expect(lampsForOthers).not.toContain("green");
  });
});
