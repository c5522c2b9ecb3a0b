// What a controller currently believes the cluster looks like. Real controllers apply changes with a lag
// (ingress-nginx's Lua sync, a reload, AGIC's ARM PUT of the whole gateway), so the emulator routes from
// this view: each store event reaches it after a delay the controller chooses for that kind of change.
// With delay 0 an event applies synchronously inside the store write, so the view equals the store.
import { RESOURCES, type KubeObject, type ResourceType, type Store, type StoreEvent } from '../store';

/** The kinds the data plane reads; other writes (helm's release Secrets...) are not copied. */
export const WATCHED_KINDS = ['Pod', 'Service', 'Ingress', 'IngressClass', 'Gateway', 'HTTPRoute', 'ReferenceGrant', 'Namespace'] as const;
export type WatchedKind = (typeof WATCHED_KINDS)[number];

export interface ClusterView {
  /** Objects of a kind (in one namespace, or all), ordered by namespace/name. Do not mutate them. */
  list(kind: WatchedKind, namespace?: string): readonly KubeObject[];
  get(kind: WatchedKind, namespace: string | undefined, name: string): KubeObject | undefined;
}

/** How long the controller takes to act on one event; `previous` is the object as the view holds it. */
export type DelayPolicy = (event: StoreEvent, previous: KubeObject | undefined) => number;

interface Pending {
  dueAt: number;
  kind: WatchedKind;
  key: string;
  object?: KubeObject;
}

const objectKey = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * Applies store events to the view in the order the data plane received them, each after the delay the
 * policy gives it. The order is global, not per object: ingress-nginx builds its whole configuration in
 * one sync loop, AGIC pushes the whole gateway in one ARM update, a Gateway implementation snapshots all
 * routes; none of them serves a later write before an earlier one. So an event is due at
 * max(now + its delay, due of the event before it). That is what makes a fence observable: once a
 * write is served, every write before it is served too.
 */
export class ConvergingView implements ClusterView {
  private readonly objects = new Map<WatchedKind, Map<string, KubeObject>>();
  /** The changes not applied yet, in store order, due times never decreasing. */
  private readonly queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly waiters: Array<() => void> = [];
  private readonly unsubscribe: () => void;

  constructor(store: Store, private readonly delayOf: DelayPolicy) {
    for (const kind of WATCHED_KINDS) {
      const byKey = new Map<string, KubeObject>();
      for (const o of store.ofKind(kind)) byKey.set(objectKey(o), o);
      this.objects.set(kind, byKey);
    }
    this.unsubscribe = store.subscribe((event) => this.onEvent(event));
  }

  list(kind: WatchedKind, namespace?: string): readonly KubeObject[] {
    const all = [...(this.objects.get(kind)?.values() ?? [])];
    const inScope = namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
    return inScope.sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
  }

  get(kind: WatchedKind, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(kind)?.get(`${namespace ?? ''}/${name}`);
  }

  /** Changes received but not applied yet. */
  get pending(): number {
    return this.queue.length;
  }

  /** Resolves once every change received so far has been applied. */
  settled(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.wakeWaiters();
  }

  private onEvent(event: StoreEvent): void {
    const kind = event.resource.kind as WatchedKind;
    if (!(WATCHED_KINDS as readonly string[]).includes(kind)) return;
    const key = objectKey(event.object);
    // The policy compares with the object as the data plane will hold it just before this event.
    const queued = [...this.queue].reverse().find((p) => p.kind === kind && p.key === key);
    const previous = queued ? queued.object : this.objects.get(kind)?.get(key);
    const delay = Math.max(0, this.delayOf(event, previous));
    const after = this.queue.at(-1)?.dueAt ?? 0;
    const change: Pending = { dueAt: Math.max(Date.now() + delay, after), kind, key, object: event.type === 'DELETED' ? undefined : event.object };
    if (delay === 0 && this.queue.length === 0) {
      this.apply(change);
      return;
    }
    this.queue.push(change);
    if (this.queue.length === 1) this.arm();
  }

  private arm(): void {
    const [next] = this.queue;
    if (!next) return;
    const wait = Math.max(0, next.dueAt - Date.now());
    this.timer = setTimeout(() => this.drain(), wait);
  }

  private drain(): void {
    this.timer = undefined;
    for (let next = this.queue[0]; next && next.dueAt <= Date.now(); next = this.queue[0]) {
      this.queue.shift();
      this.apply(next);
    }
    if (this.queue.length) this.arm();
    else this.wakeWaiters();
  }

  private apply(change: Pending): void {
    const byKey = this.objects.get(change.kind) as Map<string, KubeObject>;
    if (change.object) byKey.set(change.key, change.object);
    else byKey.delete(change.key);
  }

  private wakeWaiters(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/** The store itself as a view (what a controller's informer sees at once: status decisions use it). */
export function liveView(store: Store): ClusterView {
  const resource = (kind: WatchedKind) => RESOURCES.find((r) => r.kind === kind) as ResourceType;
  return {
    list: (kind, namespace) => store.list(resource(kind), namespace),
    get: (kind, namespace, name) => store.get(resource(kind), namespace, name),
  };
}
