import {
  NullGpio,
  claimGateLines,
  createGpio,
  type CreateGpioOptions,
  type Gpio,
  type GpioConfig,
} from "../../drivers/gpio/index.js";
import { GateRelay } from "./gate-relay.js";
import type { ExitHookHost } from "./exit-hooks.js";
import type { GateLogger } from "./gate-logger.js";
import { GateSignaller } from "./gate-signaller.js";
import { PresenceMonitor } from "./presence-monitor.js";
import { TamperMonitor } from "./tamper-monitor.js";

export interface TerminalGateOptions {
  readonly logger: GateLogger;
  readonly gpio?: CreateGpioOptions | undefined;
  /** Where the relay's process-exit hooks go; `process` unless set, false for none. */
  readonly exitHooks?: ExitHookHost | false | undefined;
}

/**
 * The gate's GPIO side as one unit: the relay (closed from the first instant, since the
 * outputs are claimed before anything else), lamps and buzzer, and the presence and
 * tamper inputs where the pin map has them. start() begins watching the inputs, after
 * the capture loop has subscribed to them.
 */
export class TerminalGate {
  readonly gpio: Gpio;
  readonly relay: GateRelay;
  readonly signaller: GateSignaller;
  readonly presence: PresenceMonitor | undefined;
  readonly tamper: TamperMonitor | undefined;
  readonly #log: GateLogger;

  constructor(config: GpioConfig, options: TerminalGateOptions) {
    this.gpio = createGpio(config, options.gpio);
    const log = options.logger;
    this.#log = log;
    try {
      const lines = claimGateLines(this.gpio, config.pins);
      // Without a wired relay the controller still runs on a line that goes nowhere, so
      // tamper holds and the audit log behave the same on every terminal.
      const relayLine =
        lines.gateRelay ?? new NullGpio().output("gateRelay", { line: 0, activeLow: false });
      this.relay = new GateRelay({
        relay: relayLine,
        lock: lines.doorLock,
        logger: log,
        exitHooks: options.exitHooks,
      });
      this.signaller = new GateSignaller({
        lamps: {
          ...(lines.ledGreen !== undefined && { green: lines.ledGreen }),
          ...(lines.ledRed !== undefined && { red: lines.ledRed }),
          ...(lines.ledAmber !== undefined && { amber: lines.ledAmber }),
        },
        buzzer: lines.buzzer,
        logger: log,
      });
      this.presence =
        lines.presence === undefined
          ? undefined
          : new PresenceMonitor({ input: lines.presence, logger: log });
      this.tamper =
        lines.tamper === undefined
          ? undefined
          : new TamperMonitor({ input: lines.tamper, relay: this.relay, logger: log });
    } catch (error) {
      this.gpio.close();
      throw error;
    }
  }

  /** Starts watching presence and tamper (a tamper switch that cannot be read raises the alarm). */
  start(): void {
    this.tamper?.start();
    try {
      this.presence?.start();
    } catch (error) {
      // Sessions still start on a finger placed on the sensor.
      this.#log.error({ err: error }, "presence sensor unreadable at start-up");
    }
  }

  /** Closes the relay for good, darkens the lamps and releases every line. */
  close(): void {
    this.relay.close();
    this.presence?.close();
    this.tamper?.close();
    this.signaller.close();
    this.gpio.close();
  }
}
