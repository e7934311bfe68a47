import type { Logger } from "../log/logger.js";

const WINDOW_MS = 60_000;

/**
 * Says why inbound messages were refused without letting a hostile or broken sender
 * flood the journal: the first refusal in a minute is logged with its reason, the rest
 * are counted, and their number is logged with the next refusal after the minute.
 */
export class RefusalLog {
  readonly #log: Logger;
  readonly #what: string;
  readonly #now: () => number;
  #windowStart = Number.NEGATIVE_INFINITY;
  #suppressed = 0;

  constructor(logger: Logger, what: string, now: () => number = Date.now) {
    this.#log = logger;
    this.#what = what;
    this.#now = now;
  }

  refused(reason: string): void {
    const now = this.#now();
    if (now - this.#windowStart < WINDOW_MS) {
      this.#suppressed += 1;
      return;
    }
    if (this.#suppressed > 0)
      this.#log.warn(
        { event: "inbound-refused", what: this.#what, suppressed: this.#suppressed },
        `refused ${this.#suppressed} more ${this.#what} message(s) in the last minute`,
      );
    this.#windowStart = now;
    this.#suppressed = 0;
    this.#log.warn({ event: "inbound-refused", what: this.#what, reason }, `refused ${this.#what}`);
  }
}
