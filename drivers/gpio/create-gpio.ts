import type { AgentConfig } from "../../agent/config/schema.js";
import type { Gpio, GpioInput, GpioOutput } from "./gpio.js";
import { NullGpio } from "./null-gpio.js";
import { SimulatedGpio, type SimulatedGpioOptions } from "./simulated-gpio.js";
import { SysfsGpio, type SysfsDriver } from "./sysfs-gpio.js";

export type GpioConfig = AgentConfig["gpio"];
export type GatePinMap = GpioConfig["pins"];

export interface CreateGpioOptions {
  readonly simulated?: SimulatedGpioOptions | undefined;
  /** For tests: stands in for onoff. */
  readonly sysfsDriver?: SysfsDriver | undefined;
}

/**
 * The one place that knows which backend serves which gpio.backend. "none" gets
 * NullGpio rather than an undriven simulation: on a terminal without gate hardware
 * nothing is on the other side, and a simulation's history would only fill memory.
 */
export function createGpio(config: GpioConfig, options: CreateGpioOptions = {}): Gpio {
  switch (config.backend) {
    case "none":
      return new NullGpio();
    case "simulated":
      return new SimulatedGpio(options.simulated);
    case "sysfs":
      return options.sysfsDriver === undefined
        ? new SysfsGpio()
        : new SysfsGpio(options.sysfsDriver);
  }
}

/** The gate's lines, each present when the pin map names it. */
export interface GateLines {
  readonly gateRelay?: GpioOutput;
  readonly doorLock?: GpioOutput;
  readonly ledGreen?: GpioOutput;
  readonly ledRed?: GpioOutput;
  readonly ledAmber?: GpioOutput;
  readonly buzzer?: GpioOutput;
  readonly presence?: GpioInput;
  readonly tamper?: GpioInput;
}

const GATE_OUTPUT_PINS = [
  "gateRelay",
  "doorLock",
  "ledGreen",
  "ledRed",
  "ledAmber",
  "buzzer",
] as const;
const GATE_INPUT_PINS = ["presence", "tamper"] as const;

/**
 * Claims every line the pin map names, outputs first so the relay and lock are driven
 * inactive before anything else happens. On failure the lines already claimed stay
 * with `gpio`; close it.
 */
export function claimGateLines(gpio: Gpio, pins: GatePinMap): GateLines {
  const lines: { -readonly [K in keyof GateLines]: GateLines[K] } = {};
  for (const name of GATE_OUTPUT_PINS) {
    const pin = pins[name];
    if (pin !== undefined) lines[name] = gpio.output(name, pin);
  }
  for (const name of GATE_INPUT_PINS) {
    const pin = pins[name];
    if (pin !== undefined) lines[name] = gpio.input(name, pin);
  }
  return lines;
}
