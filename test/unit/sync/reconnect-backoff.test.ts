import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReconnectBackoff } from "../../../agent/sync/reconnect-backoff.js";

const policy = { initialMs: 1_000, maxMs: 60_000, stableAfterMs: 30_000 };

describe("reconnect backoff", () => {
  it("doubles the ceiling per failure up to the cap, with full jitter under it", () => {
    const ceilings: number[] = [];
    // random() just under 1 gives each ceiling.
    const backoff = new ReconnectBackoff(policy, () => 0.999_999);
    for (let i = 0; i < 10; i++) ceilings.push(backoff.nextDelayMs());
    expect(ceilings.slice(0, 7)).toEqual([999, 1_999, 3_999, 7_999, 15_999, 31_999, 59_999]);
    expect(ceilings.slice(7)).toEqual([59_999, 59_999, 59_999]);
    const zero = new ReconnectBackoff(policy, () => 0);
    expect([zero.nextDelayMs(), zero.nextDelayMs()]).toEqual([0, 0]);
  });

  it("keeps every delay within [0, min(cap, initial * 2^n)) for any random source", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 0.999_999_9, noNaN: true }), {
          minLength: 1,
          maxLength: 40,
        }),
        (draws) => {
          let i = 0;
          const backoff = new ReconnectBackoff(policy, () => draws[i++ % draws.length] ?? 0);
          draws.forEach((_, n) => {
            const delay = backoff.nextDelayMs();
            expect(delay).toBeGreaterThanOrEqual(0);
            expect(delay).toBeLessThan(Math.min(policy.maxMs, policy.initialMs * 2 ** n));
          });
        },
      ),
    );
  });

  it("starts afresh only after a connection that lasted", () => {
    const backoff = new ReconnectBackoff(policy, () => 0.999_999);
    for (let i = 0; i < 5; i++) backoff.nextDelayMs();
    backoff.connectionEnded(2_000);
    expect(backoff.nextDelayMs()).toBe(31_999);
    backoff.connectionEnded(30_000);
    expect(backoff.consecutiveFailures).toBe(0);
    expect(backoff.nextDelayMs()).toBe(999);
  });

  it("spreads a fleet that lost the broker together over the window", () => {
    // 1,000 terminals at their fifth failure: their retries land all over [0, 16 s).
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const delays = Array.from({ length: 1_000 }, () => {
      const backoff = new ReconnectBackoff(policy, random);
      for (let i = 0; i < 4; i++) backoff.nextDelayMs();
      return backoff.nextDelayMs();
    });
    const perSecond = new Array<number>(16).fill(0);
    for (const delay of delays)
      perSecond[Math.floor(delay / 1_000)] = (perSecond[Math.floor(delay / 1_000)] ?? 0) + 1;
    // Uniform would be 62.5 a second; no second takes more than twice that.
    expect(Math.max(...perSecond)).toBeLessThan(125);
    expect(Math.min(...perSecond)).toBeGreaterThan(25);
  });

  it("refuses a policy whose cap is below its start", () => {
    expect(() => new ReconnectBackoff({ initialMs: 10, maxMs: 5, stableAfterMs: 1 })).toThrow(
      RangeError,
    );
  });
});
