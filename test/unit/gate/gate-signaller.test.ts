import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { GateSignaller } from "../../../agent/gate/gate-signaller.js";
import { SimulatedGpio } from "../../../drivers/gpio/simulated-gpio.js";
import { captureLog } from "../../support/log-capture.js";

const START = 1_000_000;

beforeEach(() => {
  vi.useFakeTimers({ now: START });
});
afterEach(() => {
  vi.useRealTimers();
});

function signaller() {
  const gpio = new SimulatedGpio();
  const log = captureLog();
  const line = (name: string, number: number) =>
    gpio.output(name, { line: number, activeLow: false });
  const signals = new GateSignaller({
    lamps: { green: line("ledGreen", 27), red: line("ledRed", 9), amber: line("ledAmber", 10) },
    buzzer: line("buzzer", 22),
    logger: log.logger,
  });
  /** A line's changes after claiming, as [ms since the test began, value]. */
  const timeline = (name: string) =>
    gpio
      .transitionsOf(name)
      .slice(1)
      .map((t) => [t.at - START, t.value]);
  return { gpio, log, signals, timeline };
}

describe("gate signaller: lamps", () => {
  it("lights steady lamps and leaves the unnamed ones dark", () => {
    const { gpio, signals } = signaller();
    signals.show({ green: "steady" });
    vi.advanceTimersByTime(5_000);
    expect(["ledGreen", "ledRed", "ledAmber"].map((n) => gpio.outputValue(n))).toEqual([1, 0, 0]);
  });

  it("blinks slow at 1 Hz and fast at 4 Hz, both starting lit", () => {
    const { signals, timeline } = signaller();
    signals.show({ amber: "blink-slow", red: "blink-fast" });
    vi.advanceTimersByTime(2_000);
    expect(timeline("ledAmber")).toEqual([
      [0, 1],
      [500, 0],
      [1_000, 1],
      [1_500, 0],
      [2_000, 1],
    ]);
    expect(timeline("ledRed").slice(0, 5)).toEqual([
      [0, 1],
      [125, 0],
      [250, 1],
      [375, 0],
      [500, 1],
    ]);
    expect(timeline("ledRed")).toHaveLength(17);
  });

  it("replaces the previous pattern at once: no stray blink after a new one", () => {
    const { gpio, signals, timeline } = signaller();
    signals.show({ red: "blink-fast", amber: "steady" });
    vi.advanceTimersByTime(130);
    signals.show({ green: "steady" });
    vi.advanceTimersByTime(3_000);
    expect(timeline("ledRed")).toEqual([
      [0, 1],
      [125, 0],
    ]);
    expect(timeline("ledAmber")).toEqual([
      [0, 1],
      [130, 0],
    ]);
    expect(gpio.outputValue("ledGreen")).toBe(1);
  });

  it("logs a failing lamp once and keeps the others going", () => {
    const { gpio, signals, log, timeline } = signaller();
    gpio.failLine("ledRed", "EIO");
    signals.show({ red: "blink-fast", green: "blink-fast" });
    vi.advanceTimersByTime(1_000);
    expect(timeline("ledGreen")).toHaveLength(9);
    const failures = log.lines().filter((line) => line["msg"] === "signal line failed");
    expect(failures).toEqual([expect.objectContaining({ line: "ledRed", level: "warn" })]);
    gpio.repairLine("ledRed");
    vi.advanceTimersByTime(250);
    expect(log.lines().at(-1)).toMatchObject({ msg: "signal line works again", line: "ledRed" });
  });
});

describe("gate signaller: tones", () => {
  it('plays "ok" as one short beep', () => {
    const { signals, timeline } = signaller();
    signals.sound("ok");
    vi.advanceTimersByTime(5_000);
    expect(timeline("buzzer")).toEqual([
      [0, 1],
      [120, 0],
    ]);
    expect(signals.tone).toBe("none");
  });

  it('plays "attention" as two short beeps and "error" as one long one', () => {
    const { signals, timeline } = signaller();
    signals.sound("attention");
    vi.advanceTimersByTime(1_000);
    signals.sound("error");
    vi.advanceTimersByTime(1_000);
    expect(timeline("buzzer")).toEqual([
      [0, 1],
      [120, 0],
      [240, 1],
      [360, 0],
      [1_000, 1],
      [1_700, 0],
    ]);
  });

  it('repeats "alarm" until another tone replaces it', () => {
    const { gpio, signals, timeline } = signaller();
    signals.sound("alarm");
    vi.advanceTimersByTime(10_000);
    expect(timeline("buzzer")).toHaveLength(41);
    expect(signals.tone).toBe("alarm");
    vi.advanceTimersByTime(100);
    signals.sound("none");
    vi.advanceTimersByTime(10_000);
    expect(gpio.outputValue("buzzer")).toBe(0);
    expect(timeline("buzzer")).toHaveLength(42);
    expect(timeline("buzzer").at(-1)).toEqual([10_100, 0]);
  });

  it("cuts a tone off when a new one starts", () => {
    const { signals, timeline } = signaller();
    signals.sound("error");
    vi.advanceTimersByTime(200);
    signals.sound("ok");
    vi.advanceTimersByTime(2_000);
    expect(timeline("buzzer")).toEqual([
      [0, 1],
      [320, 0],
    ]);
  });
});

describe("closing the gate signaller", () => {
  it("turns every lamp and the buzzer off and ignores later signals", () => {
    const { gpio, signals } = signaller();
    signals.show({ green: "steady", red: "blink-fast" });
    signals.sound("alarm");
    vi.advanceTimersByTime(60);
    signals.close();
    signals.show({ amber: "steady" });
    signals.sound("ok");
    vi.advanceTimersByTime(5_000);
    expect(["ledGreen", "ledRed", "ledAmber", "buzzer"].map((n) => gpio.outputValue(n))).toEqual([
      0, 0, 0, 0,
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
