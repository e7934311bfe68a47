import type { GpioError, InputChangeListener, InputErrorListener, LineValue } from "./gpio.js";

interface Watcher {
  readonly onChange: InputChangeListener;
  readonly onError: InputErrorListener | undefined;
}

/**
 * The watchers of one input line. Backends report every settled reading; only changes
 * reach the watchers, because a bounce that ends where it began (or onoff's debounced
 * interrupt, which fires after every burst) is not an event.
 */
export class InputWatchers {
  readonly #watchers = new Set<Watcher>();
  #reported: LineValue;

  /** `initial` is the value the watchers are assumed to know already. */
  constructor(initial: LineValue) {
    this.#reported = initial;
  }

  get size(): number {
    return this.#watchers.size;
  }

  add(onChange: InputChangeListener, onError: InputErrorListener | undefined): () => void {
    const watcher: Watcher = { onChange, onError };
    this.#watchers.add(watcher);
    return () => this.#watchers.delete(watcher);
  }

  settled(value: LineValue): void {
    if (value === this.#reported) return;
    this.#reported = value;
    for (const watcher of [...this.#watchers]) watcher.onChange(value);
  }

  failed(error: GpioError): void {
    for (const watcher of [...this.#watchers]) watcher.onError?.(error);
  }

  clear(): void {
    this.#watchers.clear();
  }
}
