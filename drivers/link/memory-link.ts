import { SensorError } from "../sensor.js";
import type { ByteLink } from "./byte-link.js";
import { LinkEvents } from "./link-events.js";

/**
 * One end of an in-process wire. Bytes and the close arrive on a later turn of
 * the event loop, in order, as they would from a real port; never re-entrantly.
 */
class MemoryLinkEnd implements ByteLink {
  readonly #events = new LinkEvents();
  #peer: MemoryLinkEnd | undefined;
  #closing = false;

  constructor(private readonly label: string) {}

  static pair(): [MemoryLinkEnd, MemoryLinkEnd] {
    const a = new MemoryLinkEnd("host");
    const b = new MemoryLinkEnd("device");
    a.#peer = b;
    b.#peer = a;
    return [a, b];
  }

  write(bytes: Uint8Array): Promise<void> {
    const peer = this.#peer;
    if (this.#closing || peer === undefined) {
      return Promise.reject(
        new SensorError("disconnected", `memory link (${this.label}) is closed`),
      );
    }
    const copy = bytes.slice();
    setImmediate(() => {
      peer.#events.emitData(copy);
    });
    return Promise.resolve();
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    return this.#events.onData(listener);
  }

  onClose(listener: (error?: Error) => void): () => void {
    return this.#events.onClose(listener);
  }

  close(): Promise<void> {
    const peer = this.#peer;
    if (this.#closing || peer === undefined) return Promise.resolve();
    this.#closing = true;
    peer.#closing = true;
    return new Promise((resolve) => {
      setImmediate(() => {
        this.#events.emitClose();
        peer.#events.emitClose(new Error(`memory link closed by the ${this.label} end`));
        resolve();
      });
    });
  }
}

/** Two connected links: what one writes, the other receives; closing either closes both. */
export function createMemoryLinkPair(): { readonly host: ByteLink; readonly device: ByteLink } {
  const [host, device] = MemoryLinkEnd.pair();
  return { host, device };
}
