type Listener<Args extends unknown[]> = (...args: Args) => void;

/** Typed listeners by event name; `on` returns the unsubscribe function, as elsewhere in the agent. */
export class EventListeners<Events extends Record<string, unknown[]>> {
  readonly #byEvent = new Map<keyof Events, Set<(...args: never) => void>>();

  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    let listeners = this.#byEvent.get(event);
    if (listeners === undefined) this.#byEvent.set(event, (listeners = new Set()));
    listeners.add(listener);
    const subscribed = listeners;
    return () => subscribed.delete(listener);
  }

  emit<E extends keyof Events>(event: E, ...args: Events[E]): void {
    for (const listener of [...(this.#byEvent.get(event) ?? [])]) {
      (listener as Listener<Events[E]>)(...args);
    }
  }

  clear(): void {
    this.#byEvent.clear();
  }
}
