import { createRequire } from "node:module";
import type * as Onoff from "onoff";
import { GpioError } from "./gpio.js";
import type { SysfsDriver, SysfsLine, SysfsLineRequest } from "./sysfs-gpio.js";

/** The part of onoff's Gpio class this backend uses, so tests can stand in for it. */
export interface OnoffGpioClass {
  readonly accessible: boolean;
  new (
    gpio: number,
    direction: Onoff.Direction,
    edge: Onoff.Edge,
    options: Onoff.Options,
  ): Pick<Onoff.Gpio, "readSync" | "writeSync" | "direction" | "watch" | "unwatchAll" | "unexport">;
}

/** onoff behind the SysfsDriver seam. */
export function onoffDriver(OnoffGpio: OnoffGpioClass): SysfsDriver {
  return {
    get accessible() {
      return OnoffGpio.accessible;
    },
    open(request: SysfsLineRequest): SysfsLine {
      const gpio = new OnoffGpio(request.line, request.direction, request.edge, {
        // Polarity is applied by SysfsGpio; an active_low left set by another program
        // would invert it twice, so it is cleared explicitly.
        activeLow: false,
        debounceTimeout: request.debounceMs,
        reconfigureDirection: true,
      });
      return {
        readLevel: () => gpio.readSync(),
        writeLevel: (level) => {
          gpio.writeSync(level);
        },
        direction: () => gpio.direction(),
        watch: (callback) => {
          gpio.watch((error, level) => {
            callback(error ?? undefined, level);
          });
        },
        release: () => {
          gpio.unwatchAll();
          gpio.unexport();
        },
      };
    },
  };
}

const loadCommonJs = createRequire(import.meta.url);

/**
 * Loads onoff only when the sysfs backend is chosen: it pulls in epoll's native addon,
 * which the none and simulated backends (and machines without a Linux build of it)
 * must not need.
 */
export function loadOnoffDriver(): SysfsDriver {
  let onoff: typeof Onoff;
  try {
    onoff = loadCommonJs("onoff") as typeof Onoff;
  } catch (error) {
    throw new GpioError(
      "not-accessible",
      `the sysfs GPIO backend could not load onoff and its native epoll addon: ${
        error instanceof Error ? error.message : String(error)
      } (run npm ci on the terminal so epoll is compiled for it)`,
      { cause: error },
    );
  }
  return onoffDriver(onoff.Gpio);
}
