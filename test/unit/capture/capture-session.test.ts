import { describe, expect, it } from "vitest";
import { decodeCaptureRecord, encodeCaptureRecord } from "../../../agent/records/record-codec.js";
import { SensorError } from "../../../drivers/sensor.js";
import {
  GOOD,
  ScriptedSensor,
  UNPLUGGED,
  always,
  type CaptureStep,
} from "../../support/scripted-sensor.js";
import { sessionHarness } from "../../support/session-harness.js";

const WET: CaptureStep = { condition: "wet", score: 22, feedback: ["wipe-finger"] };

describe("a capture session on the kiosk plan", () => {
  it("passes clean fingers at the first attempt and says so in order", async () => {
    const sensor = new ScriptedSensor("s1", { capture: always(GOOD) });
    const session = sessionHarness([sensor]);
    const record = await session.run();

    expect(record.outcome).toBe("complete");
    expect(record.plan).toBe("kiosk-two-index");
    expect(record.fingers.map((f) => [f.position, f.outcome, f.attempts.length])).toEqual([
      [2, "captured", 1],
      [7, "captured", 1],
    ]);
    for (const finger of record.fingers) {
      expect(finger.image?.pixels.length).toBe(64);
      expect(finger.quality).toMatchObject({ score: 88, condition: "good", measure: "scripted-1" });
      expect(finger.bestAttempt).toBe(0);
      expect(finger.attempts[0]).not.toHaveProperty("prompt");
    }
    // The first finger started the session, so only the second is asked for.
    expect(session.prompts()).toEqual([
      "attempt-accepted",
      "place-named-finger",
      "attempt-accepted",
      "session-complete",
    ]);
    expect(session.events.map((e) => e.type)).toEqual([
      "session-started",
      "finger-requested",
      "attempt-assessed",
      "prompt-shown",
      "finger-accepted",
      "prompt-shown",
      "finger-requested",
      "attempt-assessed",
      "prompt-shown",
      "finger-accepted",
      "prompt-shown",
      "session-ended",
    ]);
    expect(record.sensors).toEqual([
      { id: "s1", kind: "r30x", model: "scripted", identity: { serial: "s1-serial" } },
    ]);
    expect(record.timings.totalMs).toBeGreaterThanOrEqual(record.timings.assessmentMs);
    // The record survives its own codec, every new field validated.
    expect(decodeCaptureRecord(encodeCaptureRecord(record)).fingers[1]?.attempts).toEqual(
      record.fingers[1]?.attempts,
    );
  });

  it("passes a wet finger that dries after the wipe prompt, on a later attempt", async () => {
    // The traveller reads the prompts the session shows, and wipes when told to.
    let promptsSoFar: () => string[] = () => [];
    const sensor = new ScriptedSensor("s1", {
      capture: () => (promptsSoFar().includes("wipe-finger") ? GOOD : WET),
    });
    const run = sessionHarness([sensor]);
    promptsSoFar = () => run.prompts();
    const record = await run.run();

    expect(record.outcome).toBe("complete");
    const [right] = record.fingers;
    expect(right?.attempts.map((a) => [a.verdict, a.score, a.prompt])).toEqual([
      ["wet", 22, "wipe-finger"],
      ["good", 88, undefined],
    ]);
    expect(right?.bestAttempt).toBe(1);
    expect(run.prompts().indexOf("wipe-finger")).toBeLessThan(
      run.prompts().indexOf("attempt-accepted"),
    );
    const wipe = run.events.find((e) => e.type === "prompt-shown" && e.promptId === "wipe-finger");
    expect(wipe).toMatchObject({ text: { en: "Wipe your finger" }, position: 2 });
    // Amber blinking and two beeps at the gate while the traveller has something to fix.
    expect(run.gateSignals).toContainEqual({ lights: { amber: "blink-slow" }, tone: "attention" });
  });

  it("keeps and flags the best attempt of a persistently dry finger once its budget is spent", async () => {
    const scores = [12, 31, 18];
    const sensor = new ScriptedSensor("s1", {
      capture: (n) => ({
        condition: "dry",
        score: scores[(n - 1) % 3] ?? 0,
        feedback: ["moisten-finger", "press-firmly"],
      }),
    });
    const session = sessionHarness([sensor], { plan: "verify-right-index" });
    const record = await session.run();

    expect(record.outcome).toBe("complete-with-exceptions");
    const [finger] = record.fingers;
    expect(finger?.outcome).toBe("below-threshold");
    expect(finger?.attempts.map((a) => a.score)).toEqual([12, 31, 18]);
    expect(finger?.bestAttempt).toBe(1);
    expect(finger?.quality?.score).toBe(31);
    expect(finger?.image?.pixels[0]).toBe(2);
    // The two pieces of dry-finger advice take turns; the last attempt gets none.
    expect(finger?.attempts.map((a) => a.prompt)).toEqual([
      "moisten-finger",
      "press-firmly",
      undefined,
    ]);
    expect(session.events.find((e) => e.type === "finger-accepted")).toMatchObject({
      belowThreshold: true,
      score: 31,
    });
    // Once the budget is spent the kept finger is announced, so the traveller lifts it.
    const prompts = session.events.flatMap((e) => (e.type === "prompt-shown" ? [e.promptId] : []));
    expect(prompts.slice(-2)).toEqual(["attempt-accepted", "session-complete"]);
  });

  it("uses per-finger budgets and thresholds over the plan's", async () => {
    const sensor = new ScriptedSensor("s1", { capture: always({ condition: "good", score: 60 }) });
    const session = sessionHarness([sensor], {
      qualityThreshold: 50,
      fingers: { "7": { qualityThreshold: 70, attempts: 2 } },
    });
    const record = await session.run();
    expect(record.fingers.map((f) => [f.outcome, f.attempts.length, f.qualityThreshold])).toEqual([
      ["captured", 1, 50],
      ["below-threshold", 2, 70],
    ]);
  });

  it("ends as walked away when the next finger is never placed", async () => {
    const sensor = new ScriptedSensor("s1", {
      capture: always(GOOD),
      placement: () => "never",
    });
    const session = sessionHarness([sensor]);
    const record = await session.run();

    expect(record.outcome).toBe("walked-away");
    expect(record.fingers.map((f) => f.outcome)).toEqual(["captured", "placement-timeout"]);
    expect(record.fingers[1]).not.toHaveProperty("image");
    expect(record.timings.travellerMs).toBeGreaterThanOrEqual(140);
    expect(session.prompts().at(-1)).toBe("session-incomplete");
  });

  it("continues on the second sensor when the first is unplugged mid-session", async () => {
    const first = new ScriptedSensor("index-a", {
      capture: (n) => (n === 1 ? GOOD : UNPLUGGED()),
    });
    const second = new ScriptedSensor("index-b", { capture: always(GOOD) });
    const session = sessionHarness([first, second]);
    const record = await session.run();

    expect(record.outcome).toBe("complete");
    expect(record.fingers.map((f) => [f.outcome, f.sensorId])).toEqual([
      ["captured", "index-a"],
      ["captured", "index-b"],
    ]);
    expect(record.sensors.map((s) => s.id)).toEqual(["index-a", "index-b"]);
    expect(second.calls[0]).toBe("open");
  });

  it("ends with a device fault when the only sensor is unplugged mid-session", async () => {
    const sensor = new ScriptedSensor("s1", { capture: (n) => (n === 1 ? GOOD : UNPLUGGED()) });
    const session = sessionHarness([sensor]);
    const record = await session.run();

    expect(record.outcome).toBe("device-fault");
    expect(record.fingers.map((f) => f.outcome)).toEqual(["captured", "device-fault"]);
    expect(session.prompts().at(-1)).toBe("device-fault");
  });

  it("ends with a device fault when the spare sensor does not open either", async () => {
    const first = new ScriptedSensor("a", { capture: always(UNPLUGGED()) });
    const spare = new ScriptedSensor("b", { capture: always(GOOD), opens: false });
    const record = await sessionHarness([first, spare]).run();
    expect(record.outcome).toBe("device-fault");
    expect(record.fingers.map((f) => f.outcome)).toEqual(["device-fault", "not-reached"]);
  });

  it("records a finger declared missing in configuration without asking for it", async () => {
    const sensor = new ScriptedSensor("s1", { capture: always(GOOD) });
    const session = sessionHarness([sensor], {
      declaredFingers: [{ position: 2, reason: "missing" }],
    });
    const record = await session.run(); // the placed finger is taken as the left index

    expect(record.outcome).toBe("complete-with-exceptions");
    expect(record.fingers.map((f) => [f.position, f.outcome, f.attempts.length])).toEqual([
      [2, "missing", 0],
      [7, "captured", 1],
    ]);
    expect(session.prompts()[0]).toBe("finger-skipped");
  });

  it("stops waiting for a finger an operator declares bandaged", async () => {
    const sensor = new ScriptedSensor("s1", {
      capture: always(GOOD),
      placement: () => "never",
    });
    const session = sessionHarness([sensor], { timeouts: { placementMs: 5_000 } });
    const running = session.run();
    setTimeout(() => {
      session.control.declareFinger(7, "bandaged");
    }, 20);
    const record = await running;
    expect(record.fingers.map((f) => f.outcome)).toEqual(["captured", "bandaged"]);
    expect(record.outcome).toBe("complete-with-exceptions");
    expect(record.timings.totalMs).toBeLessThan(2_000);
  });

  it("ends at once with a tamper outcome when the alarm fires mid-session", async () => {
    const sensor = new ScriptedSensor("s1", { capture: always(GOOD), placement: () => "never" });
    const session = sessionHarness([sensor], {
      plan: "ten-print-442",
      timeouts: { placementMs: 5_000 },
    });
    const running = session.run();
    setTimeout(() => {
      session.control.interrupt("tamper");
    }, 20);
    const record = await running;
    expect(record.outcome).toBe("tamper");
    expect(record.fingers.map((f) => f.outcome)).toEqual([
      "captured",
      "not-reached",
      "not-reached",
    ]);
    expect(session.prompts().at(-1)).toBe("tamper-alarm");
    expect(record.timings.totalMs).toBeLessThan(2_000);
  });

  it("stops at the session's attempt budget", async () => {
    const sensor = new ScriptedSensor("s1", {
      capture: always({ condition: "too-light", score: 10 }),
    });
    const record = await sessionHarness([sensor], { attemptsPerSession: 4 }).run();
    expect(record.outcome).toBe("budget-exhausted");
    expect(record.fingers.map((f) => [f.outcome, f.attempts.length])).toEqual([
      ["below-threshold", 3],
      ["below-threshold", 1],
    ]);
  });

  it("asks for the first finger when presence, not a finger, started the session", async () => {
    const sensor = new ScriptedSensor("s1", { capture: always(GOOD) });
    const session = sessionHarness([sensor], {}, { firstFingerPlaced: false });
    await session.run();
    expect(session.prompts()[0]).toBe("place-named-finger");
    expect(sensor.calls.filter((c) => c === "waitForFinger")).toHaveLength(2);
  });

  it("rejects only when shut down", async () => {
    const sensor = new ScriptedSensor("s1", { capture: always(GOOD), placement: () => "never" });
    const session = sessionHarness([sensor], { timeouts: { placementMs: 5_000 } });
    const running = session.run();
    setTimeout(() => {
      session.shutdown.abort(new Error("stopping"));
    }, 20);
    await expect(running).rejects.toThrow();
  });

  it("treats a sensor that garbles every reply as a device fault instead of throwing", async () => {
    const broken = new ScriptedSensor("s2", {
      capture: () => new SensorError("protocol", "garbled"),
    });
    const record = await sessionHarness([broken]).run();
    expect(record.outcome).toBe("device-fault");
    expect(record.fingers.map((f) => f.outcome)).toEqual(["device-fault", "not-reached"]);
  });

  it("puts no image bytes into any event", async () => {
    const sensor = new ScriptedSensor("s1", { capture: always(GOOD) });
    const session = sessionHarness([sensor]);
    await session.run();
    const serialised = JSON.stringify(session.events);
    expect(serialised).not.toMatch(/pixels|image/);
    expect(session.events.length).toBeGreaterThan(5);
  });
});
