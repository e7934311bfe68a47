import { describe, expect, it } from "vitest";
import { BandwidthLimiter } from "../../../agent/sync/bandwidth-limiter.js";
import { CentreClock, GuardedWallClock } from "../../../agent/sync/centre-clock.js";

describe("bandwidth limiter", () => {
  it("lets a second's allowance go at once, then holds the average rate", () => {
    let now = 0;
    const limiter = new BandwidthLimiter(10_000, () => now);
    expect(limiter.waitMs()).toBe(0);
    limiter.spend(25_000); // one large record: 15,000 bytes of debt
    expect(limiter.waitMs()).toBe(1_501);
    now = 1_000;
    expect(limiter.waitMs()).toBe(501);
    now = 1_501;
    expect(limiter.waitMs()).toBe(0);
    // Over a minute: at most the rate, plus one second's burst, plus one message of debt.
    let sent = 25_000;
    while (now < 60_000) {
      now += limiter.waitMs();
      if (limiter.waitMs() === 0) {
        limiter.spend(7_000);
        sent += 7_000;
      }
    }
    expect(sent).toBeLessThanOrEqual(10_000 * 60 + 10_000 + 25_000);
    expect(sent).toBeGreaterThan(10_000 * 58);
  });

  it("does not bank idle time beyond one second", () => {
    let now = 0;
    const limiter = new BandwidthLimiter(1_000, () => now);
    now = 3_600_000;
    limiter.spend(1_000);
    expect(limiter.waitMs()).toBe(0);
    limiter.spend(1);
    expect(limiter.waitMs()).toBeGreaterThan(0);
  });
});

describe("centre clock", () => {
  it("keeps the estimate from the narrowest round trip", () => {
    const clock = new CentreClock();
    expect(clock.offset).toBeUndefined();
    clock.observe(1_000, 6_100, 1_200); // round trip 200: offset 5,000 +- 100
    expect(clock.offset).toMatchObject({ offsetMs: 5_000, uncertaintyMs: 100 });
    clock.observe(2_000, 7_000, 2_800); // wider: ignored
    expect(clock.offset?.offsetMs).toBe(5_000);
    clock.observe(3_000, 8_010, 3_020); // narrower: taken
    expect(clock.offset).toMatchObject({ offsetMs: 5_000, uncertaintyMs: 10 });
  });

  it("ignores impossible samples", () => {
    const clock = new CentreClock();
    clock.observe(2_000, 5_000, 1_000);
    clock.observe(1_000, Number.NaN, 1_100);
    expect(clock.offset).toBeUndefined();
  });
});

describe("guarded wall clock", () => {
  it("never goes back when the wall clock is stepped back", () => {
    let wall = 10_000;
    const clock = new GuardedWallClock(() => wall);
    expect(clock.nowMs()).toBe(10_000);
    wall = 4_000;
    expect(clock.nowMs()).toBe(10_000);
    wall = 12_000;
    expect(clock.nowMs()).toBe(12_000);
  });
});
