// Deletion and the garbage collector's cascade. The real GC works asynchronously; here dependents go in
// the same tick, which is what a client polling after `helm uninstall` ends up observing anyway.
import { RESOURCES, type KubeObject, type ResourceType, type Store } from '../store';
import { nowRfc3339 } from './metadata';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

interface Entry {
  r: ResourceType;
  object: KubeObject;
}

function snapshot(store: Store): Entry[] {
  const out: Entry[] = [];
  for (const r of RESOURCES) for (const object of store.list(r)) out.push({ r, object });
  return out;
}

/**
 * Deletes one object and cascades. Objects with finalizers only get a deletionTimestamp (they go when the
 * last finalizer is removed); namespaces take everything in them along.
 * Returns the object's last state and whether it is gone.
 */
export function deleteObject(store: Store, r: ResourceType, object: KubeObject, policy: PropagationPolicy): { object: KubeObject; gone: boolean } {
  const all = snapshot(store);
  return deleteWith(store, all, r, object, policy);
}

function deleteWith(store: Store, all: Entry[], r: ResourceType, object: KubeObject, policy: PropagationPolicy): { object: KubeObject; gone: boolean } {
  const { name, namespace, uid } = object.metadata;
  if ((object.metadata.finalizers ?? []).length > 0) {
    if (!object.metadata.deletionTimestamp) {
      object.metadata.deletionTimestamp = nowRfc3339();
      object.metadata.deletionGracePeriodSeconds = 0;
      object = store.put(r, object);
    }
    return { object, gone: false };
  }
  const last = store.remove(r, namespace, name ?? '');
  if (!last) return { object, gone: true };
  if (r.kind === 'Namespace') {
    for (const e of all) {
      if (e.r.namespaced && e.object.metadata.namespace === name && store.get(e.r, name, e.object.metadata.name ?? '')) {
        store.remove(e.r, name, e.object.metadata.name ?? '');
      }
    }
  }
  for (const e of all) {
    const refs = e.object.metadata.ownerReferences ?? [];
    if (!refs.some((ref) => ref.uid === uid)) continue;
    const current = store.get(e.r, e.object.metadata.namespace, e.object.metadata.name ?? '');
    if (!current) continue;
    const remaining = (current.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== uid);
    const otherOwnerAlive = remaining.some((ref) => all.some((o) => o.object.metadata.uid === ref.uid && store.get(o.r, o.object.metadata.namespace, o.object.metadata.name ?? '')));
    if (policy === 'Orphan' || otherOwnerAlive) {
      current.metadata.ownerReferences = remaining.length > 0 ? remaining : undefined;
      if (!current.metadata.ownerReferences) delete current.metadata.ownerReferences;
      store.put(e.r, current);
    } else {
      deleteWith(store, all, e.r, current, policy);
    }
  }
  return { object: last, gone: true };
}

/** After an update removed the last finalizer of an object being deleted, it goes. */
export function finishFinalized(store: Store, r: ResourceType, object: KubeObject): boolean {
  if (!object.metadata.deletionTimestamp || (object.metadata.finalizers ?? []).length > 0) return false;
  deleteObject(store, r, object, 'Background');
  return true;
}
