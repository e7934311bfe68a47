import type { GpioError, GpioInput, LineValue } from "../../drivers/gpio/gpio.js";
import { EventListeners } from "./event-listeners.js";
import type { GateLogger } from "./gate-logger.js";

export type PresenceEvents = {
  /** Someone stepped up to the terminal: a session can start. */
  arrived: [];
  /** They stepped away and stayed away for the grace period. */
  left: [];
};

export interface PresenceMonitorOptions {
  /** The presence sensor's line, already debounced by its configured debounceMs. */
  readonly input: GpioInput;
  readonly logger: GateLogger;
  /**
   * How long the sensor must stay clear before "left": a traveller leaning in and out
   * or shifting their feet while placing a finger must not end their session. 1.5 s
   * unless set.
   */
  readonly leaveGraceMs?: number | undefined;
}

const DEFAULT_LEAVE_GRACE_MS = 1_500;

/** Turns the presence sensor into "arrived" and "left", for the capture loop to start and end sessions. */
export class PresenceMonitor {
  readonly #input: GpioInput;
  readonly #log: GateLogger;
  readonly #leaveGraceMs: number;
  readonly #events = new EventListeners<PresenceEvents>();
  #present = false;
  #leaving: NodeJS.Timeout | undefined;
  #unwatch: (() => void) | undefined;

  constructor(options: PresenceMonitorOptions) {
    this.#input = options.input;
    this.#log = options.logger;
    this.#leaveGraceMs = options.leaveGraceMs ?? DEFAULT_LEAVE_GRACE_MS;
  }

  /** Whether someone is at the terminal (still true during the leave grace period). */
  get present(): boolean {
    return this.#present;
  }

  on<E extends keyof PresenceEvents>(
    event: E,
    listener: (...args: PresenceEvents[E]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * Starts watching. Someone already standing there counts as arriving now, so a
   * traveller present when the agent restarts is not ignored. Throws GpioError when
   * the sensor cannot be read at all.
   */
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
    this.#changed(this.#input.read());
  }

  /** Stops watching; no more events. */
  close(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
    clearTimeout(this.#leaving);
    this.#leaving = undefined;
    this.#events.clear();
  }

  #changed(value: LineValue): void {
    if (value === 1) {
      if (this.#leaving !== undefined) {
        clearTimeout(this.#leaving);
        this.#leaving = undefined;
        this.#log.debug({ presence: "back" }, "presence back within the grace period");
        return;
      }
      if (this.#present) return;
      this.#present = true;
      this.#log.info({ presence: "arrived" }, "someone stepped up to the terminal");
      this.#events.emit("arrived");
      return;
    }
    if (!this.#present || this.#leaving !== undefined) return;
    this.#leaving = setTimeout(() => {
      this.#leaving = undefined;
      this.#present = false;
      this.#log.info({ presence: "left" }, "the terminal is clear");
      this.#events.emit("left");
    }, this.#leaveGraceMs);
    this.#leaving.unref();
  }

  /** A dead presence sensor starts no sessions and ends none; operations hear of it in the log. */
  #failed(error: GpioError): void {
    this.#log.error({ err: error }, "presence sensor unreadable");
  }
}
