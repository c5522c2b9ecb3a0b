// Metric gates inside the lifecycle: a staged slot is judged by what its real users experience
// (Prometheus), beside the HTTP checks. RouteTraffic watches after the checks passed and users were sent
// to the slot; OnSuccess watches right before the switch (docs/metric-gates.md says why). A failed gate
// takes real users off the slot at once, revokes this run's validation of it, and fails the task, so the
// pipeline runs on.failure. Production is never touched.
import type { GateInputs } from '../gates/inputs';
import { instantQuery, type MetricsServer } from '../gates/prometheus';
import { metricsServer } from '../gates/server';
import type { PlaceholderValues } from '../gates/syntax';
import { evaluate, evaluationCount, failureMessage, watchGates } from '../gates/watch';
import type { CommonInputs } from '../inputs/types';
import { locate, type Slot } from '../core/model';
import { sameRevision, updateRecord } from '../core/record';
import type { Lifecycle } from './context';

/** A query gets at most this long, and never longer than the interval. */
const QUERY_CAP_MS = 10_000;

export interface GateWatch {
  inputs: GateInputs;
  server: MetricsServer;
  /** The slot the gates judge (the staged slot) and the production beside it. */
  slot: Slot;
  production?: Slot;
}

export function gateWatch(inputs: GateInputs, slot: Slot, production: Slot | undefined): GateWatch {
  return { inputs, server: metricsServer(inputs.server), slot, production };
}

export function placeholders(lc: Lifecycle<CommonInputs>, slot: Slot, production: Slot | undefined): PlaceholderValues {
  const staged = locate(lc.inputs.app, slot);
  const prod = production ? locate(lc.inputs.app, production) : undefined;
  return {
    app: lc.inputs.app.name,
    namespace: staged.namespace,
    slot,
    release: staged.release,
    productionSlot: production ?? '',
    productionRelease: prod?.release ?? '',
  };
}

const queryOf = (w: GateWatch) => (promql: string) => instantQuery(w.server, promql, Math.min(QUERY_CAP_MS, w.inputs.settings.intervalSeconds * 1000));

/**
 * Before anything changes: every gate's query runs once. A query the server cannot answer (a typo in
 * PromQL, a wrong URL, refused credentials, an unreachable server) fails the task here, changing nothing;
 * no data yet is fine (the slot may have no users so far).
 */
export async function preflightGates(lc: Lifecycle<CommonInputs>, w: GateWatch): Promise<void> {
  await lc.log.step(`Check the metric gates against ${w.server.describe}`, async () => {
    const values = placeholders(lc, w.slot, w.production);
    // Judged with the real setting, but only to show where each gate stands now: no data yet is normal.
    const results = await Promise.all(w.inputs.gates.map((g) => evaluate(g, queryOf(w), values, w.inputs.settings.noData)));
    for (const e of results) {
      if (e.unanswered) throw new Error(`Metric gate ${e.gate.name} could not be evaluated: ${e.unanswered}. Nothing was changed.`);
      lc.log.info(`${e.gate.name}: now ${e.detail.replace(/, counted as .*$/, '')}`);
    }
  });
}

/**
 * Watches the gates on the slot for the configured duration. On failure: users off the slot at once
 * (when it has a share), the validation this run recorded for it revoked, and an error.
 */
export async function holdGates(lc: Lifecycle<CommonInputs>, w: GateWatch, when: string, durationSeconds?: number): Promise<string> {
  const { log, router } = lc;
  const { gates } = w.inputs;
  const settings = durationSeconds === undefined ? w.inputs.settings : { ...w.inputs.settings, durationSeconds };
  const title = `Watch ${gates.length} metric gate(s) on slot ${w.slot} ${when}: every ${settings.intervalSeconds} s, ${evaluationCount(settings)} time(s)`;
  const result = await log.step(title, () => watchGates(gates, settings, { query: queryOf(w), values: placeholders(lc, w.slot, w.production), log: log.info }));
  if (result.ok) return `Metric gates passed on slot ${w.slot} (${result.evaluations} evaluations of ${gates.map((g) => g.name).join(', ')}).`;

  const message = `${failureMessage(result, settings)} Watched on slot ${w.slot} ${when}.`;
  log.warn(message);
  const routing = await router.observe();
  let withdrawn = '';
  if (routing.staging === w.slot && routing.stagingPercent > 0) {
    await log.step(`Take real users off slot ${w.slot} at once (metric gate ${result.failure!.gate.name} failed)`, async () => {
      await router.setStagingPercent(w.slot, 0);
      await router.settle(`users leave slot ${w.slot}`);
      await log.wait(await router.minimumDrainSeconds(), `clients that resolved slot ${w.slot} stop using it`);
    });
    withdrawn = ` Real users were taken off slot ${w.slot}.`;
  }
  // The slot proved bad with real users: OnSuccess must not promote it on the strength of its HTTP checks.
  const rev = await lc.revisionNow(w.slot);
  if (rev) {
    await updateRecord(lc.kube, lc.inputs.app, (r) => ({ ...r, validations: r.validations.filter((v) => !(sameRevision(v, rev) && v.run === lc.inputs.runId)) }));
    log.info(`Recorded: ${rev.release} revision ${rev.revision} is no longer validated for run ${lc.inputs.runId}.`);
  }
  throw new Error(`${message}${withdrawn} Production${w.production ? ` (slot ${w.production})` : ''} was not changed.`);
}
