import { describe, expect, it } from "vitest";
import { isGpioError, type LineValue } from "../../../drivers/gpio/gpio.js";
import {
  SysfsGpio,
  type SysfsDriver,
  type SysfsLine,
  type SysfsLineRequest,
} from "../../../drivers/gpio/sysfs-gpio.js";

/** One exported line as the fake kernel holds it, in electrical levels. */
class FakeLine implements SysfsLine {
  level: LineValue;
  kernelDirection: string;
  readonly writes: LineValue[] = [];
  released = false;
  failWrites: Error | undefined;
  #callback: ((error: Error | undefined, level: LineValue) => void) | undefined;

  constructor(readonly request: SysfsLineRequest) {
    this.level = request.direction === "high" ? 1 : 0;
    this.kernelDirection = request.direction === "in" ? "in" : "out";
  }
  readLevel(): LineValue {
    return this.level;
  }
  writeLevel(level: LineValue): void {
    if (this.failWrites !== undefined) throw this.failWrites;
    this.writes.push(level);
    this.level = level;
  }
  direction(): string {
    return this.kernelDirection;
  }
  watch(callback: (error: Error | undefined, level: LineValue) => void): void {
    this.#callback = callback;
  }
  release(): void {
    this.released = true;
  }
  /** What onoff does after a debounced interrupt. */
  interrupt(level: LineValue): void {
    this.level = level;
    this.#callback?.(undefined, level);
  }
  interruptError(error: Error): void {
    this.#callback?.(error, 0);
  }
}

class FakeDriver implements SysfsDriver {
  readonly lines = new Map<number, FakeLine>();
  openError: Error | undefined;
  tweak: ((line: FakeLine) => void) | undefined;
  constructor(readonly accessible = true) {}
  open(request: SysfsLineRequest): SysfsLine {
    if (this.openError !== undefined) throw this.openError;
    const line = new FakeLine(request);
    this.tweak?.(line);
    this.lines.set(request.line, line);
    return line;
  }
  line(number: number): FakeLine {
    const line = this.lines.get(number);
    if (line === undefined) throw new Error(`GPIO ${number} was never exported`);
    return line;
  }
}

function thrown(operation: () => unknown): Error {
  try {
    operation();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the operation to throw");
}

describe("sysfs GPIO backend", () => {
  it("refuses to start where sysfs GPIO is not accessible, saying what to do", () => {
    const error = thrown(() => new SysfsGpio(new FakeDriver(false)));
    expect(isGpioError(error, "not-accessible")).toBe(true);
    expect(error.message).toContain("/sys/class/gpio/export");
    expect(error.message).toContain('gpio.backend to "none" or "simulated"');
  });

  it("exports an active-high output starting low and an active-low one starting high, so neither pulses", () => {
    const driver = new FakeDriver();
    const gpio = new SysfsGpio(driver);
    gpio.output("gateRelay", { line: 17, activeLow: false });
    gpio.output("doorLock", { line: 18, activeLow: true });
    expect(driver.line(17).request).toEqual({
      line: 17,
      direction: "low",
      edge: "none",
      debounceMs: 0,
    });
    expect(driver.line(18).request.direction).toBe("high");
    expect(driver.line(17).writes).toEqual([0]);
    expect(driver.line(18).writes).toEqual([1]);
  });

  it("writes logical values as electrical levels, inverting active-low lines", () => {
    const driver = new FakeDriver();
    const gpio = new SysfsGpio(driver);
    const lamp = gpio.output("ledGreen", { line: 27, activeLow: true });
    lamp.write(1);
    expect(driver.line(27).level).toBe(0);
    expect(lamp.value).toBe(1);
    lamp.write(0);
    expect(driver.line(27).level).toBe(1);
  });

  it("refuses an output the kernel left as an input (onoff hides that on a re-exported line)", () => {
    const driver = new FakeDriver();
    driver.tweak = (line) => {
      line.kernelDirection = "in";
    };
    const error = thrown(() =>
      new SysfsGpio(driver).output("gateRelay", { line: 17, activeLow: false }),
    );
    expect(isGpioError(error, "io")).toBe(true);
    expect(error.message).toBe(
      'gateRelay (GPIO 17) could not be made an output: the kernel still reports direction "in"',
    );
  });

  it("reports a line held by a kernel driver as in use", () => {
    const driver = new FakeDriver();
    driver.openError = Object.assign(new Error("EBUSY: resource busy or locked, write"), {
      code: "EBUSY",
    });
    const error = thrown(() =>
      new SysfsGpio(driver).input("tamper", { line: 6, activeLow: false, debounceMs: 50 }),
    );
    expect(isGpioError(error, "line-in-use")).toBe(true);
    expect(error.message).toMatch(/^tamper \(GPIO 6\) could not be claimed as an input: EBUSY/);
    expect(error.cause).toBe(driver.openError);
  });

  it("wraps a failed write with the line's name and keeps the last good value", () => {
    const driver = new FakeDriver();
    const relay = new SysfsGpio(driver).output("gateRelay", { line: 17, activeLow: false });
    driver.line(17).failWrites = new Error("EIO: i/o error");
    const error = thrown(() => relay.write(1));
    expect(isGpioError(error, "io")).toBe(true);
    expect(error.message).toBe("gateRelay (GPIO 17): write failed: EIO: i/o error");
    expect(relay.value).toBe(0);
  });

  it("exports inputs on both edges with the configured debounce and reports logical changes once", () => {
    const driver = new FakeDriver();
    driver.tweak = (line) => {
      line.level = 1; // idle on an active-low sensor
    };
    const gpio = new SysfsGpio(driver);
    const presence = gpio.input("presence", { line: 5, activeLow: true, debounceMs: 250 });
    expect(presence.read()).toBe(0);
    expect(driver.line(5).request).toEqual({
      line: 5,
      direction: "in",
      edge: "both",
      debounceMs: 250,
    });
    const changes: LineValue[] = [];
    const errors: string[] = [];
    presence.watch(
      (value) => changes.push(value),
      (error) => errors.push(error.message),
    );
    driver.line(5).interrupt(0);
    driver.line(5).interrupt(0);
    driver.line(5).interrupt(1);
    driver.line(5).interruptError(new Error("EIO"));
    expect(changes).toEqual([1, 0]);
    expect(presence.read()).toBe(0);
    expect(errors).toEqual(["presence (GPIO 5): read failed: EIO"]);
  });

  it("on close drives outputs inactive and releases every line, even past a failing one", () => {
    const driver = new FakeDriver();
    const gpio = new SysfsGpio(driver);
    const relay = gpio.output("gateRelay", { line: 17, activeLow: true });
    const lamp = gpio.output("ledRed", { line: 9, activeLow: false });
    gpio.input("tamper", { line: 6, activeLow: false, debounceMs: 50 });
    relay.write(1);
    lamp.write(1);
    driver.line(9).failWrites = new Error("EIO");

    const error = thrown(() => gpio.close());
    expect(isGpioError(error, "io")).toBe(true);
    expect(error.message).toBe(
      "closing GPIO failed for ledRed (GPIO 9): could not be driven inactive: EIO",
    );
    expect(driver.line(17).level).toBe(1);
    expect([17, 9, 6].map((line) => driver.line(line).released)).toEqual([true, true, true]);
    expect(() => gpio.close()).not.toThrow();
    expect(
      isGpioError(
        thrown(() => relay.write(1)),
        "closed",
      ),
    ).toBe(true);
  });
});
