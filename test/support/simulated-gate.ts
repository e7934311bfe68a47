import { parseAgentConfig } from "../../agent/config/load.js";
import type { AgentConfigInput } from "../../agent/config/schema.js";
import { TerminalGate } from "../../agent/gate/terminal-gate.js";
import type { Logger } from "../../agent/log/logger.js";
import { SimulatedGpio } from "../../drivers/gpio/simulated-gpio.js";

type GpioPins = NonNullable<NonNullable<AgentConfigInput["gpio"]>["pins"]>;

/** Relay, red lamp, presence and tamper: the lines the session tests drive and watch. */
export const SESSION_TEST_PINS: GpioPins = {
  gateRelay: { line: 17 },
  ledRed: { line: 27 },
  presence: { line: 5 },
  tamper: { line: 6 },
};

/**
 * A terminal gate on the simulated GPIO backend, configured the way a terminal's
 * config file would, with the simulation it built (createGpio makes its own).
 */
export function simulatedTerminalGate(
  logger: Logger,
  pins: GpioPins = SESSION_TEST_PINS,
): { gate: TerminalGate; gpio: SimulatedGpio } {
  const config = parseAgentConfig({ gpio: { backend: "simulated", pins } });
  const gate = new TerminalGate(config.gpio, { logger, exitHooks: false });
  if (!(gate.gpio instanceof SimulatedGpio)) throw new Error("expected simulated GPIO");
  return { gate, gpio: gate.gpio };
}
