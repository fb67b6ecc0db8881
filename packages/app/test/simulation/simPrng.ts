// The simulation's seeded PRNG (splitmix32: a 32-bit splitmix variant): the same seed gives the
// same sequence on every machine; the simulation never calls Math.random.

export interface SimPrng {
  /** A uniform 32-bit unsigned integer. */
  u32(): number;
  /** An integer in [0, n) for 0 < n ≤ 2^32 (rejection sampling, no modulo bias). */
  below(n: number): number;
  /** A bigint in [lo, hi] (hi − lo < 2^64). */
  bigBetween(lo: bigint, hi: bigint): bigint;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T;
  /** A key of `weights` chosen with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K;
}

export function createSimPrng(seed: number): SimPrng {
  let state = seed >>> 0;
  const u32 = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const below = (n: number): number => {
    if (!(n > 0 && n <= 2 ** 32)) throw new Error(`below(${n}): n must be in (0, 2^32]`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = u32();
      if (x < limit) return x % n;
    }
  };
  const prng: SimPrng = {
    u32,
    below,
    bigBetween(lo, hi) {
      if (hi < lo) throw new Error(`bigBetween(${lo}, ${hi}): empty range`);
      const span = hi - lo + 1n;
      if (span <= 1n << 32n) return lo + BigInt(below(Number(span)));
      const limit = (1n << 64n) - ((1n << 64n) % span);
      for (;;) {
        const x = (BigInt(u32()) << 32n) | BigInt(u32());
        if (x < limit) return lo + (x % span);
      }
    },
    chance: (p) => u32() < p * 2 ** 32,
    pick<T>(list: readonly T[]): T {
      if (list.length === 0) throw new Error("pick from an empty list");
      return list[below(list.length)] as T;
    },
    weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
      const entries = Object.entries(weights) as [K, number][];
      const total = entries.reduce((s, [, w]) => s + w, 0);
      let r = below(total);
      for (const [k, w] of entries) {
        if (r < w) return k;
        r -= w;
      }
      throw new Error("weights must be positive integers");
    },
  };
  return prng;
}
