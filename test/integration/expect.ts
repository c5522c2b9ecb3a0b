// Small readers of a scenario's outcome: a task's result, the probe's phases and what the cluster holds.
import * as assert from 'node:assert/strict';
import type { TaskRun } from '../cluster/agent';
import type { PhaseSummary, ProbeResult } from '../cluster/probe';
import { type KubeObject, RESOURCES, type ResourceType } from '../cluster/store';
import type { Env } from './env';

const EMPTY: Omit<PhaseSummary, 'phase'> = { requests: 0, failures: 0, statuses: {}, versions: {}, releases: {}, longestFailureWindowMs: 0 };

export function phase(result: ProbeResult, name: string): PhaseSummary {
  return result.phases.find((p) => p.phase === name) ?? { phase: name, ...EMPTY };
}

/** Names of the helm releases whose latest revision is deployed in a namespace, sorted. */
export function releasesIn(env: Env, namespace: string, status = 'deployed'): string[] {
  const latest = new Map<string, KubeObject>();
  for (const secret of env.cluster.store.ofKind('Secret', namespace)) {
    const labels = secret.metadata.labels ?? {};
    const { name } = labels;
    if (labels.owner !== 'helm' || name === undefined) continue;
    const current = latest.get(name);
    if (!current || Number(current.metadata.labels?.version) < Number(labels.version)) latest.set(name, secret);
  }
  return [...latest].filter(([, s]) => s.metadata.labels?.status === status).map(([name]) => name).sort();
}

/** The slot the `-active` Service selects (managed routing), by release name. */
export function activeRelease(env: Env, app = 'calc', namespace = 'calc'): string | undefined {
  const svc = env.cluster.store.ofKind('Service', namespace).find((s) => s.metadata.name === `${app}-active`);
  return svc?.spec?.selector?.['app.kubernetes.io/instance'];
}

/** The task ended as expected; otherwise the failure shows its message and whole log. */
/** The run happened and ended as expected (a run missing from a test's record fails here, by name of the outcome). */
export function expectOutcome(run: TaskRun | undefined, outcome: TaskRun['outcome']): asserts run is TaskRun {
  assert.ok(run, `no run where one ${outcome === 'Succeeded' ? 'succeeded' : `ended ${outcome}`}`);
  assert.equal(run.outcome, outcome, `${run.message}\n${run.log}`);
}

/** The local cluster's resource type of a kind, for reading its store. */
export const resource = (kind: string) => RESOURCES.find((r) => r.kind === kind) as ResourceType;
