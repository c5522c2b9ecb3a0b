// The kubelet of the local cluster: schedules every pod onto one node, then after the ready delay either
// runs it (Ready, or never Ready on demand) or, for pods that run to completion (helm test hooks, Job
// pods, restartPolicy Never/OnFailure), ends it Succeeded or Failed.
import type { KubeObject, Store } from '../store';
import { controllerOf, now, resource, setCondition, writeStatus, type Condition, type WorkQueue } from './common';

export const NEVER_READY_ANNOTATION = 'bluegreen.test/never-ready';
export const NODE_NAME = 'aks-nodepool1-00000000-vmss000000';
const HOST_IP = '10.224.0.4';

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

  constructor(
    private readonly store: Store,
    private readonly queue: WorkQueue,
    readyDelayMs: number,
  ) {
    this.readyDelay = { ms: readyDelayMs };
  }

  /** Called for every pod event; acts on new pods only. */
  observe(type: string, pod: KubeObject): void {
    if (type !== 'ADDED' || pod.spec?.nodeName) return;
    const { namespace, name } = pod.metadata;
    this.queue.add(`pod-schedule/${namespace}/${name}`, () => this.schedule(namespace, name ?? ''));
    this.queue.after(this.readyDelay.ms, `pod-start/${namespace}/${name}`, () => this.start(namespace, name ?? '', pod.metadata.uid ?? ''));
  }

  private schedule(namespace: string | undefined, name: string): void {
    const pods = resource('Pod');
    const pod = this.store.get(pods, namespace, name);
    if (!pod || pod.spec?.nodeName) return;
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
  }

  private start(namespace: string | undefined, name: string, uid: string): void {
    const pods = resource('Pod');
    this.schedule(namespace, name);
    const pod = this.store.get(pods, namespace, name);
    if (!pod || pod.metadata.uid !== uid || pod.metadata.deletionTimestamp) return;
    const ip = `10.244.${Math.floor(this.nextIp / 250)}.${(this.nextIp % 250) + 2}`;
    this.nextIp += 1;
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
    const ready = !isNeverReady(pod);
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
