// What every controller of the local cluster shares: resource lookup, ownership, and writes that only
// happen when they change something (controllers see their own writes as events and must settle).
import { RESOURCES, type KubeObject, type ResourceType, type Store } from '../store';
import { deepEqual } from '../apiserver/schema';
import { nowRfc3339, stampCreate } from '../apiserver/metadata';

export function resource(kind: string): ResourceType {
  const r = RESOURCES.find((x) => x.kind === kind);
  if (!r) throw new Error(`unknown kind ${kind}`);
  return r;
}

export const now = nowRfc3339;

export type OwnerReference = NonNullable<KubeObject['metadata']['ownerReferences']>[number];

export function controllerRef(owner: KubeObject): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

export function controllerOf(object: KubeObject): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((ref) => ref.controller);
}

export const isControlledBy = (object: KubeObject, owner: KubeObject) => controllerOf(object)?.uid === owner.metadata.uid;

/** Replaces `status` when it differs; returns the stored object. */
export function writeStatus(store: Store, r: ResourceType, object: KubeObject, status: Record<string, unknown>): KubeObject {
  if (deepEqual(object.status, status)) return object;
  return store.put(r, { ...object, status });
}

/** Stores a new object the way the API server would have stamped it (uid, creationTimestamp, generation). */
export function createObject(store: Store, r: ResourceType, object: KubeObject): KubeObject {
  stampCreate(r, object, store);
  return store.put(r, object);
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
  lastProbeTime?: string | null;
}

/**
 * A condition list with `next` set: lastTransitionTime moves only when the status flips, as the real
 * controllers do (kstatus and `kubectl rollout status` read the reason, not the time).
 */
export function setCondition(conditions: Condition[] | undefined, next: Condition, withUpdateTime = false): Condition[] {
  const list = [...(conditions ?? [])];
  const at = list.findIndex((c) => c.type === next.type);
  const old = at >= 0 ? list[at] : undefined;
  const stamp = now();
  const merged: Condition = {
    ...next,
    ...(withUpdateTime ? { lastUpdateTime: old && old.status === next.status && old.reason === next.reason ? old.lastUpdateTime : stamp } : {}),
    lastTransitionTime: old && old.status === next.status ? old.lastTransitionTime : stamp,
  };
  if (at >= 0) list[at] = merged;
  else list.push(merged);
  return list;
}

/** Pod readiness as the Ready condition says. */
export const isPodReady = (pod: KubeObject) =>
  pod.status?.phase === 'Running' && (pod.status?.conditions ?? []).some((c: Condition) => c.type === 'Ready' && c.status === 'True');

/** fnv-1a, 32 bit: what the deployment controller hashes pod templates with. */
export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
/** apimachinery's rand.SafeEncodeString: digits mapped to characters that never spell words. */
export const safeEncode = (s: string) => [...s].map((ch) => SAFE[ch.charCodeAt(0) % SAFE.length]).join('');

/** JSON with sorted keys, so equal objects hash equally. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** One pending run per key; runs on the next turn so a burst of events costs one reconcile. */
export class WorkQueue {
  private readonly pending = new Map<string, () => void>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  private scheduled = false;
  private stopped = false;

  constructor(private readonly onError: (err: unknown) => void) {}

  add(key: string, work: () => void): void {
    if (this.stopped) return;
    this.pending.set(key, work);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Queues `work` after `ms`; one timer per key, the earliest wins. */
  after(ms: number, key: string, work: () => void): void {
    if (this.stopped) return;
    const due = Date.now() + Math.max(0, ms);
    const existing = this.timers.get(key);
    if (existing && existing.due <= due) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key, work);
    }, Math.max(0, ms));
    timer.unref();
    this.timers.set(key, { timer, due });
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.pending.clear();
  }

  private flush(): void {
    this.scheduled = false;
    // Bounded: work queued while flushing runs on a later turn.
    const batch = [...this.pending.values()];
    this.pending.clear();
    for (const work of batch) {
      if (this.stopped) return;
      try {
        work();
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
