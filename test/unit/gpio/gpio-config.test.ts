import { describe, expect, it } from "vitest";
import { ConfigError, parseAgentConfig } from "../../../agent/config/load.js";

function problemsOf(input: unknown): readonly string[] {
  try {
    parseAgentConfig(input, "test.json");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the configuration to be refused");
}

describe("gpio configuration", () => {
  it("runs without gate hardware by default", () => {
    expect(parseAgentConfig({}).gpio).toEqual({ backend: "none", pins: {} });
  });

  it("accepts the simulated backend and input lines, filling their debounce", () => {
    const config = parseAgentConfig({
      gpio: {
        backend: "simulated",
        pins: { presence: { line: 5 }, tamper: { line: 6, activeLow: true } },
      },
    });
    expect(config.gpio.backend).toBe("simulated");
    expect(config.gpio.pins.presence).toEqual({ line: 5, activeLow: false, debounceMs: 250 });
    expect(config.gpio.pins.tamper).toEqual({ line: 6, activeLow: true, debounceMs: 50 });
  });

  it.each([
    [
      "a debounce on an output",
      { pins: { gateRelay: { line: 17, debounceMs: 10 } } },
      "gpio.pins.gateRelay.debounceMs: unknown key",
    ],
    [
      "a misspelt key on an input",
      { pins: { tamper: { line: 6, debounce: 10 } } },
      "gpio.pins.tamper.debounce: unknown key",
    ],
    [
      "two roles on one line",
      { pins: { gateRelay: { line: 17 }, ledGreen: { line: 17 } } },
      "gpio.pins.ledGreen.line: expected a line of its own: GPIO 17 is already gateRelay",
    ],
  ])("refuses %s, naming its path", (_label, gpio, expected) => {
    expect(problemsOf({ gpio })).toContain(expected);
  });

  it("refuses a negative debounce and an unknown backend", () => {
    const problems = problemsOf({
      gpio: { backend: "chardev", pins: { presence: { line: 5, debounceMs: -1 } } },
    });
    expect(problems.some((p) => p.startsWith("gpio.backend: "))).toBe(true);
    expect(problems.some((p) => p.startsWith("gpio.pins.presence.debounceMs: "))).toBe(true);
  });
});
