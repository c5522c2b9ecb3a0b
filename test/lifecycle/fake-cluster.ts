// The cluster of the lifecycle tier, in memory: an object store that stands in for the API server behind
// client-node's KubernetesObjectApi, the one object the core's Kube (shared/kubernetes/client.ts) and the lease talk
// through. Everything above it is the real code: Kube's write guard and error mapping, the lease, the
// app's record, helm's release records read by shared/helm/storage.ts. Every write lands in the journal, in
// the order the server received it, which is what the lifecycle tests assert on.
import { ApiException, KubernetesObjectApi } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeObject } from '../../shared/kubernetes/client';
import { matchesLabels, parseLabelSelector } from '../cluster/apiserver/selectors';

/** One write (or, for `check`, one request the data plane answered), in the order it happened. */
export interface Entry {
  seq: number;
  /** Who made it: the API server's client (`kube`), helm, the router, or a check request. */
  by: 'kube' | 'helm' | 'router' | 'check';
  /** e.g. `create ConfigMap calc/calc-bluegreen-record`, `upgrade calc-green`, `switchProduction green`. */
  what: string;
}

export class Journal {
  readonly entries: Entry[] = [];
  add(by: Entry['by'], what: string): void {
    this.entries.push({ seq: this.entries.length, by, what });
  }
  /** The entries after `mark` (a length taken earlier), as `by what` lines. */
  since(mark: number): string[] {
    return this.entries.slice(mark).map((e) => `${e.by} ${e.what}`);
  }
}

const keyOf = (apiVersion: string, kind: string, namespace: string | undefined, name: string) => `${apiVersion}|${kind}|${namespace ?? ''}|${name}`;
const fail = (code: number, reason: string, message: string): never => {
  throw new ApiException(code, reason, { kind: 'Status', status: 'Failure', reason, code, message }, {});
};
const clone = <T>(o: T): T => structuredClone(o);

/** Merge patch (RFC 7386): null removes a key, objects merge, everything else replaces. */
function merge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object' && out[k] !== null && !Array.isArray(out[k])) out[k] = merge(out[k] as Record<string, unknown>, v as Record<string, unknown>);
    else out[k] = clone(v);
  }
  return out;
}

/** What the store holds: an object of any kind, as JSON. */
type Stored = KubeObject & { [field: string]: unknown };

export class FakeCluster {
  private readonly objects = new Map<string, Stored>();
  private version = 1;
  /** Throws before the write it names is stored (`create Lease`, say): a server or network failure. */
  failWrite?: (what: string) => void;

  constructor(readonly journal: Journal) {}

  // The caller names the model of the kind it reads (`get<V1Deployment>(...)`): the store keeps plain JSON.
  get<T extends KubernetesObject = KubernetesObject>(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject<T> | undefined {
    const o = this.objects.get(keyOf(apiVersion, kind, namespace, name));
    return o && (clone(o) as unknown as KubeObject<T>);
  }

  list<T extends KubernetesObject = KubernetesObject>(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Array<KubeObject<T>> {
    const requirements = parseLabelSelector(labelSelector);
    return [...this.objects.values()]
      .filter((o) => o.apiVersion === apiVersion && o.kind === kind && (!namespace || o.metadata.namespace === namespace) && matchesLabels(requirements, o.metadata.labels))
      .map((o) => clone(o) as unknown as KubeObject<T>);
  }

  /** Stores an object as the server would (metadata it owns filled in); `by` writes it into the journal. */
  put<T extends KubeObject>(object: T, by: Entry['by'] | undefined, verb: string): T {
    const what = `${verb} ${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
    this.failWrite?.(what);
    const stored = clone(object) as T & Stored;
    stored.metadata.resourceVersion = String(++this.version);
    stored.metadata.uid ??= `uid-${this.version}`;
    this.objects.set(keyOf(stored.apiVersion!, stored.kind!, stored.metadata.namespace, stored.metadata.name), stored);
    if (by) this.journal.add(by, what);
    return clone(stored);
  }

  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string, by: Entry['by'] | undefined): boolean {
    const what = `delete ${kind} ${namespace ? `${namespace}/` : ''}${name}`;
    this.failWrite?.(what);
    const had = this.objects.delete(keyOf(apiVersion, kind, namespace, name));
    if (had && by) this.journal.add(by, what);
    return had;
  }

  /** What client-node's KubernetesObjectApi does for Kube, against this store. */
  objectApi(): unknown {
    const existing = (o: KubeObject) => this.get(o.apiVersion!, o.kind!, o.metadata.namespace, o.metadata.name) as Stored | undefined;
    const precondition = (current: KubeObject, rv: string | undefined) => {
      if (rv && current.metadata.resourceVersion !== rv) fail(409, 'Conflict', `the object has been modified (resourceVersion ${rv} is not ${current.metadata.resourceVersion})`);
    };
    return {
      // Kube seeds client-node's discovery cache here; the store needs no discovery.
      apiVersionResourceCache: {},
      read: async (spec: KubeObject) => existing(spec) ?? fail(404, 'NotFound', `${spec.kind} ${spec.metadata.name} not found`),
      list: async (apiVersion: string, kind: string, namespace?: string, ...rest: unknown[]) => ({ items: this.list(apiVersion, kind, namespace, rest[4] as string | undefined) }),
      create: async (o: KubeObject) => {
        if (existing(o)) fail(409, 'AlreadyExists', `${o.kind} ${o.metadata.name} already exists`);
        return this.put(o, 'kube', 'create');
      },
      replace: async (o: KubeObject) => {
        const current = existing(o) ?? fail(404, 'NotFound', `${o.kind} ${o.metadata.name} not found`);
        precondition(current, o.metadata.resourceVersion);
        return this.put(o, 'kube', 'replace');
      },
      patch: async (o: Stored, _pretty?: string, _dryRun?: string, _manager?: string, _force?: boolean, strategy?: string) => {
        const current = existing(o);
        // Server-side apply by the objects' only manager: the object becomes what was applied (fields left
        // out are removed, as for a real field manager), keeping what the server owns.
        if (strategy === 'application/apply-patch+yaml') return this.put(current ? { ...o, metadata: { ...o.metadata, uid: current.metadata.uid }, status: current.status } : o, 'kube', 'apply');
        if (!current) return fail(404, 'NotFound', `${o.kind} ${o.metadata.name} not found`);
        precondition(current, o.metadata.resourceVersion);
        return this.put(merge(current, o) as Stored, 'kube', 'patch');
      },
      delete: async (spec: KubeObject, ...rest: unknown[]) => {
        const current = existing(spec) ?? fail(404, 'NotFound', `${spec.kind} ${spec.metadata.name} not found`);
        const options = rest[5] as { preconditions?: { resourceVersion?: string } } | undefined;
        precondition(current, options?.preconditions?.resourceVersion);
        this.remove(spec.apiVersion!, spec.kind!, spec.metadata.namespace, spec.metadata.name, 'kube');
        return { kind: 'Status', status: 'Success' };
      },
    };
  }
}

type MakeApiClient = typeof KubernetesObjectApi.makeApiClient;
const original: MakeApiClient = KubernetesObjectApi.makeApiClient;

/**
 * Every Kube made from now on (the task's, the lease's) talks to `cluster`. client-node's class is the
 * seam: nothing in shared/ changes for the test.
 */
export function routeKubeTo(cluster: FakeCluster): () => void {
  (KubernetesObjectApi as unknown as { makeApiClient: () => unknown }).makeApiClient = () => cluster.objectApi();
  return () => {
    KubernetesObjectApi.makeApiClient = original;
  };
}
