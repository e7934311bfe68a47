import type { PresenceMonitor } from "../gate/presence-monitor.js";
import type { TamperMonitor } from "../gate/tamper-monitor.js";
import type { GuidancePresenter } from "../guidance/guidance-presenter.js";
import { prompt } from "../guidance/prompt-catalogue.js";
import type { SessionControl } from "./session-control.js";

export interface SessionTriggerOptions {
  /** Absent when no presence sensor is wired: a finger on the sensor starts sessions. */
  readonly presence?: PresenceMonitor | undefined;
  readonly tamper?: TamperMonitor | undefined;
  readonly presenter: GuidancePresenter;
}

/**
 * The gate inputs as the capture loop sees them. Someone stepping up starts a session
 * (a bounce within the presence debounce and leave grace never reaches here, so it
 * starts nothing and ends nothing); their leaving ends it as walked away. The tamper
 * alarm ends the current session, shows the alarm prompt and keeps new sessions from
 * starting until an operator clears it. Subscribe before the monitors start, so an
 * arrival or alarm raised by start() itself is not missed.
 */
export class SessionTriggers {
  readonly #presence: PresenceMonitor | undefined;
  readonly #tamper: TamperMonitor | undefined;
  readonly #presenter: GuidancePresenter;
  readonly #unsubscribe: (() => void)[] = [];
  #arrivalPending = false;
  #wakeArrival: (() => void) | undefined;
  #tamperAbort = new AbortController();
  #wakeCleared: (() => void) | undefined;
  #session: SessionControl | undefined;

  constructor(options: SessionTriggerOptions) {
    this.#presence = options.presence;
    this.#tamper = options.tamper;
    this.#presenter = options.presenter;
    if (this.#presence !== undefined) {
      this.#unsubscribe.push(
        this.#presence.on("arrived", () => {
          this.#arrivalPending = true;
          this.#wakeArrival?.();
        }),
        this.#presence.on("left", () => {
          this.#arrivalPending = false;
          this.#session?.interrupt("traveller-left");
        }),
      );
    }
    if (this.#tamper !== undefined) {
      this.#unsubscribe.push(
        this.#tamper.on("alarm", () => {
          this.#session?.interrupt("tamper");
          this.#tamperAbort.abort("tamper");
          this.#wakeArrival?.();
          void this.#presenter.show(prompt("tamper-alarm")).catch(() => undefined);
        }),
        this.#tamper.on("cleared", () => {
          this.#tamperAbort = new AbortController();
          this.#wakeCleared?.();
        }),
      );
    }
  }

  get hasPresence(): boolean {
    return this.#presence !== undefined;
  }

  tamperLatched(): boolean {
    return this.#tamper?.alarm !== undefined;
  }

  /** Aborts when the tamper alarm goes off (a fresh signal after each clearing). */
  tamperSignal(): AbortSignal {
    return this.#tamperAbort.signal;
  }

  /** Resolves true on a new arrival, false after `idleMs` or a tamper alarm; rejects on abort. */
  async arrival(signal: AbortSignal, idleMs: number): Promise<boolean> {
    if (!this.#arrivalPending) {
      await this.#until(signal, idleMs, (wake) => (this.#wakeArrival = wake));
      this.#wakeArrival = undefined;
    }
    return this.#takeArrival();
  }

  /** Consumes a pending arrival; a tamper alarm wakes the wait without one. */
  #takeArrival(): boolean {
    const pending = this.#arrivalPending;
    this.#arrivalPending = false;
    return pending && !this.tamperLatched();
  }

  /** Resolves once the tamper alarm is cleared; rejects on abort. */
  async tamperCleared(signal: AbortSignal): Promise<void> {
    while (this.tamperLatched()) {
      await this.#until(signal, 60_000, (wake) => (this.#wakeCleared = wake));
      this.#wakeCleared = undefined;
    }
  }

  /** Runs a session with this control, so the inputs can interrupt it. */
  async during<T>(control: SessionControl, session: () => Promise<T>): Promise<T> {
    this.#session = control;
    if (this.tamperLatched()) control.interrupt("tamper");
    try {
      return await session();
    } finally {
      this.#session = undefined;
    }
  }

  close(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
  }

  /** True when woken, false on timeout; rejects when `signal` aborts. */
  #until(signal: AbortSignal, ms: number, register: (wake: () => void) => void): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => {
        finish();
        resolve(false);
      }, ms);
      const onAbort = (): void => {
        finish();
        reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      };
      const finish = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener("abort", onAbort, { once: true });
      register(() => {
        finish();
        resolve(true);
      });
    });
  }
}
