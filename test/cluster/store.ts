// The object store behind the local cluster: the API server writes it, controllers and the data-plane
// emulator read it and watch it. It owns nothing of the HTTP protocol; it is the etcd of the fake.
import { EventEmitter } from 'node:events';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
  finalizers?: string[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [key: string]: any;
}

export interface ResourceType {
  group: string; // '' for core
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** Has a /status subresource: status is written only through it (or by the fake's controllers). */
  status?: boolean;
  shortNames?: string[];
  verbs?: string[];
}

/** Every resource the local cluster serves. Adding a row is all it takes to serve another kind. */
export const RESOURCES: readonly ResourceType[] = [
  { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, status: true, shortNames: ['ns'] },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] },
  { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, status: true, shortNames: ['svc'] },
  { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'] },
  { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, status: true, shortNames: ['po'] },
  { group: '', version: 'v1', kind: 'Endpoints', plural: 'endpoints', namespaced: true, shortNames: ['ep'] },
  { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] },
  { group: '', version: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true, status: true, shortNames: ['pvc'] },
  { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, status: true, shortNames: ['deploy'] },
  { group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, status: true, shortNames: ['rs'] },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true, status: true, shortNames: ['sts'] },
  { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true, status: true },
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, status: true, shortNames: ['pdb'] },
  { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true, status: true, shortNames: ['hpa'] },
  { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', plural: 'ingresses', namespaced: true, status: true, shortNames: ['ing'] },
  { group: 'networking.k8s.io', version: 'v1', kind: 'IngressClass', plural: 'ingressclasses', namespaced: false },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
  { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'GatewayClass', plural: 'gatewayclasses', namespaced: false, status: true },
  { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'Gateway', plural: 'gateways', namespaced: true, status: true },
  { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'HTTPRoute', plural: 'httproutes', namespaced: true, status: true },
  { group: 'gateway.networking.k8s.io', version: 'v1beta1', kind: 'ReferenceGrant', plural: 'referencegrants', namespaced: true },
];

export function resourceByKind(apiVersion: string, kind: string): ResourceType | undefined {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  return RESOURCES.find((r) => r.group === group && r.kind === kind);
}

export function apiVersionOf(r: ResourceType): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  resource: ResourceType;
  object: KubeObject;
}

export class StoreError extends Error {
  constructor(
    readonly code: number,
    readonly reason: 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid' | 'BadRequest' | 'Forbidden' | 'InternalError',
    message: string,
  ) {
    super(message);
  }
}

const key = (r: ResourceType, namespace: string | undefined, name: string) =>
  `${r.group}/${r.plural}/${r.namespaced ? namespace ?? '' : ''}/${name}`;

const clone = <T>(value: T): T => structuredClone(value);

/**
 * In-memory objects with one global resourceVersion counter. Objects handed out are copies: mutate
 * them and write them back through `put`. Events fire synchronously after each write, in write order.
 */
export class Store {
  private readonly objects = new Map<string, KubeObject>();
  private readonly events = new EventEmitter();
  private counter = 1000;
  private uidCounter = 0;

  constructor() {
    this.events.setMaxListeners(0);
  }

  get resourceVersion(): string {
    return String(this.counter);
  }

  get(r: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.objects.get(key(r, namespace, name));
    return found && clone(found);
  }

  /** Objects of one resource, in one namespace or (namespace undefined) all of them, ordered by name. */
  list(r: ResourceType, namespace?: string): KubeObject[] {
    const prefix = `${r.group}/${r.plural}/${r.namespaced && namespace !== undefined ? `${namespace}/` : ''}`;
    const out: KubeObject[] = [];
    for (const [k, v] of this.objects) if (k.startsWith(prefix)) out.push(clone(v));
    return out.sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  }

  /** Convenience for readers that think in kinds: `store.ofKind('Service', 'calc')`. */
  ofKind(kind: string, namespace?: string): KubeObject[] {
    const r = RESOURCES.find((x) => x.kind === kind);
    if (!r) throw new Error(`unknown kind ${kind}`);
    return this.list(r, namespace);
  }

  newUid(): string {
    this.uidCounter += 1;
    const hex = this.uidCounter.toString(16).padStart(12, '0');
    return `00000000-0000-4000-8000-${hex}`;
  }

  /**
   * Stores the object as given (the API layer has already applied defaults and metadata rules), stamps
   * a new resourceVersion, and emits ADDED or MODIFIED. Returns the stored copy.
   */
  put(r: ResourceType, object: KubeObject): KubeObject {
    const name = object.metadata.name;
    if (!name) throw new StoreError(422, 'Invalid', 'metadata.name is required');
    const k = key(r, object.metadata.namespace, name);
    const existed = this.objects.has(k);
    this.counter += 1;
    const stored = clone(object);
    stored.metadata.resourceVersion = String(this.counter);
    this.objects.set(k, stored);
    this.events.emit('event', { type: existed ? 'MODIFIED' : 'ADDED', resource: r, object: clone(stored) } satisfies StoreEvent);
    return clone(stored);
  }

  /** Removes the object and emits DELETED (carrying a fresh resourceVersion). Returns the last state. */
  remove(r: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const k = key(r, namespace, name);
    const found = this.objects.get(k);
    if (!found) return undefined;
    this.objects.delete(k);
    this.counter += 1;
    found.metadata.resourceVersion = String(this.counter);
    this.events.emit('event', { type: 'DELETED', resource: r, object: clone(found) } satisfies StoreEvent);
    return clone(found);
  }

  /** Subscribe to every write. Returns the unsubscribe function. */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.events.on('event', listener);
    return () => this.events.off('event', listener);
  }
}
