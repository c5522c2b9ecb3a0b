// A small seeded random source (mulberry32) so weighted routing is reproducible in tests: the same seed
// and the same request sequence give the same choices.

export interface RandomSource {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [1, n], like Lua's math.random(n) that ingress-nginx uses for canary weights. */
  int1(n: number): number;
}

export function seededRandom(seed = 1): RandomSource {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int1: (n) => 1 + Math.floor(next() * n) };
}

/** Picks one item with probability weight/sum(weights); undefined when every weight is 0. */
export function pickWeighted<T>(items: readonly T[], weightOf: (item: T) => number, random: RandomSource): T | undefined {
  const total = items.reduce((sum, item) => sum + Math.max(0, weightOf(item)), 0);
  if (total <= 0) return undefined;
  let point = random.next() * total;
  for (const item of items) {
    point -= Math.max(0, weightOf(item));
    if (point < 0) return item;
  }
  return items.filter((item) => weightOf(item) > 0).at(-1);
}
