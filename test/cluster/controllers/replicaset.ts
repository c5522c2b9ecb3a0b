// ReplicaSet -> Pods: keeps spec.replicas pods stamped from the template, and reports how many are ready.
import type { KubeObject, Store } from '../store';
import { randomSuffix } from '../apiserver/metadata';
import { controllerRef, createObject, isControlledBy, isPodReady, resource, writeStatus } from './common';

export function ownedPods(store: Store, owner: KubeObject): KubeObject[] {
  return store.list(resource('Pod'), owner.metadata.namespace).filter((p) => isControlledBy(p, owner) && !p.metadata.deletionTimestamp);
}

export function reconcileReplicaSet(store: Store, namespace: string | undefined, name: string): void {
  const rsResource = resource('ReplicaSet');
  const pods = resource('Pod');
  const rs = store.get(rsResource, namespace, name);
  if (!rs) return;
  const want = Number(rs.spec?.replicas ?? 1);
  let current = ownedPods(store, rs);
  for (let i = current.length; i < want; i += 1) {
    let podName: string;
    do podName = `${name}-${randomSuffix()}`;
    while (store.get(pods, namespace, podName));
    const template = rs.spec?.template ?? {};
    createObject(store, pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        generateName: `${name}-`,
        namespace,
        labels: { ...template.metadata?.labels },
        ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
        ownerReferences: [controllerRef(rs)],
      },
      spec: structuredClone(template.spec ?? {}),
    });
  }
  if (current.length > want) {
    // Not-ready pods go first, then the youngest, as the real controller prefers.
    const victims = [...current]
      .sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)) || String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)))
      .slice(0, current.length - want);
    for (const v of victims) store.remove(pods, namespace, v.metadata.name ?? '');
  }
  current = ownedPods(store, rs);
  const ready = current.filter(isPodReady).length;
  const fresh = store.get(rsResource, namespace, name);
  if (!fresh) return;
  writeStatus(store, rsResource, fresh, {
    replicas: current.length,
    fullyLabeledReplicas: current.length,
    readyReplicas: ready,
    availableReplicas: ready,
    observedGeneration: fresh.metadata.generation ?? 1,
  });
}
