import { describe, expect, it } from "vitest";
import { adaptParameters } from "../../../agent/capture/capture-adaptation.js";
import { SessionEvents, type TimedSessionEvent } from "../../../agent/capture/session-events.js";
import { GuidancePresenter } from "../../../agent/guidance/guidance-presenter.js";
import { prompt } from "../../../agent/guidance/prompt-catalogue.js";
import { createLogger } from "../../../agent/log/logger.js";
import { GOOD, ScriptedSensor, always } from "../../support/scripted-sensor.js";
import { sessionHarness } from "../../support/session-harness.js";

const RANGES = {
  gain: { min: 0, max: 16, initial: 8 },
  exposure: { min: 10, max: 90, initial: 50 },
} as const;

describe("capture parameter adaptation", () => {
  it("turns gain and exposure down for a wet finger and up for a dry one, within range", () => {
    expect(adaptParameters({ gain: 8, exposure: 50 }, RANGES, "wet")).toEqual({
      gain: 6,
      exposure: 40,
    });
    expect(adaptParameters({ gain: 8, exposure: 50 }, RANGES, "dry")).toEqual({
      gain: 10,
      exposure: 60,
    });
    expect(adaptParameters({ gain: 16, exposure: 90 }, RANGES, "too-light")).toBeUndefined();
    expect(adaptParameters({ gain: 15, exposure: 89 }, RANGES, "too-light")).toEqual({
      gain: 16,
      exposure: 90,
    });
  });

  it("leaves them alone for what the traveller has to fix", () => {
    for (const condition of ["partial", "smudged", "no-finger", "good"] as const) {
      expect(adaptParameters({ gain: 8, exposure: 50 }, RANGES, condition)).toBeUndefined();
    }
  });

  it("records the parameters each attempt used, and restores them after the session", async () => {
    const sensor = new ScriptedSensor("usb-1", {
      parameters: RANGES,
      capture: (n) => (n === 1 ? { condition: "wet", score: 20, feedback: ["wipe-finger"] } : GOOD),
    });
    const record = await sessionHarness([sensor], { plan: "verify-right-index" }).run();
    expect(record.fingers[0]?.attempts.map((a) => a.parameters)).toEqual([
      { gain: 8, exposure: 50 },
      { gain: 6, exposure: 40 },
    ]);
    expect(sensor.parameterChanges.at(-1)).toEqual({ gain: 8, exposure: 50 });
  });

  it("records no parameters on a sensor without them, nor when adaptation is off", async () => {
    const plain = new ScriptedSensor("r307", { capture: always(GOOD) });
    const record = await sessionHarness([plain], { plan: "verify-right-index" }).run();
    expect(record.fingers[0]?.attempts[0]).not.toHaveProperty("parameters");

    const adjustable = new ScriptedSensor("usb-1", {
      parameters: RANGES,
      capture: (n) => (n === 1 ? { condition: "dry", score: 20 } : GOOD),
    });
    await sessionHarness([adjustable], {
      plan: "verify-right-index",
      adaptParameters: false,
    }).run();
    expect(adjustable.parameterChanges).toEqual([]);
  });
});

describe("the guidance presenter", () => {
  const logger = createLogger({ name: "test", level: "silent" });

  it("shows a prompt on the aura, the gate and the event stream at once", async () => {
    const events = new SessionEvents();
    const seen: TimedSessionEvent[] = [];
    events.on((event) => seen.push(event));
    const gate: string[] = [];
    const presenter = new GuidancePresenter({
      events,
      logger,
      gate: {
        show: (lights) => gate.push(`lights ${JSON.stringify(lights)}`),
        sound: (tone) => gate.push(`tone ${tone}`),
      },
    });
    const sensor = new ScriptedSensor("r503", { indicator: true, capture: always(GOOD) });
    await presenter.show(prompt("wipe-finger"), { sensor, sessionId: "s-1", position: 7 });

    expect(sensor.indicatorStates).toEqual([{ pattern: "flashing", colour: "yellow", cycles: 0 }]);
    expect(gate).toEqual(['lights {"amber":"blink-slow"}', "tone attention"]);
    expect(seen).toEqual([
      expect.objectContaining({
        type: "prompt-shown",
        promptId: "wipe-finger",
        sessionId: "s-1",
        position: 7,
        text: { en: "Wipe your finger", ar: "امسح إصبعك" },
      }),
    ]);
    expect(presenter.current?.id).toBe("wipe-finger");
  });

  it("leaves the light alone on a sensor without one, and survives a light that fails", async () => {
    const presenter = new GuidancePresenter({ events: new SessionEvents(), logger });
    const plain = new ScriptedSensor("r307", { capture: always(GOOD) });
    await presenter.show(prompt("ready"), { sensor: plain });
    expect(plain.indicatorStates).toEqual([]);

    const failing = new ScriptedSensor("r503", { indicator: true, capture: always(GOOD) });
    failing.setIndicator = () => Promise.reject(new Error("line dropped"));
    await expect(presenter.show(prompt("ready"), { sensor: failing })).resolves.toBeUndefined();
  });

  it("keeps telling other listeners when one throws", () => {
    const errors: unknown[] = [];
    const events = new SessionEvents((error) => errors.push(error));
    const heard: string[] = [];
    events.on(() => {
      throw new Error("display crashed");
    });
    events.on((event) => heard.push(event.type));
    events.emit({ type: "session-started", sessionId: "x", plan: "p", fingers: [2] });
    expect(heard).toEqual(["session-started"]);
    expect(errors).toHaveLength(1);
  });
});
