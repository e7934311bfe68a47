import type { Direction, Edge, Options, ValueCallback } from "onoff";
import { describe, expect, it } from "vitest";
import {
  loadOnoffDriver,
  onoffDriver,
  type OnoffGpioClass,
} from "../../../drivers/gpio/onoff-driver.js";

interface Construction {
  readonly gpio: number;
  readonly direction: Direction;
  readonly edge: Edge;
  readonly options: Options;
}

/** Stands in for onoff's Gpio class, recording what it is asked; onoff itself needs /sys/class/gpio. */
function fakeOnoff(accessible: boolean) {
  const constructed: Construction[] = [];
  const calls: string[] = [];
  let watcher: ValueCallback | undefined;
  const FakeGpio = class {
    static readonly accessible = accessible;
    constructor(gpio: number, direction: Direction, edge: Edge, options: Options) {
      constructed.push({ gpio, direction, edge, options });
    }
    readSync(): 0 | 1 {
      calls.push("readSync");
      return 1;
    }
    writeSync(value: 0 | 1): void {
      calls.push(`writeSync ${value}`);
    }
    direction(): Direction {
      return "out";
    }
    watch(callback: ValueCallback): void {
      watcher = callback;
    }
    unwatchAll(): void {
      calls.push("unwatchAll");
    }
    unexport(): void {
      calls.push("unexport");
    }
  } satisfies OnoffGpioClass;
  return {
    FakeGpio,
    constructed,
    calls,
    interrupt: (...args: Parameters<ValueCallback>) => watcher?.(...args),
  };
}

describe("onoff behind the sysfs seam", () => {
  it("passes line, direction, edge and debounce through, and clears onoff's own active_low", () => {
    const onoff = fakeOnoff(true);
    const driver = onoffDriver(onoff.FakeGpio);
    expect(driver.accessible).toBe(true);
    driver.open({ line: 17, direction: "high", edge: "none", debounceMs: 0 });
    driver.open({ line: 5, direction: "in", edge: "both", debounceMs: 250 });
    expect(onoff.constructed).toEqual([
      {
        gpio: 17,
        direction: "high",
        edge: "none",
        options: { activeLow: false, debounceTimeout: 0, reconfigureDirection: true },
      },
      {
        gpio: 5,
        direction: "in",
        edge: "both",
        options: { activeLow: false, debounceTimeout: 250, reconfigureDirection: true },
      },
    ]);
  });

  it("maps reads, writes, watches and release onto onoff's calls", () => {
    const onoff = fakeOnoff(true);
    const line = onoffDriver(onoff.FakeGpio).open({
      line: 6,
      direction: "in",
      edge: "both",
      debounceMs: 50,
    });
    const seen: [string | undefined, number][] = [];
    line.watch((error, level) => seen.push([error?.message, level]));
    onoff.interrupt(null, 1);
    onoff.interrupt(new Error("EIO"), 0);
    expect(line.readLevel()).toBe(1);
    line.writeLevel(0);
    line.release();
    expect(seen).toEqual([
      [undefined, 1],
      ["EIO", 0],
    ]);
    expect(onoff.calls).toEqual(["readSync", "writeSync 0", "unwatchAll", "unexport"]);
  });

  it("reports onoff's own verdict on whether GPIO is accessible", () => {
    expect(onoffDriver(fakeOnoff(false).FakeGpio).accessible).toBe(false);
  });

  it("loads the real onoff, with epoll's native addon compiled by npm ci", () => {
    // This proves the dependency installs and loads; whether this machine has GPIO is its own business.
    expect(typeof loadOnoffDriver().accessible).toBe("boolean");
  });
});
