/**
 * An average byte rate for thin links (satellite, shared 3G): a token bucket that may
 * run into debt by one message, so a record larger than a second's allowance still
 * goes, and the next waits until the debt is repaid.
 */
export class BandwidthLimiter {
  readonly #bytesPerSecond: number;
  readonly #burstBytes: number;
  readonly #now: () => number;
  #tokens: number;
  #updatedAt: number;

  constructor(bytesPerSecond: number, now: () => number = () => performance.now()) {
    if (!(bytesPerSecond > 0)) throw new RangeError("expected a positive byte rate");
    this.#bytesPerSecond = bytesPerSecond;
    // One second of allowance: idle time does not bank an unbounded burst.
    this.#burstBytes = bytesPerSecond;
    this.#now = now;
    this.#tokens = this.#burstBytes;
    this.#updatedAt = now();
  }

  /** Milliseconds until sending is allowed again; 0 when it is now. */
  waitMs(): number {
    this.#refill();
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.#bytesPerSecond) * 1_000) + 1;
  }

  /** Accounts for bytes just sent (may leave the bucket in debt). */
  spend(bytes: number): void {
    this.#refill();
    this.#tokens -= bytes;
  }

  #refill(): void {
    const now = this.#now();
    const earned = ((now - this.#updatedAt) / 1_000) * this.#bytesPerSecond;
    this.#tokens = Math.min(this.#burstBytes, this.#tokens + earned);
    this.#updatedAt = now;
  }
}
