/** 8N1: a start bit, eight data bits and a stop bit for every byte. */
export const BITS_PER_BYTE = 10;

/** How much line time one wake-up delivers; smaller is smoother but wakes more often. */
const SLICE_MS = 4;
/** Guards the floor() against the last byte of a chunk being due a hair later than computed. */
const EPSILON_BYTES = 1e-6;

interface Pending {
  readonly bytes: Uint8Array;
  readonly baud: number;
  /** When its first bit starts, in performance.now() milliseconds. */
  readonly startAt: number;
  sent: number;
}

/**
 * One direction of a UART at a set speed: bytes written go out no faster than the
 * line carries them. Delivery is scheduled from elapsed time (byte i of a chunk is
 * due when its tenth bit has passed), so late timers never add up to drift: a
 * wake-up that comes late simply delivers more. Each chunk keeps the speed it was
 * written with, so a baud change applies from the next byte written.
 */
export class LinePacer {
  readonly #queue: Pending[] = [];
  #lineFreeAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #pumping = false;

  constructor(private readonly deliver: (bytes: Uint8Array) => void) {}

  /** Bytes queued but not yet delivered. */
  get pendingBytes(): number {
    return this.#queue.reduce((total, item) => total + item.bytes.length - item.sent, 0);
  }

  write(bytes: Uint8Array, baud: number): void {
    if (bytes.length === 0) return;
    if (!(baud > 0)) throw new RangeError(`baud must be positive, got ${baud}`);
    const startAt = Math.max(performance.now(), this.#lineFreeAt);
    this.#queue.push({ bytes: bytes.slice(), baud, startAt, sent: 0 });
    this.#lineFreeAt = startAt + (bytes.length * BITS_PER_BYTE * 1000) / baud;
    if (this.#timer === undefined && !this.#pumping) this.#pump();
  }

  /** Forgets everything not yet delivered, as when the line is cut. */
  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue.length = 0;
    this.#lineFreeAt = 0;
  }

  #pump(): void {
    this.#timer = undefined;
    this.#pumping = true;
    try {
      this.#deliverDue(performance.now());
    } finally {
      this.#pumping = false;
    }
  }

  #deliverDue(now: number): void {
    for (let head = this.#queue[0]; head !== undefined; head = this.#queue[0]) {
      const bytesPerMs = head.baud / (BITS_PER_BYTE * 1000);
      const due = Math.min(
        head.bytes.length,
        Math.floor((now - head.startAt) * bytesPerMs + EPSILON_BYTES),
      );
      if (due > head.sent) {
        const slice = head.bytes.subarray(head.sent, due);
        head.sent = due;
        this.deliver(slice);
        // The receiver may have cleared the line meanwhile.
        if (this.#queue[0] !== head) continue;
      }
      if (head.sent < head.bytes.length) {
        // Wake when the next slice (at least one byte) has fully crossed the line.
        const target = Math.min(
          head.bytes.length,
          head.sent + Math.max(1, Math.floor(SLICE_MS * bytesPerMs)),
        );
        const wakeAt = head.startAt + target / bytesPerMs;
        this.#timer = setTimeout(
          () => {
            this.#pump();
          },
          Math.max(0, wakeAt - now),
        );
        return;
      }
      this.#queue.shift();
    }
  }
}
