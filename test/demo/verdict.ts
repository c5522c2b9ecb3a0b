// What the probe saw, per lifecycle step, from a user's point of view, and whether the demo behaved as
// the lifecycle promises. Pure functions over the probe's records, so they can be tested on their own.
import type { ProbeRecord } from '../cluster/probe';
import { summarise, type PhaseSummary } from '../cluster/probe';
import type { Style } from './style';

export interface PhaseView extends PhaseSummary {
  /** Requests of the first deploy sent before it answered at all: there was no production yet. */
  beforeProduction: number;
  beforeStatuses: Record<string, number>;
  /** Failed requests by status (or error). */
  failureStatuses: Record<string, number>;
}

/**
 * The probe's view of one phase. Failures count from the first answered request of the whole run: until
 * the first deploy is routed there is no production to fail (the host answers 404 by design).
 */
export function phaseView(records: readonly ProbeRecord[], phase: string, firstPhase: string): PhaseView {
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  const firstOk = sorted.find((r) => !r.failed)?.seq ?? Infinity;
  const mine = sorted.filter((r) => r.phase === phase);
  const before = phase === firstPhase ? mine.filter((r) => r.seq < firstOk) : [];
  const counted = mine.filter((r) => !before.includes(r));
  const tally = (rs: ProbeRecord[]) => rs.reduce<Record<string, number>>((acc, r) => ((acc[String(r.status ?? r.error)] = (acc[String(r.status ?? r.error)] ?? 0) + 1), acc), {});
  return {
    ...summarise(phase, counted),
    beforeProduction: before.length,
    beforeStatuses: tally(before),
    failureStatuses: tally(counted.filter((r) => r.failed)),
  };
}

export const counts = (c: Record<string, number>, sep = ', ') =>
  Object.entries(c)
    .map(([k, n]) => `${k} ×${n}`)
    .join(sep);

/** "probe  68 requests, 0 failed · 1.0.0 ×23 → 2.0.0 ×45 · longest failure window 0 ms" */
export function probeLine(v: PhaseView, style: Style): string {
  const before = v.beforeProduction ? style.dim(` + ${v.beforeProduction} before production existed (${counts(v.beforeStatuses)})`) : '';
  const failed = v.failures ? style.red(`${v.failures} failed (${counts(v.failureStatuses)})`) : style.green('0 failed');
  const versions = Object.keys(v.versions).length ? counts(v.versions, ' → ') : 'none';
  const window = v.failures ? style.red(`${v.longestFailureWindowMs} ms`) : `${v.longestFailureWindowMs} ms`;
  return `probe  ${v.requests} requests${before}, ${failed} · versions ${versions} · longest failure window ${window}`;
}

export interface StepOutcome {
  title: string;
  expect: string;
  outcome: string;
  message: string;
}

export interface VerdictInput {
  steps: StepOutcome[];
  /** Every phase the probe saw, the tail after the last task included. */
  phases: PhaseView[];
  /** Phase (step) whose failures are a documented, expected window, if any (ingress-nginx chart mode's switch). */
  windowPhase?: string;
  finalProduction?: { slot?: string; version?: string; otherSlotEmpty: boolean };
  finalVersion: string;
  brokenVersion: string;
  /** Steps not run because an earlier one went wrong. */
  skipped: string[];
}

export interface Verdict {
  ok: boolean;
  /** `warn`: expected, but worth knowing (the documented chart-mode window). */
  lines: Array<{ ok: boolean; warn?: boolean; text: string }>;
}

export function verdict(input: VerdictInput): Verdict {
  const lines: Verdict['lines'] = [];
  for (const s of input.steps) {
    if (s.outcome !== s.expect) lines.push({ ok: false, text: `${s.title}: expected ${s.expect}, got ${s.outcome} (${s.message})` });
  }
  if (input.skipped.length) lines.push({ ok: false, text: `not run: ${input.skipped.join('; ')}` });

  const requests = input.phases.reduce((n, p) => n + p.requests, 0);
  const unexpected = input.phases.filter((p) => p.failures > 0 && p.phase !== input.windowPhase);
  const window = input.phases.find((p) => p.phase === input.windowPhase && p.failures > 0);
  if (unexpected.length) {
    const detail = unexpected.map((p) => `${p.failures} in step ${p.phase} (${counts(p.failureStatuses)}; longest window ${p.longestFailureWindowMs} ms)`).join(', ');
    lines.push({ ok: false, text: `production failed requests: ${detail}` });
  } else if (window) {
    lines.push({
      ok: true,
      warn: true,
      text: `production failed ${window.failures} of ${requests} requests, all in the switch of step ${window.phase} (${counts(window.failureStatuses)}, ${window.longestFailureWindowMs} ms): ingress-nginx's documented chart-mode window; managed routing has none`,
    });
  } else {
    lines.push({ ok: true, text: `production never failed a request (${requests} requests)` });
  }

  const sawBroken = input.phases.filter((p) => p.versions[input.brokenVersion]);
  if (sawBroken.length) lines.push({ ok: false, text: `users were answered by the broken v${input.brokenVersion} in step ${sawBroken.map((p) => p.phase).join(', ')}` });

  const fin = input.finalProduction;
  if (!input.skipped.length) {
    if (fin?.version === input.finalVersion && fin.otherSlotEmpty) {
      lines.push({ ok: true, text: `production ends on v${fin.version} in slot ${fin.slot}; the other slot is empty` });
    } else {
      lines.push({ ok: false, text: `production should end on v${input.finalVersion} with the other slot empty; it is on ${fin?.version ? `v${fin.version} in slot ${fin.slot}` : 'nothing'}${fin && !fin.otherSlotEmpty ? ', and the other slot still holds a release' : ''}` });
    }
  }
  return { ok: lines.every((l) => l.ok), lines };
}
