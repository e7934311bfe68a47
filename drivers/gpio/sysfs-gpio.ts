import {
  GpioError,
  describeLine,
  logicalValue,
  physicalLevel,
  type Gpio,
  type GpioInput,
  type GpioOutput,
  type InputChangeListener,
  type InputErrorListener,
  type InputLineConfig,
  type LineValue,
  type OutputLineConfig,
} from "./gpio.js";
import { InputWatchers } from "./input-watchers.js";
import { LineClaims } from "./line-claims.js";
import { loadOnoffDriver } from "./onoff-driver.js";

/** How a line is exported: an input, or an output starting at the given electrical level. */
export type SysfsDirection = "in" | "high" | "low";

/** What a sysfs line is asked for when exported; everything onoff needs, nothing more. */
export interface SysfsLineRequest {
  readonly line: number;
  readonly direction: SysfsDirection;
  readonly edge: "none" | "both";
  readonly debounceMs: number;
}

/** One exported line, in electrical levels (this backend applies activeLow itself). */
export interface SysfsLine {
  readLevel(): LineValue;
  writeLevel(level: LineValue): void;
  /** "in" or "out", as the kernel reports it now. */
  direction(): string;
  /** Calls back after each (debounced) interrupt with the level then, or an error. */
  watch(callback: (error: Error | undefined, level: LineValue) => void): void;
  /** Stops watching and unexports the line. */
  release(): void;
}

/** The seam between this backend and onoff, so the mapping is testable without /sys/class/gpio. */
export interface SysfsDriver {
  /** Whether /sys/class/gpio/export can be opened for writing. */
  readonly accessible: boolean;
  open(request: SysfsLineRequest): SysfsLine;
}

interface ReleasableLine {
  readonly label: string;
  readonly sysfs: SysfsLine;
  /** The electrical level that leaves an output inactive; undefined for inputs. */
  readonly inactiveLevel: LineValue | undefined;
}

/**
 * Backend "sysfs": /sys/class/gpio through onoff. Polarity is applied here rather than
 * through sysfs's active_low attribute, because the kernel sets an output's initial
 * level from "high"/"low" as a raw electrical level: only by choosing that level
 * ourselves does an active-low relay start inactive instead of pulsing on export.
 */
export class SysfsGpio implements Gpio {
  readonly backend = "sysfs";
  readonly #driver: SysfsDriver;
  readonly #claims = new LineClaims();
  readonly #lines: ReleasableLine[] = [];

  /** Throws "not-accessible" at once when this machine has no usable sysfs GPIO. */
  constructor(driver: SysfsDriver = loadOnoffDriver()) {
    if (!driver.accessible) {
      throw new GpioError(
        "not-accessible",
        "sysfs GPIO is not accessible: /sys/class/gpio/export cannot be opened for writing " +
          "(no sysfs GPIO on this machine, or the agent's user lacks permission to it). " +
          'Set gpio.backend to "none" or "simulated" to run without gate hardware.',
      );
    }
    this.#driver = driver;
  }

  output(name: string, config: OutputLineConfig): GpioOutput {
    const label = describeLine(name, config.line);
    this.#claims.claim(name, config.line);
    const inactiveLevel = physicalLevel(0, config.activeLow);
    const sysfs = this.#export(label, "an output", {
      line: config.line,
      direction: inactiveLevel === 1 ? "high" : "low",
      edge: "none",
      debounceMs: 0,
    });
    this.#lines.push({ label, sysfs, inactiveLevel });
    // onoff ignores configuration errors on a line exported before (by a run that
    // crashed, say), so the direction is checked and the inactive level written again.
    const direction = attempt(label, "read its direction", () => sysfs.direction());
    if (direction !== "out") {
      throw new GpioError(
        "io",
        `${label} could not be made an output: the kernel still reports direction "${direction}"`,
      );
    }
    attempt(label, "write", () => sysfs.writeLevel(inactiveLevel));

    const claims = this.#claims;
    let current: LineValue = 0;
    return {
      name,
      line: config.line,
      get value() {
        return current;
      },
      write(value: LineValue): void {
        claims.assertOpen(label);
        attempt(label, "write", () => sysfs.writeLevel(physicalLevel(value, config.activeLow)));
        current = value;
      },
    };
  }

  input(name: string, config: InputLineConfig): GpioInput {
    const label = describeLine(name, config.line);
    this.#claims.claim(name, config.line);
    const sysfs = this.#export(label, "an input", {
      line: config.line,
      direction: "in",
      edge: "both",
      debounceMs: config.debounceMs,
    });
    this.#lines.push({ label, sysfs, inactiveLevel: undefined });
    const read = (): LineValue =>
      logicalValue(
        attempt(label, "read", () => sysfs.readLevel()),
        config.activeLow,
      );
    const watchers = new InputWatchers(read());
    // Watched from the start, so a change before anyone subscribes is not reported later as new.
    sysfs.watch((error, level) => {
      if (error === undefined) watchers.settled(logicalValue(level, config.activeLow));
      else watchers.failed(new GpioError("io", `${label}: read failed: ${error.message}`));
    });

    const claims = this.#claims;
    return {
      name,
      line: config.line,
      read(): LineValue {
        claims.assertOpen(label);
        return read();
      },
      watch(onChange: InputChangeListener, onError?: InputErrorListener): () => void {
        claims.assertOpen(label);
        return watchers.add(onChange, onError);
      },
    };
  }

  /**
   * Every line is driven inactive and unexported, even when one of them fails; the
   * failures are then thrown together so the caller knows the gate may not be safe.
   */
  close(): void {
    if (!this.#claims.close()) return;
    const failures: string[] = [];
    for (const { label, sysfs, inactiveLevel } of this.#lines) {
      try {
        if (inactiveLevel !== undefined) sysfs.writeLevel(inactiveLevel);
      } catch (error) {
        failures.push(`${label}: could not be driven inactive: ${messageOf(error)}`);
      }
      try {
        sysfs.release();
      } catch (error) {
        failures.push(`${label}: could not be released: ${messageOf(error)}`);
      }
    }
    if (failures.length > 0) {
      throw new GpioError("io", `closing GPIO failed for ${failures.join("; ")}`);
    }
  }

  #export(label: string, role: string, request: SysfsLineRequest): SysfsLine {
    try {
      return this.#driver.open(request);
    } catch (error) {
      const busy = (error as NodeJS.ErrnoException).code === "EBUSY";
      throw new GpioError(
        busy ? "line-in-use" : "io",
        `${label} could not be claimed as ${role}: ${messageOf(error)}` +
          (busy ? " (the line belongs to a kernel driver or another program)" : ""),
        { cause: error },
      );
    }
  }
}

function attempt<T>(label: string, action: string, operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    throw new GpioError("io", `${label}: ${action} failed: ${messageOf(error)}`, { cause: error });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
