import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PresenceMonitor } from "../../../agent/gate/presence-monitor.js";
import { SimulatedGpio } from "../../../drivers/gpio/simulated-gpio.js";
import { captureLog } from "../../support/log-capture.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

function presence(options: { present?: boolean } = {}) {
  const gpio = new SimulatedGpio();
  const input = gpio.input("presence", { line: 5, activeLow: true, debounceMs: 250 });
  if (options.present === true) {
    gpio.setInput("presence", 1);
    vi.advanceTimersByTime(250);
  }
  const log = captureLog();
  const monitor = new PresenceMonitor({ input, logger: log.logger, leaveGraceMs: 1_500 });
  const events: string[] = [];
  monitor.on("arrived", () => events.push("arrived"));
  monitor.on("left", () => events.push("left"));
  return { gpio, log, monitor, events };
}

describe("presence monitor", () => {
  it("reports an arrival once the sensor has settled", () => {
    const { gpio, monitor, events } = presence();
    monitor.start();
    gpio.setInput("presence", 1);
    vi.advanceTimersByTime(249);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(["arrived"]);
    expect(monitor.present).toBe(true);
  });

  it("ignores a flicker shorter than the debounce", () => {
    const { gpio, monitor, events } = presence();
    monitor.start();
    gpio.setInput("presence", 1);
    vi.advanceTimersByTime(100);
    gpio.setInput("presence", 0);
    vi.advanceTimersByTime(5_000);
    expect(events).toEqual([]);
  });

  it("reports leaving only after the sensor stays clear for the grace period", () => {
    const { gpio, monitor, events } = presence();
    monitor.start();
    gpio.setInput("presence", 1);
    vi.advanceTimersByTime(250);
    gpio.setInput("presence", 0);
    vi.advanceTimersByTime(250 + 1_499);
    expect(events).toEqual(["arrived"]);
    expect(monitor.present).toBe(true);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(["arrived", "left"]);
    expect(monitor.present).toBe(false);
  });

  it("keeps one traveller's presence when they step back within the grace period", () => {
    const { gpio, monitor, events } = presence();
    monitor.start();
    gpio.setInput("presence", 1);
    vi.advanceTimersByTime(250);
    gpio.setInput("presence", 0);
    vi.advanceTimersByTime(1_000);
    gpio.setInput("presence", 1);
    vi.advanceTimersByTime(10_000);
    expect(events).toEqual(["arrived"]);
  });

  it("counts someone already there at start as arriving", () => {
    const { monitor, events } = presence({ present: true });
    monitor.start();
    expect(events).toEqual(["arrived"]);
  });

  it("logs an unreadable sensor without inventing an arrival or a departure", () => {
    const { gpio, monitor, events, log } = presence({ present: true });
    monitor.start();
    gpio.failLine("presence", "EIO");
    vi.advanceTimersByTime(10_000);
    expect(events).toEqual(["arrived"]);
    expect(log.lines()).toContainEqual(
      expect.objectContaining({ level: "error", msg: "presence sensor unreadable" }),
    );
  });

  it("reports nothing after close()", () => {
    const { gpio, monitor, events } = presence();
    monitor.start();
    monitor.close();
    gpio.setInput("presence", 1);
    vi.advanceTimersByTime(10_000);
    expect(events).toEqual([]);
  });
});
