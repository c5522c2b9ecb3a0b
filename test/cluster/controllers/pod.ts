// The kubelet of the local cluster: schedules every pod onto one node (or leaves it Unschedulable when
// its requests exceed the node's), then after the ready delay either runs it (Ready, Ready only after a
// while, or never Ready on demand), fails it the ways podfaults.ts models (image pull, crash loop, config
// error, invalid image name) or, for pods that run to completion (helm test hooks, Job pods,
// restartPolicy Never/OnFailure), ends it Succeeded or Failed.
import type { KubeObject, Store } from '../store';
import { controllerOf, now, resource, setCondition, writeStatus, type Condition, type WorkQueue } from './common';
import { recordEvent } from './events';
import { HOST_IP, NODE_NAME, unschedulableMessage } from './node';
import { PodFaults, readyAfterMs } from './podfaults';

export const NEVER_READY_ANNOTATION = 'bluegreen.test/never-ready';
export { NODE_NAME } from './node';

type Container = { name: string; image?: string; env?: Array<{ name: string; value?: string }> };

const containersOf = (pod: KubeObject): Container[] => (pod.spec?.containers ?? []) as Container[];
const envTrue = (pod: KubeObject, name: string) => containersOf(pod).some((c) => (c.env ?? []).some((e) => e.name === name && e.value === 'true'));

/** Never Ready: the annotation, an env NEVER_READY=true, or an image tag containing `never-ready`. */
export function isNeverReady(pod: KubeObject): boolean {
  if (pod.metadata.annotations?.[NEVER_READY_ANNOTATION] === 'true') return true;
  if (envTrue(pod, 'NEVER_READY')) return true;
  return containersOf(pod).some((c) => (c.image ?? '').split('/').pop()?.split(':')[1]?.includes('never-ready'));
}

/** Pods that exit instead of serving. */
export function runsToCompletion(pod: KubeObject): boolean {
  const hook = pod.metadata.annotations?.['helm.sh/hook'] ?? '';
  if (hook.split(',').some((h) => h.trim().startsWith('test'))) return true;
  if (controllerOf(pod)?.kind === 'Job') return true;
  return pod.spec?.restartPolicy === 'Never' || pod.spec?.restartPolicy === 'OnFailure';
}

export class PodLifecycle {
  private nextIp = 10;
  readonly readyDelay: { ms: number };
  private readonly faults: PodFaults;

  constructor(
    private readonly store: Store,
    private readonly queue: WorkQueue,
    readyDelayMs: number,
  ) {
    this.readyDelay = { ms: readyDelayMs };
    this.faults = new PodFaults(store, queue, (namespace, name, uid) => this.start(namespace, name, uid));
  }

  /** Called for every pod event; acts on new pods only. */
  observe(type: string, pod: KubeObject): void {
    if (type !== 'ADDED' || pod.spec?.nodeName) return;
    const { namespace, name } = pod.metadata;
    this.queue.add(`pod-schedule/${namespace}/${name}`, () => this.schedule(namespace, name ?? ''));
    this.queue.after(this.readyDelay.ms, `pod-start/${namespace}/${name}`, () => this.start(namespace, name ?? '', pod.metadata.uid ?? ''));
  }

  /** Binds the pod to the node; false (PodScheduled=False, Unschedulable) when it does not fit. */
  private schedule(namespace: string | undefined, name: string): boolean {
    const pods = resource('Pod');
    const pod = this.store.get(pods, namespace, name);
    if (!pod) return false;
    if (pod.spec?.nodeName) return true;
    const unschedulable = unschedulableMessage(pod.spec?.containers ?? []);
    if (unschedulable) {
      const told = (pod.status?.conditions ?? []).some((c: Condition) => c.type === 'PodScheduled' && c.reason === 'Unschedulable');
      if (!told) recordEvent(this.store, pod, 'Warning', 'FailedScheduling', unschedulable, 'default-scheduler');
      writeStatus(this.store, pods, pod, {
        phase: 'Pending',
        conditions: setCondition(pod.status?.conditions, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: unschedulable, lastProbeTime: null }),
      });
      return false;
    }
    pod.spec = { ...pod.spec, nodeName: NODE_NAME };
    pod.status = {
      ...pod.status,
      phase: 'Pending',
      conditions: setCondition(pod.status?.conditions, { type: 'PodScheduled', status: 'True', lastProbeTime: null }),
      hostIP: HOST_IP,
      hostIPs: [{ ip: HOST_IP }],
      startTime: now(),
    };
    this.store.put(pods, pod);
    return true;
  }

  private start(namespace: string | undefined, name: string, uid: string): void {
    const pods = resource('Pod');
    if (!this.schedule(namespace, name)) return;
    const pod = this.store.get(pods, namespace, name);
    if (!pod || pod.metadata.uid !== uid || pod.metadata.deletionTimestamp) return;
    const ip = (pod.status?.podIP as string | undefined) ?? `10.244.${Math.floor(this.nextIp / 250)}.${(this.nextIp % 250) + 2}`;
    if (!pod.status?.podIP) this.nextIp += 1;
    if (!runsToCompletion(pod) && this.faults.start(pod, ip)) return;
    const started = now();
    if (runsToCompletion(pod)) {
      const failed = envTrue(pod, 'FAIL');
      const exitCode = failed ? 1 : 0;
      writeStatus(this.store, pods, pod, {
        ...pod.status,
        phase: failed ? 'Failed' : 'Succeeded',
        podIP: ip,
        podIPs: [{ ip }],
        conditions: conditions(pod.status?.conditions, false, 'PodCompleted'),
        containerStatuses: containersOf(pod).map((c) => ({
          name: c.name,
          image: c.image,
          imageID: '',
          ready: false,
          started: false,
          restartCount: 0,
          state: { terminated: { exitCode, reason: failed ? 'Error' : 'Completed', startedAt: started, finishedAt: started } },
        })),
      });
      return;
    }
    const readyAfter = readyAfterMs(pod);
    const ready = !isNeverReady(pod) && readyAfter === undefined;
    if (!ready) recordEvent(this.store, pod, 'Warning', 'Unhealthy', `Readiness probe failed: Get "http://${ip}:8080/": dial tcp ${ip}:8080: connect: connection refused`, 'kubelet');
    if (readyAfter !== undefined && !isNeverReady(pod)) this.queue.after(readyAfter, `pod-ready/${namespace}/${name}`, () => this.turnReady(namespace, name, uid));
    writeStatus(this.store, pods, pod, {
      ...pod.status,
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: conditions(pod.status?.conditions, ready, 'ContainersNotReady'),
      containerStatuses: containersOf(pod).map((c, i) => ({
        name: c.name,
        image: c.image,
        imageID: `${c.image ?? ''}@sha256:${'0'.repeat(64)}`,
        containerID: `containerd://${(pod.metadata.uid ?? '').replace(/-/g, '')}${i}`,
        ready,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: started } },
      })),
    });
  }

  private turnReady(namespace: string | undefined, name: string, uid: string): void {
    const pods = resource('Pod');
    const pod = this.store.get(pods, namespace, name);
    if (!pod || pod.metadata.uid !== uid || pod.metadata.deletionTimestamp || pod.status?.phase !== 'Running') return;
    writeStatus(this.store, pods, pod, {
      ...pod.status,
      conditions: conditions(pod.status?.conditions, true, 'ContainersNotReady'),
      containerStatuses: (pod.status?.containerStatuses ?? []).map((c: Record<string, unknown>) => ({ ...c, ready: true })),
    });
  }
}

function conditions(current: Condition[] | undefined, ready: boolean, notReadyReason: string): Condition[] {
  let list = setCondition(current, { type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null });
  list = setCondition(list, { type: 'Initialized', status: 'True', lastProbeTime: null });
  const readiness: Condition = ready
    ? { type: 'Ready', status: 'True', lastProbeTime: null }
    : { type: 'Ready', status: 'False', reason: notReadyReason, lastProbeTime: null };
  list = setCondition(list, readiness);
  list = setCondition(list, { ...readiness, type: 'ContainersReady' });
  return setCondition(list, { type: 'PodScheduled', status: 'True', lastProbeTime: null });
}
