/** A deterministic source of uniform numbers in [0, 1). */
export type Prng = () => number;

/**
 * mulberry32 (Tommy Ettinger, public domain). Written out here rather than taken from a
 * package so that the sequence for a seed, and with it every synthetic print, stays the
 * same across upgrades: a failing test must be reproducible from its seed alone.
 */
export function mulberry32(seed: number): Prng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** MurmurHash3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * One 32-bit seed from several integers. Neighbouring inputs such as (7, 2) and (7, 3)
 * must give unrelated streams, which adding or xor-ing the parts would not.
 */
export function mixSeeds(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) h = fmix32(h ^ fmix32(part));
  return h;
}
