import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { isGpioError, type LineValue } from "../../../drivers/gpio/gpio.js";
import { SimulatedGpio } from "../../../drivers/gpio/simulated-gpio.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

function thrown(operation: () => unknown): unknown {
  try {
    operation();
  } catch (error) {
    return error;
  }
  throw new Error("expected the operation to throw");
}

describe("simulated GPIO outputs", () => {
  it("start inactive and record each change with its electrical level", () => {
    const gpio = new SimulatedGpio();
    const relay = gpio.output("gateRelay", { line: 17, activeLow: true });
    expect(relay.value).toBe(0);
    expect(gpio.outputValue("gateRelay")).toBe(0);
    expect(gpio.outputLevel("gateRelay")).toBe(1);

    relay.write(1);
    relay.write(1);
    expect(gpio.outputValue("gateRelay")).toBe(1);
    expect(gpio.outputLevel("gateRelay")).toBe(0);
    expect(gpio.transitionsOf("gateRelay").map((t) => [t.value, t.level])).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it("refuses a second role on one line, and one role on two lines", () => {
    const gpio = new SimulatedGpio();
    gpio.output("gateRelay", { line: 17, activeLow: false });
    const sameLine = thrown(() => gpio.output("ledGreen", { line: 17, activeLow: false }));
    expect(isGpioError(sameLine, "line-in-use")).toBe(true);
    expect((sameLine as Error).message).toBe(
      "GPIO 17 cannot be claimed as ledGreen: it is already gateRelay",
    );
    const sameName = thrown(() =>
      gpio.input("gateRelay", { line: 4, activeLow: false, debounceMs: 0 }),
    );
    expect(isGpioError(sameName, "line-in-use")).toBe(true);
    expect(gpio.outputValue("ledGreen")).toBeUndefined();
  });

  it("makes writes throw while a line is failed, and work again once repaired", () => {
    const gpio = new SimulatedGpio();
    const buzzer = gpio.output("buzzer", { line: 22, activeLow: false });
    gpio.failLine("buzzer", "EIO");
    const error = thrown(() => buzzer.write(1));
    expect(isGpioError(error, "io")).toBe(true);
    expect((error as Error).message).toBe("buzzer (GPIO 22): write failed: EIO");
    expect(buzzer.value).toBe(0);
    gpio.repairLine("buzzer");
    buzzer.write(1);
    expect(gpio.outputValue("buzzer")).toBe(1);
  });

  it("keeps only the most recent transitions", () => {
    const gpio = new SimulatedGpio({ historyLimit: 3 });
    const lamp = gpio.output("ledGreen", { line: 27, activeLow: false });
    for (let i = 0; i < 10; i++) lamp.write(i % 2 === 0 ? 1 : 0);
    expect(gpio.transitions).toHaveLength(3);
    expect(gpio.transitions.at(-1)?.value).toBe(0);
  });

  it("tells transition listeners as they happen, until they unsubscribe", () => {
    const gpio = new SimulatedGpio();
    const seen: string[] = [];
    const unsubscribe = gpio.onTransition((t) => seen.push(`${t.name}=${t.value}`));
    const lamp = gpio.output("ledRed", { line: 5, activeLow: false });
    lamp.write(1);
    unsubscribe();
    lamp.write(0);
    expect(seen).toEqual(["ledRed=0", "ledRed=1"]);
  });
});

describe("simulated GPIO inputs", () => {
  it("report one change after a burst of bounces settles, not each edge", () => {
    const gpio = new SimulatedGpio();
    const presence = gpio.input("presence", { line: 5, activeLow: false, debounceMs: 100 });
    const changes: LineValue[] = [];
    presence.watch((value) => changes.push(value));

    for (const value of [1, 0, 1, 0, 1] as const) {
      gpio.setInput("presence", value);
      vi.advanceTimersByTime(20);
    }
    expect(changes).toEqual([]);
    vi.advanceTimersByTime(80);
    expect(changes).toEqual([1]);
    expect(gpio.transitionsOf("presence").map((t) => t.value)).toEqual([1]);
  });

  it("report nothing when a bounce ends where it began", () => {
    const gpio = new SimulatedGpio();
    const tamper = gpio.input("tamper", { line: 6, activeLow: false, debounceMs: 50 });
    const changes: LineValue[] = [];
    tamper.watch((value) => changes.push(value));
    gpio.setInput("tamper", 1);
    vi.advanceTimersByTime(10);
    gpio.setInput("tamper", 0);
    vi.advanceTimersByTime(500);
    expect(changes).toEqual([]);
  });

  it("report at once when debounceMs is 0", () => {
    const gpio = new SimulatedGpio();
    const tamper = gpio.input("tamper", { line: 6, activeLow: false, debounceMs: 0 });
    const changes: LineValue[] = [];
    tamper.watch((value) => changes.push(value));
    gpio.setInput("tamper", 1);
    gpio.setInput("tamper", 0);
    expect(changes).toEqual([1, 0]);
  });

  it("apply activeLow: a low level reads as active", () => {
    const gpio = new SimulatedGpio();
    const presence = gpio.input("presence", { line: 5, activeLow: true, debounceMs: 0 });
    expect(presence.read()).toBe(0);
    gpio.setInputLevel("presence", 0);
    expect(presence.read()).toBe(1);
    gpio.setInput("presence", 0);
    expect(presence.read()).toBe(0);
  });

  it("tell watchers when a line fails, and report a change made meanwhile once repaired", () => {
    const gpio = new SimulatedGpio();
    const tamper = gpio.input("tamper", { line: 6, activeLow: false, debounceMs: 10 });
    const changes: LineValue[] = [];
    const errors: string[] = [];
    tamper.watch(
      (value) => changes.push(value),
      (error) => errors.push(error.message),
    );
    gpio.failLine("tamper", "wire cut");
    expect(errors).toEqual(["tamper (GPIO 6): read failed: wire cut"]);
    expect(
      isGpioError(
        thrown(() => tamper.read()),
        "io",
      ),
    ).toBe(true);
    gpio.setInput("tamper", 1);
    vi.advanceTimersByTime(100);
    expect(changes).toEqual([]);
    gpio.repairLine("tamper");
    vi.advanceTimersByTime(10);
    expect(changes).toEqual([1]);
  });

  it("stop reporting to a watcher that unsubscribed", () => {
    const gpio = new SimulatedGpio();
    const presence = gpio.input("presence", { line: 5, activeLow: false, debounceMs: 0 });
    const changes: LineValue[] = [];
    const unwatch = presence.watch((value) => changes.push(value));
    gpio.setInput("presence", 1);
    unwatch();
    gpio.setInput("presence", 0);
    expect(changes).toEqual([1]);
  });

  it("refuse to drive an input nobody claimed, naming those that were", () => {
    const gpio = new SimulatedGpio();
    gpio.input("presence", { line: 5, activeLow: false, debounceMs: 0 });
    expect(() => {
      gpio.setInput("tamper", 1);
    }).toThrow('no simulated input named "tamper" (claimed inputs: presence)');
  });
});

describe("closing simulated GPIO", () => {
  it("drives every output inactive, silences inputs and refuses further use", () => {
    const gpio = new SimulatedGpio();
    const relay = gpio.output("gateRelay", { line: 17, activeLow: false });
    const presence = gpio.input("presence", { line: 5, activeLow: false, debounceMs: 50 });
    const changes: LineValue[] = [];
    presence.watch((value) => changes.push(value));
    relay.write(1);
    gpio.setInput("presence", 1);

    gpio.close();
    gpio.close();
    vi.advanceTimersByTime(1_000);

    expect(gpio.outputValue("gateRelay")).toBe(0);
    expect(changes).toEqual([]);
    expect(
      isGpioError(
        thrown(() => relay.write(1)),
        "closed",
      ),
    ).toBe(true);
    expect(
      isGpioError(
        thrown(() => presence.read()),
        "closed",
      ),
    ).toBe(true);
    expect(
      isGpioError(
        thrown(() => gpio.output("ledRed", { line: 9, activeLow: false })),
        "closed",
      ),
    ).toBe(true);
  });
});
