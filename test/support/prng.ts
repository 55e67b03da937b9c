// A seeded pseudo-random generator for deterministic tests and simulations: xoshiro128**
// (Blackman & Vigna), seeded through splitmix32 so that nearby seeds (1, 2, 3, ...) give unrelated
// streams. Math.random is never used by anything a seed must replay.

/** A deterministic source of randomness; the same seed always yields the same sequence. */
export interface Prng {
  /** The next 32-bit unsigned integer. */
  nextUint32(): number;
  /** A float in [0, 1). */
  float(): number;
  /** An integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A new array with the items in random order (Fisher-Yates). */
  shuffled<T>(items: readonly T[]): T[];
  /**
   * An independent generator derived from this one's seed and a label. Forking per concern
   * (network, disk, clients) keeps one concern's draws from shifting another's, so a change in
   * how often the network draws does not reshuffle every fault that follows.
   */
  fork(label: string): Prng;
}

/** splitmix32: a tiny generator used to expand one 32-bit seed into xoshiro's 128-bit state. */
function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a of a label, mixed with a seed, for fork(). */
function mixLabel(seed: number, label: string): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < label.length; i++) {
    hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A xoshiro128** generator for the given seed (any integer; taken modulo 2^32). */
export function createPrng(seed: number): Prng {
  const expand = splitmix32(seed);
  let s0 = expand();
  let s1 = expand();
  let s2 = expand();
  let s3 = expand();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1; // the all-zero state is a fixed point

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    s0 >>>= 0;
    s1 >>>= 0;
    s2 >>>= 0;
    return result;
  };

  const float = (): number => nextUint32() / 0x1_0000_0000;

  const int = (lo: number, hi: number): number => {
    if (hi < lo) throw new RangeError(`prng.int: empty range [${lo}, ${hi}]`);
    return lo + Math.floor(float() * (hi - lo + 1));
  };

  return {
    nextUint32,
    float,
    int,
    chance: (p) => float() < p,
    pick: (items) => {
      if (items.length === 0) throw new RangeError('prng.pick: no items to pick from');
      return items[int(0, items.length - 1)] as (typeof items)[number];
    },
    shuffled: (items) => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(0, i);
        const tmp = out[i] as (typeof out)[number];
        out[i] = out[j] as (typeof out)[number];
        out[j] = tmp;
      }
      return out;
    },
    fork: (label) => createPrng(mixLabel(seed >>> 0, label)),
  };
}
