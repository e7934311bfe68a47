/**
 * What arrives while the module is still working on a delayed reply waits, then runs
 * in arrival order: a slow module does not answer the next command first.
 */
export class BusyQueue {
  #pending = 0;
  #held: (() => void)[] = [];
  #collecting: (() => void)[] | undefined;

  /** Runs `task` now, or once every pending reply has gone out. */
  run(task: () => void): void {
    if (this.#pending === 0) {
      task();
      return;
    }
    (this.#collecting ?? this.#held).push(task);
  }

  /** A reply is being held back; work waits until end(). */
  begin(): void {
    this.#pending++;
  }

  /** The held-back reply has gone out; runs what waited, until something is held back again. */
  end(): void {
    this.#pending--;
    while (this.#pending === 0) {
      const task = this.#held.shift();
      if (!task) return;
      // Work a task leaves waiting goes before what was already waiting behind it.
      const collected: (() => void)[] = [];
      this.#collecting = collected;
      try {
        task();
      } finally {
        this.#collecting = undefined;
      }
      this.#held.unshift(...collected);
    }
  }

  /** Power loss: nothing pending, nothing waiting. */
  reset(): void {
    this.#pending = 0;
    this.#held = [];
  }
}
