import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SessionControl } from "../../../agent/capture/session-control.js";
import { SessionEvents, type TimedSessionEvent } from "../../../agent/capture/session-events.js";
import { SessionTriggers } from "../../../agent/capture/session-triggers.js";
import { GuidancePresenter } from "../../../agent/guidance/guidance-presenter.js";
import { captureLog } from "../../support/log-capture.js";
import { simulatedTerminalGate } from "../../support/simulated-gate.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A gate with presence (250 ms debounce, the default) and tamper, on simulated GPIO. */
function gateWithTriggers() {
  const log = captureLog();
  const { gate, gpio: sim } = simulatedTerminalGate(log.logger);
  const events: TimedSessionEvent[] = [];
  const bus = new SessionEvents();
  bus.on((event) => events.push(event));
  const presenter = new GuidancePresenter({
    events: bus,
    gate: gate.signaller,
    logger: log.logger,
  });
  const triggers = new SessionTriggers({ presence: gate.presence, tamper: gate.tamper, presenter });
  gate.start();
  return { sim, gate, triggers, events };
}

describe("session triggers from the gate's inputs", () => {
  it("starts one session for a presence sensor that bounces as someone steps up", async () => {
    const { sim, triggers } = gateWithTriggers();
    const shutdown = new AbortController();
    const arrivals: boolean[] = [];
    const waiting = triggers.arrival(shutdown.signal, 60_000).then((a) => arrivals.push(a));
    // Footsteps: on, off, on, off, on within a few tens of milliseconds, then standing still.
    for (const value of [1, 0, 1, 0, 1] as const) {
      sim.setInput("presence", value);
      await vi.advanceTimersByTimeAsync(30);
    }
    await vi.advanceTimersByTimeAsync(300);
    await waiting;
    expect(arrivals).toEqual([true]);
    // No second arrival is pending: the next wait runs out instead of starting a session.
    const next = triggers.arrival(shutdown.signal, 1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await next).toBe(false);
  });

  it("does not end a session when the traveller shifts their feet, but does when they leave", async () => {
    const { sim, triggers } = gateWithTriggers();
    sim.setInput("presence", 1);
    await vi.advanceTimersByTimeAsync(300);
    const control = new SessionControl();
    let release: () => void = () => undefined;
    const session = triggers.during(control, () => new Promise<void>((r) => (release = r)));

    sim.setInput("presence", 0);
    await vi.advanceTimersByTimeAsync(600); // debounced, but back within the leave grace
    sim.setInput("presence", 1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(control.interruption).toBeUndefined();

    sim.setInput("presence", 0);
    await vi.advanceTimersByTimeAsync(250 + 1_500);
    expect(control.interruption).toBe("traveller-left");
    release();
    await session;
  });

  it("ends the running session on a tamper alarm, shows the alarm and holds the relay closed", async () => {
    const { sim, gate, triggers, events } = gateWithTriggers();
    const control = new SessionControl();
    let release: () => void = () => undefined;
    const session = triggers.during(control, () => new Promise<void>((r) => (release = r)));
    sim.setInput("tamper", 1);
    await vi.advanceTimersByTimeAsync(60);

    expect(control.interruption).toBe("tamper");
    expect(triggers.tamperLatched()).toBe(true);
    expect(gate.relay.holds).toEqual(["tamper"]);
    expect(sim.outputValue("gateRelay")).toBe(0);
    expect(events.at(-1)).toMatchObject({ type: "prompt-shown", promptId: "tamper-alarm" });
    expect(sim.outputValue("ledRed")).toBe(1);
    release();
    await session;

    // A session that would start while the alarm is latched is interrupted from the start.
    const next = new SessionControl();
    await triggers.during(next, () => Promise.resolve());
    expect(next.interruption).toBe("tamper");
    gate.close();
  });
});
