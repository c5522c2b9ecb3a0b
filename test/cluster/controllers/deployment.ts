// Deployment -> ReplicaSets, with the status both helm --wait modes read: helm 3's poller wants the new
// ReplicaSet (owned, template equal apart from pod-template-hash) ready and observedGeneration current;
// helm 4's kstatus wants replicas/updated/ready/available equal to spec, Available=True and
// Progressing=True reason NewReplicaSetAvailable, and fails at once on ProgressDeadlineExceeded.
import type { KubeObject, Store } from '../store';
import { deepEqual } from '../apiserver/schema';
import { controllerRef, createObject, fnv32a, isControlledBy, resource, safeEncode, setCondition, stableJson, writeStatus, type Condition, type WorkQueue } from './common';

const HASH_LABEL = 'pod-template-hash';
const REVISION = 'deployment.kubernetes.io/revision';

function withoutHash(template: KubeObject['spec']): unknown {
  const t = structuredClone(template ?? {});
  if (t.metadata?.labels) {
    delete t.metadata.labels[HASH_LABEL];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  return t;
}

/** deploymentutil.EqualIgnoreHash: the template helm 3 compares to find the new ReplicaSet. */
export const equalIgnoreHash = (a: KubeObject['spec'], b: KubeObject['spec']) => deepEqual(withoutHash(a), withoutHash(b));

export const templateHash = (template: unknown, collisions = 0) => safeEncode(String(fnv32a(stableJson(template) + (collisions ? String(collisions) : ''))));

/** `25%` of `total`, rounded the way the controller rounds maxUnavailable (down). */
export function maxUnavailable(deployment: KubeObject): number {
  const replicas = Number(deployment.spec?.replicas ?? 1);
  if (deployment.spec?.strategy?.type !== 'RollingUpdate' || replicas === 0) return 0;
  const v = deployment.spec?.strategy?.rollingUpdate?.maxUnavailable ?? '25%';
  const n = typeof v === 'string' && v.endsWith('%') ? Math.floor((replicas * Number(v.slice(0, -1))) / 100) : Number(v);
  return Math.min(n, replicas);
}

const revisionOf = (rs: KubeObject) => Number(rs.metadata.annotations?.[REVISION] ?? 0);

export function reconcileDeployment(store: Store, queue: WorkQueue, namespace: string | undefined, name: string): void {
  const deployments = resource('Deployment');
  const replicaSets = resource('ReplicaSet');
  const d = store.get(deployments, namespace, name);
  if (!d || d.metadata.deletionTimestamp) return;
  const desired = Number(d.spec?.replicas ?? 1);
  const owned = store.list(replicaSets, namespace).filter((rs) => isControlledBy(rs, d));
  const maxRevision = Math.max(0, ...owned.map(revisionOf));
  let newRs = owned.find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
  const olds = owned.filter((rs) => rs !== newRs);
  const recreate = d.spec?.strategy?.type === 'Recreate';
  const oldPodsLeft = olds.reduce((n, rs) => n + Number(rs.status?.replicas ?? 0), 0);

  if (!newRs) {
    let collisions = 0;
    let hash = templateHash(d.spec?.template);
    while (store.get(replicaSets, namespace, `${name}-${hash}`)) hash = templateHash(d.spec?.template, ++collisions);
    const template = structuredClone(d.spec?.template ?? {});
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [HASH_LABEL]: hash } };
    const selector = structuredClone(d.spec?.selector ?? {});
    selector.matchLabels = { ...selector.matchLabels, [HASH_LABEL]: hash };
    newRs = createObject(store, replicaSets, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${name}-${hash}`,
        namespace,
        labels: { ...template.metadata.labels },
        annotations: { [REVISION]: String(maxRevision + 1), 'deployment.kubernetes.io/desired-replicas': String(desired), 'deployment.kubernetes.io/max-replicas': String(desired + 1) },
        ownerReferences: [controllerRef(d)],
      },
      spec: { replicas: recreate && oldPodsLeft > 0 ? 0 : desired, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    });
  } else if (revisionOf(newRs) < maxRevision) {
    // A rollback to an older template makes that ReplicaSet the newest revision again.
    newRs.metadata.annotations = { ...newRs.metadata.annotations, [REVISION]: String(maxRevision + 1) };
    newRs = store.put(replicaSets, newRs);
  }

  const newReady = Number(newRs.status?.availableReplicas ?? 0) >= desired && Number(newRs.status?.replicas ?? 0) === desired;
  scale(store, newRs, recreate && oldPodsLeft > 0 ? 0 : desired);
  for (const old of olds) if (recreate || newReady) scale(store, old, 0);
  pruneHistory(store, d, olds);
  updateStatus(store, queue, d, newRs);
}

function scale(store: Store, rs: KubeObject, replicas: number): void {
  if (Number(rs.spec?.replicas) === replicas) return;
  const fresh = store.get(resource('ReplicaSet'), rs.metadata.namespace, rs.metadata.name ?? '');
  if (!fresh) return;
  fresh.spec = { ...fresh.spec, replicas };
  fresh.metadata.generation = (fresh.metadata.generation ?? 1) + 1;
  store.put(resource('ReplicaSet'), fresh);
}

function pruneHistory(store: Store, d: KubeObject, olds: KubeObject[]): void {
  const limit = Number(d.spec?.revisionHistoryLimit ?? 10);
  const idle = olds.filter((rs) => Number(rs.spec?.replicas ?? 0) === 0 && Number(rs.status?.replicas ?? 0) === 0).sort((a, b) => revisionOf(a) - revisionOf(b));
  for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) store.remove(resource('ReplicaSet'), rs.metadata.namespace, rs.metadata.name ?? '');
}

function updateStatus(store: Store, queue: WorkQueue, d: KubeObject, newRs: KubeObject): void {
  const deployments = resource('Deployment');
  const owned = store.list(resource('ReplicaSet'), d.metadata.namespace).filter((rs) => isControlledBy(rs, d));
  const fresh = owned.find((rs) => rs.metadata.uid === newRs.metadata.uid) ?? newRs;
  const sum = (f: (rs: KubeObject) => unknown) => owned.reduce((n, rs) => n + Number(f(rs) ?? 0), 0);
  const desired = Number(d.spec?.replicas ?? 1);
  const replicas = sum((rs) => rs.status?.replicas);
  const updated = Number(fresh.status?.replicas ?? 0);
  const ready = sum((rs) => rs.status?.readyReplicas);
  const available = sum((rs) => rs.status?.availableReplicas);
  const unavailable = Math.max(0, sum((rs) => rs.spec?.replicas) - available);
  const old = (d.status ?? {}) as { conditions?: Condition[]; replicas?: number; updatedReplicas?: number; readyReplicas?: number; availableReplicas?: number };
  const rsName = fresh.metadata.name;

  let conditions = setCondition(
    old.conditions,
    available >= desired - maxUnavailable(d)
      ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
      : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
    true,
  );
  const complete = updated === desired && replicas === desired && available === desired && Number(fresh.status?.observedGeneration ?? 0) >= Number(fresh.metadata.generation ?? 1);
  const previous = old.conditions?.find((c) => c.type === 'Progressing');
  const progressed =
    !previous || previous.message?.includes(`"${rsName}"`) !== true ||
    (old.replicas ?? 0) !== replicas || (old.updatedReplicas ?? 0) !== updated || (old.readyReplicas ?? 0) !== ready || (old.availableReplicas ?? 0) !== available;
  const deadlineMs = Number(d.spec?.progressDeadlineSeconds ?? 600) * 1000;
  if (complete) {
    conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }, true);
  } else if (!progressed && previous?.reason === 'ProgressDeadlineExceeded') {
    // stays failed until something moves
  } else if (!progressed && previous?.lastUpdateTime && Date.now() - Date.parse(previous.lastUpdateTime) >= deadlineMs) {
    conditions = setCondition(conditions, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` }, true);
  } else {
    const reason = previous && previous.message?.includes(`"${rsName}"`) ? 'ReplicaSetUpdated' : 'NewReplicaSetCreated';
    const message = reason === 'NewReplicaSetCreated' ? `Created new replica set "${rsName}"` : `ReplicaSet "${rsName}" is progressing.`;
    conditions = setProgress(conditions, { type: 'Progressing', status: 'True', reason, message }, progressed);
    const since = conditions.find((c) => c.type === 'Progressing')?.lastUpdateTime;
    const wait = since ? Date.parse(since) + deadlineMs - Date.now() : deadlineMs;
    queue.after(wait + 50, `deployment/${d.metadata.namespace}/${d.metadata.name}`, () => reconcileDeployment(store, queue, d.metadata.namespace, d.metadata.name ?? ''));
  }
  const status: Record<string, unknown> = {
    observedGeneration: d.metadata.generation ?? 1,
    replicas,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: available,
    ...(unavailable > 0 ? { unavailableReplicas: unavailable } : {}),
    conditions,
  };
  for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas']) if (status[k] === 0) delete status[k];
  const current = store.get(deployments, d.metadata.namespace, d.metadata.name ?? '');
  if (current) writeStatus(store, deployments, current, status);
}

/** The Progressing condition's lastUpdateTime marks the last progress: it moves only when the rollout moved. */
function setProgress(conditions: Condition[], next: Condition, progressed: boolean): Condition[] {
  const old = conditions.find((c) => c.type === 'Progressing');
  const updated = setCondition(conditions, next, true);
  if (!old && !progressed) return updated;
  const lastUpdateTime = progressed ? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') : old?.lastUpdateTime;
  return updated.map((c) => (c.type === 'Progressing' ? { ...c, lastUpdateTime } : c));
}
