// The local cluster's controllers: Deployment -> ReplicaSet -> Pod (with a configurable ready delay),
// Jobs, Service load balancers and Endpoints, Namespace phase. They watch the store and write status
// through it directly, as kube-controller-manager and the kubelet would through the API.
import type { KubeObject, Store, StoreEvent } from '../store';
import { controllerOf, resource, writeStatus, WorkQueue } from './common';
import { reconcileDeployment } from './deployment';
import { reconcileJob } from './job';
import { PodLifecycle } from './pod';
import { reconcileReplicaSet } from './replicaset';
import { LoadBalancers, reconcileEndpoints, removeEndpoints } from './service';

export { NEVER_READY_ANNOTATION, isNeverReady, runsToCompletion } from './pod';
export { AZURE_DNS_LABEL, AZURE_STATIC_IP } from './service';

export interface ControllerOptions {
  /** How long a new pod takes to run and turn Ready (default 100 ms). */
  readyDelayMs?: number;
  /** Azure region in LoadBalancer DNS names (default westeurope). */
  region?: string;
  /** Where unexpected controller errors go (default: stderr). */
  onError?: (err: unknown) => void;
}

export interface Controllers {
  setReadyDelay(ms: number): void;
  stop(): void;
}

export function startControllers(store: Store, options: ControllerOptions = {}): Controllers {
  const queue = new WorkQueue(options.onError ?? ((err) => console.error('local cluster controller error:', err)));
  const pods = new PodLifecycle(store, queue, options.readyDelayMs ?? 100);
  const loadBalancers = new LoadBalancers(store, options.region ?? 'westeurope');

  const deployment = (ns: string | undefined, name: string) => queue.add(`deployment/${ns}/${name}`, () => reconcileDeployment(store, queue, ns, name));
  const replicaSet = (ns: string | undefined, name: string) => queue.add(`replicaset/${ns}/${name}`, () => reconcileReplicaSet(store, ns, name));
  const job = (ns: string | undefined, name: string) => queue.add(`job/${ns}/${name}`, () => reconcileJob(store, ns, name));
  const endpoints = (ns: string | undefined) => queue.add(`endpoints/${ns}`, () => reconcileEndpoints(store, ns));
  const owner = (o: KubeObject) => {
    const ref = controllerOf(o);
    if (ref?.kind === 'ReplicaSet') replicaSet(o.metadata.namespace, ref.name);
    if (ref?.kind === 'Deployment') deployment(o.metadata.namespace, ref.name);
    if (ref?.kind === 'Job') job(o.metadata.namespace, ref.name);
  };

  const onEvent = ({ type, resource: r, object }: StoreEvent) => {
    const { namespace, name = '' } = object.metadata;
    switch (r.kind) {
      case 'Namespace':
        if (type !== 'DELETED' && object.status?.phase !== 'Active' && !object.metadata.deletionTimestamp) {
          queue.add(`namespace/${name}`, () => {
            const ns = store.get(resource('Namespace'), undefined, name);
            if (ns && !ns.status?.phase) writeStatus(store, resource('Namespace'), ns, { ...ns.status, phase: 'Active' });
          });
        }
        break;
      case 'Deployment':
        if (type !== 'DELETED') deployment(namespace, name);
        break;
      case 'ReplicaSet':
        if (type !== 'DELETED') replicaSet(namespace, name);
        owner(object);
        break;
      case 'Job':
        if (type !== 'DELETED') job(namespace, name);
        break;
      case 'Pod':
        pods.observe(type, object);
        owner(object);
        endpoints(namespace);
        break;
      case 'Service':
        if (type === 'DELETED') {
          loadBalancers.forget(object.metadata.uid);
          queue.add(`endpoints-gone/${namespace}/${name}`, () => removeEndpoints(store, object));
        } else {
          queue.add(`service/${namespace}/${name}`, () => loadBalancers.reconcile(namespace, name));
          endpoints(namespace);
        }
        break;
    }
  };
  const unsubscribe = store.subscribe(onEvent);

  // Objects stored before the controllers started get reconciled too.
  for (const kind of ['Namespace', 'Deployment', 'ReplicaSet', 'Job', 'Pod', 'Service']) {
    for (const object of store.ofKind(kind)) onEvent({ type: 'ADDED', resource: resource(kind), object });
  }

  return {
    setReadyDelay: (ms: number) => {
      pods.readyDelay.ms = ms;
    },
    stop: () => {
      unsubscribe();
      queue.stop();
    },
  };
}
