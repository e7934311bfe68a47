/**
 * Calls `settle` once the line has been quiet for `quietMs` after its last edge, the
 * way onoff debounces sysfs interrupts, so the simulated backend reports what real
 * hardware would: a contact that chatters for 20 ms is one change, not ten.
 */
export class EdgeDebouncer {
  readonly #quietMs: number;
  readonly #settle: () => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(quietMs: number, settle: () => void) {
    this.#quietMs = quietMs;
    this.#settle = settle;
  }

  edge(): void {
    if (this.#quietMs <= 0) {
      this.#settle();
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#settle();
    }, this.#quietMs);
    // A debounce pending at shutdown is no reason to keep the process alive.
    this.#timer.unref();
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
