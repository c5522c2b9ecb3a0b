// Small statistics for the benchmark: medians of repeated timings, and the metric record the table and
// out/bench.json are made of.

export function median(values: number[]): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const upper = s[mid] ?? NaN; // s is not empty
  return s.length % 2 ? upper : ((s[mid - 1] ?? NaN) + upper) / 2;
}

/** Nearest-rank percentile (p in 0-100). */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN; // s is not empty
}

/** Milliseconds `body` took (high-resolution clock). */
export async function timed<T>(body: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await body();
  return { ms: performance.now() - started, value };
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export interface Target {
  op: '<=' | '==';
  value: number;
}

export interface Metric {
  /** Stable key in out/bench.json, e.g. `deploy-ratio-v4`. */
  id: string;
  name: string;
  value: number;
  unit: string;
  /** Undefined: reported for information (no target in the issue). */
  target?: Target;
  /** How the value was obtained, in one line (the table's last column). */
  basis: string;
  /** The raw samples and parts, for the JSON. */
  data: Record<string, unknown>;
}

export function passes(m: Metric): boolean | undefined {
  if (!m.target || Number.isNaN(m.value)) return m.target ? false : undefined;
  return m.target.op === '<=' ? m.value <= m.target.value : m.value === m.target.value;
}
