// Watching gates: every gate is evaluated at an interval for a duration, each evaluation logged with its
// value; a gate fails once its breaches reach the failure limit. Pure of I/O: the query and the clock
// are passed in, so unit tests drive it without a server and without waiting.
import type { QueryResult } from './prometheus';
import { conditionText, fillPlaceholders, type Gate, meets, type PlaceholderValues } from './syntax';

export interface WatchSettings {
  /** Seconds between two evaluations (the first comes one interval after the start, so the new traffic is in the data). */
  intervalSeconds: number;
  /** How long to watch; the gates are evaluated max(1, floor(duration / interval)) times. */
  durationSeconds: number;
  /** A gate fails when it has breached this many times (1: the first breach). */
  failureLimit: number;
  /** What an evaluation that finds no data (no series, or NaN such as 0/0 with no traffic) counts as. */
  noData: 'fail' | 'pass';
}

export type Verdict = 'pass' | 'breach';

export interface Evaluation {
  gate: Gate;
  verdict: Verdict;
  /** For the log: "0.9731 (>= 0.99 not met)", "no data", "error: ...". */
  detail: string;
  /** Set when the server gave no number (unreachable, timed out, refused): why. */
  unanswered?: string;
  /** Set when the query could not be run at all because the setting is wrong: fails the gate at once. */
  fatal?: string;
}

export type Query = (promql: string) => Promise<QueryResult>;

const show = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v));

/** One evaluation of one gate: every series returned must meet the condition. */
export async function evaluate(gate: Gate, query: Query, values: PlaceholderValues, noData: WatchSettings['noData']): Promise<Evaluation> {
  const result = await query(fillPlaceholders(gate.query, values));
  if (result.kind === 'error') {
    // An unanswered query cannot prove the version healthy: it counts as a breach (withdrawing is the safe side).
    return { gate, verdict: 'breach', detail: `could not be evaluated: ${result.message}`, unanswered: result.message, fatal: result.permanent ? result.message : undefined };
  }
  const data = result.series.filter((s) => !Number.isNaN(s.value));
  if (!data.length) {
    const detail = result.series.length ? `no data (${result.series.map((s) => `${s.labels} NaN`).join(', ')})` : 'no data (no series)';
    return { gate, verdict: noData === 'pass' ? 'pass' : 'breach', detail: `${detail}${noData === 'pass' ? ', counted as passing (gateNoData: pass)' : ', counted as a breach (gateNoData: fail)'}` };
  }
  const failing = data.filter((s) => !meets(s.value, gate.op, gate.threshold));
  const shown = data.map((s) => (data.length === 1 && s.labels === '{}' ? show(s.value) : `${s.labels} ${show(s.value)}`)).join(', ');
  return failing.length
    ? { gate, verdict: 'breach', detail: `${shown} (${conditionText(gate)} not met${data.length > 1 ? ` by ${failing.length} of ${data.length} series` : ''})` }
    : { gate, verdict: 'pass', detail: `${shown} (${conditionText(gate)})` };
}

/** Breaches per gate; a gate has failed once its count reaches the limit. */
export class BreachCounter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Counts an evaluation; returns the gate's breaches so far. */
  add(e: Evaluation): number {
    const n = (this.counts.get(e.gate.name) ?? 0) + (e.verdict === 'breach' ? 1 : 0);
    this.counts.set(e.gate.name, n);
    return n;
  }

  failed(e: Evaluation): boolean {
    return e.fatal !== undefined || (this.counts.get(e.gate.name) ?? 0) >= this.limit;
  }

  get(name: string): number {
    return this.counts.get(name) ?? 0;
  }
}

export interface WatchResult {
  ok: boolean;
  evaluations: number;
  /** The evaluation that failed the watch, with its gate. */
  failure?: Evaluation;
  breaches: Record<string, number>;
}

export interface WatchOptions {
  query: Query;
  values: PlaceholderValues;
  log(line: string): void;
  /** Waits; the default is a timer. */
  sleep?(ms: number): Promise<void>;
}

export const evaluationCount = (s: Pick<WatchSettings, 'intervalSeconds' | 'durationSeconds'>) => Math.max(1, Math.floor(s.durationSeconds / s.intervalSeconds));

/**
 * Evaluates every gate each interval until the duration ends or one gate fails (its breaches reach the
 * limit, or its query cannot be run as set up). Bounded: evaluationCount rounds of one interval each,
 * every query with a deadline shorter than the interval.
 */
export async function watchGates(gates: Gate[], settings: WatchSettings, o: WatchOptions): Promise<WatchResult> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const counter = new BreachCounter(settings.failureLimit);
  const rounds = evaluationCount(settings);
  const breaches = () => Object.fromEntries(gates.map((g) => [g.name, counter.get(g.name)]));
  for (let round = 1; round <= rounds; round++) {
    await sleep(settings.intervalSeconds * 1000);
    const results = await Promise.all(gates.map((g) => evaluate(g, o.query, o.values, settings.noData)));
    let failure: Evaluation | undefined;
    for (const e of results) {
      const n = counter.add(e);
      const mark = e.verdict === 'pass' ? 'PASS' : 'BREACH';
      o.log(`${mark} ${e.gate.name} [${round}/${rounds}]: ${e.detail}${e.verdict === 'breach' ? ` - breach ${n}; the gate fails at ${settings.failureLimit}` : ''}`);
      if (!failure && counter.failed(e)) failure = e;
    }
    if (failure) return { ok: false, evaluations: round, failure, breaches: breaches() };
  }
  return { ok: true, evaluations: rounds, breaches: breaches() };
}

/** The sentence a failed watch ends the task with. */
export function failureMessage(r: WatchResult, settings: WatchSettings): string {
  const e = r.failure!;
  if (e.fatal) return `Metric gate ${e.gate.name} could not be evaluated: ${e.fatal}.`;
  return `Metric gate ${e.gate.name} failed: ${r.breaches[e.gate.name]} breach(es) of "${conditionText(e.gate)}" in ${r.evaluations} evaluation(s) (limit ${settings.failureLimit}); last value ${e.detail}.`;
}
