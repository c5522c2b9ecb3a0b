// Events as the kubelet and the scheduler record them (core v1 Event): one object per pod, reason and
// message; a repeat of the same reason and message bumps `count` and `lastTimestamp` instead of adding
// another, the way client-go's event correlator aggregates them.
import type { KubeObject, Store } from '../store';
import { createObject, now, resource } from './common';
import { NODE_NAME } from './node';

export type EventSource = 'kubelet' | 'default-scheduler';

export function recordEvent(store: Store, pod: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, source: EventSource = 'kubelet', fieldPath?: string): void {
  const events = resource('Event');
  const { namespace, name, uid } = pod.metadata;
  const at = now();
  const same = store
    .list(events, namespace)
    .find((e) => e.involvedObject?.uid === uid && e.reason === reason && e.message === message && e.type === type);
  if (same) {
    store.put(events, { ...same, count: Number(same.count ?? 1) + 1, lastTimestamp: at });
    return;
  }
  createObject(store, events, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${name}.${(Date.now() * 1000 + Math.floor(Math.random() * 1000)).toString(16)}`, namespace },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace, name, uid, ...(fieldPath ? { fieldPath } : {}) },
    reason,
    message,
    type,
    source: source === 'kubelet' ? { component: 'kubelet', host: NODE_NAME } : { component: source },
    reportingComponent: source,
    reportingInstance: source === 'kubelet' ? NODE_NAME : '',
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  });
}
