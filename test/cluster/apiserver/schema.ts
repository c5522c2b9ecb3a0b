// The little of the Kubernetes schema that patching needs: which lists merge by key (the Go types'
// patchMergeKey / x-kubernetes-list-map-keys), which are sets, and which maps are atomic. Lists not
// listed here are atomic: strategic merge patch replaces them and server-side apply owns them whole.
// Paths are field names only (list indices dropped), e.g. ['spec', 'template', 'spec', 'containers'].

export type ListKind = { type: 'map'; keys: string[] } | { type: 'set' } | { type: 'atomic' };

interface ListRule {
  kinds?: string[];
  /** Matches when the path ends with this suffix (or equals it when `exact`). */
  path: string[];
  exact?: boolean;
  list: ListKind;
}

const byName: ListKind = { type: 'map', keys: ['name'] };
const podLists = ['containers', 'initContainers', 'ephemeralContainers'];

const LIST_RULES: ListRule[] = [
  ...podLists.map((c) => ({ path: [c], list: byName })),
  ...podLists.map((c) => ({ path: [c, 'ports'], list: { type: 'map', keys: ['containerPort'] } as ListKind })),
  ...podLists.map((c) => ({ path: [c, 'env'], list: byName })),
  // The real merge key of volumeMounts is mountPath, not name (k8s.io/api core/v1 VolumeMount).
  ...podLists.map((c) => ({ path: [c, 'volumeMounts'], list: { type: 'map', keys: ['mountPath'] } as ListKind })),
  ...podLists.map((c) => ({ path: [c, 'volumeDevices'], list: { type: 'map', keys: ['devicePath'] } as ListKind })),
  ...podLists.map((c) => ({ path: [c, 'resizePolicy'], list: { type: 'map', keys: ['resourceName'] } as ListKind })),
  { path: ['volumes'], list: byName },
  { path: ['imagePullSecrets'], list: byName },
  { path: ['hostAliases'], list: { type: 'map', keys: ['ip'] } },
  { path: ['topologySpreadConstraints'], list: { type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'] } },
  { path: ['resourceClaims'], list: byName },
  { kinds: ['Service'], path: ['spec', 'ports'], exact: true, list: { type: 'map', keys: ['port'] } },
  { kinds: ['Gateway'], path: ['spec', 'listeners'], exact: true, list: byName },
  { path: ['metadata', 'ownerReferences'], exact: true, list: { type: 'map', keys: ['uid'] } },
  { path: ['metadata', 'finalizers'], exact: true, list: { type: 'set' } },
  { path: ['status', 'conditions'], exact: true, list: { type: 'map', keys: ['type'] } },
];

/** Maps replaced whole by apply (`+mapType=atomic` / `+structType=atomic` in the Go types). */
const ATOMIC_MAPS: Array<{ kinds: string[]; path: string[] }> = [
  { kinds: ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'PodDisruptionBudget'], path: ['spec', 'selector'] },
  { kinds: ['Service', 'ReplicationController'], path: ['spec', 'selector'] },
];

const endsWith = (path: readonly string[], suffix: readonly string[]) =>
  path.length >= suffix.length && suffix.every((s, i) => path[path.length - suffix.length + i] === s);

const equals = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((s, i) => s === b[i]);

export function listKind(kind: string, path: readonly string[]): ListKind {
  for (const rule of LIST_RULES) {
    if (rule.kinds && !rule.kinds.includes(kind)) continue;
    if (rule.exact ? equals(path, rule.path) : endsWith(path, rule.path)) return rule.list;
  }
  return { type: 'atomic' };
}

export function isAtomicMap(kind: string, path: readonly string[]): boolean {
  return ATOMIC_MAPS.some((m) => m.kinds.includes(kind) && equals(path, m.path));
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Identity of a keyed list item: the values of its merge keys, or undefined when one is missing. */
export function itemKey(item: unknown, keys: readonly string[]): Record<string, Json> | undefined {
  if (!isObject(item)) return undefined;
  const out: Record<string, Json> = {};
  for (const k of keys) {
    if (item[k] === undefined) return undefined;
    out[k] = item[k];
  }
  return out;
}

export const sameKey = (a: Record<string, Json> | undefined, b: Record<string, Json> | undefined) =>
  a !== undefined && b !== undefined && deepEqual(a, b);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual(ao[k], bo[k]));
}
