/**
 * The listener bookkeeping every ByteLink needs, so each transport only says when
 * bytes arrive and when it is gone.
 */
export class LinkEvents {
  readonly #dataListeners = new Set<(chunk: Uint8Array) => void>();
  readonly #closeListeners = new Set<(error?: Error) => void>();
  #closed = false;
  #closeError: Error | undefined;

  get closed(): boolean {
    return this.#closed;
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.#dataListeners.add(listener);
    return () => this.#dataListeners.delete(listener);
  }

  onClose(listener: (error?: Error) => void): () => void {
    if (this.#closed) {
      // A link may close between being opened and its owner subscribing.
      let cancelled = false;
      queueMicrotask(() => {
        if (!cancelled) this.#call(listener);
      });
      return () => {
        cancelled = true;
      };
    }
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  emitData(chunk: Uint8Array): void {
    if (this.#closed) return;
    for (const listener of [...this.#dataListeners]) listener(chunk);
  }

  /** Marks the link closed and tells the listeners once; later calls do nothing. */
  emitClose(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = error;
    const listeners = [...this.#closeListeners];
    this.#closeListeners.clear();
    this.#dataListeners.clear();
    for (const listener of listeners) this.#call(listener);
  }

  #call(listener: (error?: Error) => void): void {
    if (this.#closeError === undefined) listener();
    else listener(this.#closeError);
  }
}
