import type { GpioInput, LineValue } from "../../drivers/gpio/gpio.js";
import { EventListeners } from "./event-listeners.js";
import { errorMessage, type GateLogger } from "./gate-logger.js";
import type { GateRelay } from "./gate-relay.js";

/** Why the alarm went off: the enclosure opened, or the switch can no longer be read. */
export type TamperCause = "opened" | "unreadable";

export type TamperEvents = {
  /** Raised once per latch: the gate is held closed until cleared. */
  alarm: [cause: TamperCause];
  cleared: [operatorId: string];
};

export type TamperClearResult =
  { readonly cleared: true } | { readonly cleared: false; readonly reason: string };

export interface TamperMonitorOptions {
  readonly input: GpioInput;
  /** Held closed while the alarm is latched. */
  readonly relay: GateRelay;
  readonly logger: GateLogger;
}

const HOLD = "tamper";

/**
 * Watches the enclosure's tamper switch. Opening it raises an alarm that latches: the
 * gate is held closed until an operator clears it with the enclosure shut again, so
 * closing the lid after tampering does not quietly re-arm the gate. A switch that can
 * no longer be read counts as tampering, since cutting its wire must not disarm it.
 */
export class TamperMonitor {
  readonly #input: GpioInput;
  readonly #relay: GateRelay;
  readonly #log: GateLogger;
  readonly #events = new EventListeners<TamperEvents>();
  #latched: TamperCause | undefined;
  #unreadable = false;
  #unwatch: (() => void) | undefined;

  constructor(options: TamperMonitorOptions) {
    this.#input = options.input;
    this.#relay = options.relay;
    this.#log = options.logger;
  }

  /** Why the alarm is latched, or undefined when it is not. */
  get alarm(): TamperCause | undefined {
    return this.#latched;
  }

  on<E extends keyof TamperEvents>(
    event: E,
    listener: (...args: TamperEvents[E]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  /** Starts watching; an enclosure already open, or a switch that cannot be read, raises the alarm now. */
  start(): void {
    if (this.#unwatch !== undefined) return;
    this.#unwatch = this.#input.watch(
      (value) => {
        this.#changed(value);
      },
      (error) => {
        this.#failed(error);
      },
    );
    let value: LineValue;
    try {
      value = this.#input.read();
    } catch (error) {
      this.#failed(error);
      return;
    }
    this.#changed(value);
  }

  /**
   * Clears a latched alarm on an operator's word, releasing the gate. Refused while the
   * enclosure is still open or the switch cannot be read.
   */
  clear(operatorId: string): TamperClearResult {
    if (this.#latched === undefined) return { cleared: false, reason: "no tamper alarm" };
    if (operatorId.trim() === "") {
      return { cleared: false, reason: "clearing a tamper alarm needs the operator's id" };
    }
    let value: LineValue;
    try {
      value = this.#input.read();
    } catch (error) {
      return { cleared: false, reason: `the tamper switch cannot be read: ${errorMessage(error)}` };
    }
    if (value === 1) return { cleared: false, reason: "the enclosure is still open" };
    const cause = this.#latched;
    this.#latched = undefined;
    this.#unreadable = false;
    this.#relay.releaseHold(HOLD);
    this.#log.warn({ tamper: "cleared", cause, operatorId }, "tamper alarm cleared");
    this.#events.emit("cleared", operatorId);
    return { cleared: true };
  }

  /** Stops watching. The gate stays held closed if the alarm is latched. */
  close(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#events.clear();
  }

  #changed(value: LineValue): void {
    this.#unreadable = false;
    if (value === 1) this.#raise("opened");
    else if (this.#latched !== undefined) {
      this.#log.info({ tamper: "closed" }, "enclosure closed; the alarm stays until cleared");
    }
  }

  #failed(error: unknown): void {
    if (this.#unreadable) return;
    this.#unreadable = true;
    this.#log.error({ err: error }, "tamper switch unreadable");
    this.#raise("unreadable");
  }

  #raise(cause: TamperCause): void {
    this.#relay.holdClosed(HOLD);
    if (this.#latched !== undefined) {
      this.#log.warn({ tamper: cause }, "tamper again while the alarm is latched");
      return;
    }
    this.#latched = cause;
    this.#log.error({ tamper: cause }, "tamper alarm");
    this.#events.emit("alarm", cause);
  }
}
