import { describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../../agent/config/load.js";
import { claimGateLines, createGpio } from "../../../drivers/gpio/create-gpio.js";
import { isGpioError } from "../../../drivers/gpio/gpio.js";
import { loadOnoffDriver } from "../../../drivers/gpio/onoff-driver.js";
import { SimulatedGpio } from "../../../drivers/gpio/simulated-gpio.js";
import type { SysfsDriver } from "../../../drivers/gpio/sysfs-gpio.js";

const gpioAccessibleHere = loadOnoffDriver().accessible;

describe("createGpio", () => {
  it('gives "none" a backend whose outputs go nowhere and whose inputs never change', () => {
    const gpio = createGpio({ backend: "none", pins: {} });
    expect(gpio.backend).toBe("none");
    const relay = gpio.output("gateRelay", { line: 17, activeLow: false });
    relay.write(1);
    expect(relay.value).toBe(1);
    const presence = gpio.input("presence", { line: 5, activeLow: true, debounceMs: 0 });
    expect(presence.read()).toBe(0);
    expect(() => gpio.output("ledGreen", { line: 17, activeLow: false })).toThrow(
      "GPIO 17 cannot be claimed as ledGreen: it is already gateRelay",
    );
    gpio.close();
    expect(relay.value).toBe(0);
    expect(() => {
      relay.write(1);
    }).toThrow("gateRelay (GPIO 17) used after the GPIO was closed");
  });

  it('gives "simulated" the in-memory backend', () => {
    expect(createGpio({ backend: "simulated", pins: {} })).toBeInstanceOf(SimulatedGpio);
  });

  it('gives "sysfs" the onoff backend, through the driver it is handed', () => {
    const driver: SysfsDriver = {
      accessible: true,
      open: () => {
        throw new Error("not needed");
      },
    };
    expect(createGpio({ backend: "sysfs", pins: {} }, { sysfsDriver: driver }).backend).toBe(
      "sysfs",
    );
  });

  it.skipIf(gpioAccessibleHere)(
    'fails with "not-accessible" for "sysfs" on a machine without GPIO',
    () => {
      let failure: unknown;
      try {
        createGpio({ backend: "sysfs", pins: {} });
      } catch (error) {
        failure = error;
      }
      expect(isGpioError(failure, "not-accessible")).toBe(true);
    },
  );
});

describe("claimGateLines", () => {
  it("claims every configured pin in its direction, and nothing else", () => {
    const config = parseAgentConfig({
      gpio: {
        backend: "simulated",
        pins: {
          gateRelay: { line: 17 },
          ledGreen: { line: 27, activeLow: true },
          presence: { line: 5 },
          tamper: { line: 6, activeLow: true },
        },
      },
    });
    const gpio = new SimulatedGpio();
    const lines = claimGateLines(gpio, config.gpio.pins);
    expect(Object.keys(lines).sort()).toEqual(["gateRelay", "ledGreen", "presence", "tamper"]);
    expect(gpio.outputLevel("ledGreen")).toBe(1);
    gpio.setInput("tamper", 1);
    expect(lines.tamper?.read()).toBe(1);
    expect(gpio.outputValue("presence")).toBeUndefined();
  });
});
