/**
 * The terminal's idea of how far the centre's clock is from its own. Each
 * acknowledgement carries the centre's time of storing; the record was published
 * before and the ack received after, so the centre's instant lies in between, and the
 * estimate with the narrowest such interval among recent ones is the best (as NTP
 * picks its lowest-delay sample).
 */
export interface ClockOffset {
  /** Centre clock minus terminal clock, in milliseconds. */
  readonly offsetMs: number;
  /** Half the round trip the estimate came from: the offset is right to within this. */
  readonly uncertaintyMs: number;
  readonly measuredAt: number;
}

const SAMPLE_LIFETIME_MS = 15 * 60_000;

export class CentreClock {
  #best: ClockOffset | undefined;

  /** sentAt and receivedAt are terminal wall-clock times (ms); centreAt is the centre's. */
  observe(sentAt: number, centreAt: number, receivedAt: number): void {
    if (!(receivedAt >= sentAt) || !Number.isFinite(centreAt)) return;
    const sample: ClockOffset = {
      offsetMs: Math.round(centreAt - (sentAt + receivedAt) / 2),
      uncertaintyMs: Math.ceil((receivedAt - sentAt) / 2),
      measuredAt: receivedAt,
    };
    const current = this.#best;
    // Clocks drift: an old narrow sample gives way to any fresh one after a while.
    if (
      current === undefined ||
      sample.uncertaintyMs <= current.uncertaintyMs ||
      receivedAt - current.measuredAt > SAMPLE_LIFETIME_MS
    )
      this.#best = sample;
  }

  get offset(): ClockOffset | undefined {
    return this.#best;
  }
}

/**
 * Wall-clock time that never runs backwards within the process: when NTP steps the
 * clock back, timestamps hold at the last one issued until the wall clock catches up,
 * so the order of records and messages stays the order of events.
 */
export class GuardedWallClock {
  readonly #wall: () => number;
  #last = 0;

  constructor(wall: () => number = Date.now) {
    this.#wall = wall;
  }

  nowMs(): number {
    const now = this.#wall();
    this.#last = Math.max(this.#last, now);
    return this.#last;
  }

  nowIso(): string {
    return new Date(this.nowMs()).toISOString();
  }
}
