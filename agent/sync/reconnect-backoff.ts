/**
 * When to try the broker again. Full jitter (a uniform delay between zero and an
 * exponentially growing ceiling) spreads a fleet that lost the broker at the same
 * moment over the whole window instead of bringing it back in synchronised waves;
 * the cap bounds how long a terminal stays away once the broker is back.
 */
export interface BackoffPolicy {
  /** Ceiling of the first retry's delay. */
  readonly initialMs: number;
  /** No delay exceeds this. */
  readonly maxMs: number;
  /** A connection that lasted this long resets the ceiling to initialMs. */
  readonly stableAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 1_000,
  maxMs: 120_000,
  stableAfterMs: 60_000,
};

export class ReconnectBackoff {
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;
  #failures = 0;

  constructor(policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random) {
    if (!(policy.initialMs > 0 && policy.maxMs >= policy.initialMs))
      throw new RangeError("expected 0 < initialMs <= maxMs");
    this.#policy = policy;
    this.#random = random;
  }

  /** The delay before the next attempt; each call widens the window for the one after. */
  nextDelayMs(): number {
    const { initialMs, maxMs } = this.#policy;
    // 2^failures overflows nothing useful past ~30 doublings; the cap applies long before.
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(this.#failures, 30));
    this.#failures += 1;
    return Math.floor(this.#random() * ceiling);
  }

  /** Called when a connection ends after lasting connectedMs; a stable one starts afresh. */
  connectionEnded(connectedMs: number): void {
    if (connectedMs >= this.#policy.stableAfterMs) this.#failures = 0;
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }
}
