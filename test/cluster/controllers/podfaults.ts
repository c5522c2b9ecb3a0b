// The ways a pod fails to start, as the kubelet reports them (container `state.waiting.reason`, restart
// counts, `lastState.terminated`, Warning events), on a compressed clock of the kubelet's own shape:
//
// - image pull failure (an image tag containing `missing`: the registry answers "not found"):
//   ErrImagePull, then ImagePullBackOff for a back-off that doubles, then ErrImagePull again...
// - crash on start (an image tag containing `crash`): the container runs half a second and exits with
//   code 1; restartCount grows, CrashLoopBackOff waits a back-off that doubles, lastState.terminated says why.
// - CreateContainerConfigError: an env/envFrom reference to a ConfigMap or Secret (or a key of one) that
//   does not exist and is not optional; retried every 2 s, so creating it lets the pod start.
// - InvalidImageName: an image reference that does not parse (upper case in the repository, say).
//
// The kubelet's back-offs start at 10 s and double up to 5 minutes; here they start at 2 s and double up
// to 60 s (BACKOFF), five times faster with the same shape.
import type { KubeObject, Store } from '../store';
import { now, resource, writeStatus, type WorkQueue } from './common';
import { recordEvent } from './events';

export const BACKOFF = { firstMs: 2000, maxMs: 60_000 };
/** How long a crashing container runs before it exits. */
export const CRASH_RUN_MS = 500;
/** How often the kubelet retries a container whose config reference is missing. */
export const CONFIG_RETRY_MS = 2000;
/** How long ErrImagePull shows before ImagePullBackOff. */
const PULL_MS = 1000;

export type Container = {
  name: string;
  image?: string;
  env?: Array<{ name: string; value?: string; valueFrom?: { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef } }>;
  envFrom?: Array<{ configMapRef?: { name: string; optional?: boolean }; secretRef?: { name: string; optional?: boolean } }>;
};
type KeyRef = { name: string; key: string; optional?: boolean };

const tagOf = (image: string | undefined) => {
  const last = (image ?? '').split('/').pop() ?? '';
  return last.includes('@') ? '' : last.split(':')[1] ?? '';
};

export const backoffMs = (n: number) => Math.min(BACKOFF.maxMs, BACKOFF.firstMs * 2 ** Math.max(0, n - 1));

/** The image as containerd resolves it: `calc:1` is `docker.io/library/calc:1`. */
export function fullImage(image: string): string {
  const first = image.split('/')[0] ?? '';
  const hasDomain = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasDomain) return image;
  return image.includes('/') ? `docker.io/${image}` : `docker.io/library/${image}`;
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REFERENCE = new RegExp(`^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?${COMPONENT}(?:/${COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`);

export const invalidImageName = (image: string | undefined) => !REFERENCE.test(image ?? '');
export const pullFails = (image: string | undefined) => tagOf(image).includes('missing');
export const crashes = (image: string | undefined) => tagOf(image).includes('crash');

/** `ready-after-20s` in the image tag: the container runs at once and turns Ready 20 s later. */
export function readyAfterMs(pod: KubeObject): number | undefined {
  for (const c of (pod.spec?.containers ?? []) as Container[]) {
    const m = /ready-after-(\d+)s/.exec(tagOf(c.image));
    if (m) return Number(m[1]) * 1000;
  }
  return undefined;
}

/** The kubelet's CreateContainerConfigError message for the container, or undefined when its references resolve. */
export function configError(store: Store, namespace: string | undefined, c: Container): string | undefined {
  const lookup = (kind: 'ConfigMap' | 'Secret', name: string) => store.get(resource(kind), namespace, name);
  const word = (kind: 'ConfigMap' | 'Secret') => (kind === 'ConfigMap' ? 'configmap' : 'secret');
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
    if (!ref || ref.optional) continue;
    const kind = e.valueFrom?.configMapKeyRef ? 'ConfigMap' : 'Secret';
    const object = lookup(kind, ref.name);
    if (!object) return `${word(kind)} "${ref.name}" not found`;
    if (!(ref.key in (object.data ?? {})) && !(ref.key in (object.stringData ?? {}))) return `couldn't find key ${ref.key} in ${kind} ${namespace}/${ref.name}`;
  }
  for (const e of c.envFrom ?? []) {
    const ref = e.configMapRef ?? e.secretRef;
    if (!ref || ref.optional) continue;
    const kind = e.configMapRef ? 'ConfigMap' : 'Secret';
    if (!lookup(kind, ref.name)) return `${word(kind)} "${ref.name}" not found`;
  }
  return undefined;
}

type Fault = { kind: 'invalid' | 'config' | 'pull' | 'crash'; container: Container; message?: string };

/** The first container that cannot run, and why; undefined when all of them can. */
export function faultOf(store: Store, pod: KubeObject): Fault | undefined {
  const containers = (pod.spec?.containers ?? []) as Container[];
  for (const c of containers) if (invalidImageName(c.image)) return { kind: 'invalid', container: c };
  for (const c of containers) {
    const message = configError(store, pod.metadata.namespace, c);
    if (message) return { kind: 'config', container: c, message };
  }
  for (const c of containers) if (pullFails(c.image)) return { kind: 'pull', container: c };
  for (const c of containers) if (crashes(c.image)) return { kind: 'crash', container: c };
  return undefined;
}

const notReady = [
  { type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null },
  { type: 'Initialized', status: 'True', lastProbeTime: null },
  { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastProbeTime: null },
  { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', lastProbeTime: null },
  { type: 'PodScheduled', status: 'True', lastProbeTime: null },
];

/** Drives a faulty pod through the kubelet's states until it is deleted (or, for a config error, fixed). */
export class PodFaults {
  constructor(
    private readonly store: Store,
    private readonly queue: WorkQueue,
    /** Starts a pod normally (a config reference that appeared). */
    private readonly startNormally: (namespace: string | undefined, name: string, uid: string) => void,
  ) {}

  /** Takes the pod over when one of its containers cannot run; false when it can start normally. */
  start(pod: KubeObject, ip: string): boolean {
    const fault = faultOf(this.store, pod);
    if (!fault) return false;
    const { namespace, name = '', uid = '' } = pod.metadata;
    if (fault.kind === 'crash') this.run(namespace, name, uid, ip, fault.container.name, 0);
    else if (fault.kind === 'pull') this.pull(namespace, name, uid, fault.container.name, 1);
    else if (fault.kind === 'config') this.config(namespace, name, uid);
    else this.waiting(pod, fault.container, 'InvalidImageName', `Failed to apply default image tag "${fault.container.image}": couldn't parse image name "${fault.container.image}": invalid reference format`, [
      ['Warning', 'InspectFailed', `Failed to apply default image tag "${fault.container.image}": couldn't parse image name "${fault.container.image}": invalid reference format`],
      ['Warning', 'Failed', 'Error: InvalidImageName'],
    ]);
    return true;
  }

  private fresh(namespace: string | undefined, name: string, uid: string): KubeObject | undefined {
    const pod = this.store.get(resource('Pod'), namespace, name);
    return pod && pod.metadata.uid === uid && !pod.metadata.deletionTimestamp ? pod : undefined;
  }

  private containerOf(pod: KubeObject, name: string): Container {
    return ((pod.spec?.containers ?? []) as Container[]).find((c) => c.name === name) ?? { name };
  }

  /** Writes the pod Pending with the container waiting for `reason`, and records the events. */
  private waiting(pod: KubeObject, c: Container, reason: string, message: string, events: Array<['Normal' | 'Warning', string, string]>): void {
    for (const [type, r, m] of events) recordEvent(this.store, pod, type, r, m, 'kubelet', `spec.containers{${c.name}}`);
    writeStatus(this.store, resource('Pod'), pod, {
      ...pod.status,
      phase: 'Pending',
      conditions: notReady,
      containerStatuses: this.statuses(pod, c.name, { ready: false, started: false, restartCount: 0, state: { waiting: { reason, message } } }),
    });
  }

  /** Every container's status: the faulty one as given, the others running and ready. */
  private statuses(pod: KubeObject, faulty: string, status: Record<string, unknown>): unknown[] {
    return ((pod.spec?.containers ?? []) as Container[]).map((c, i) => {
      const old = ((pod.status?.containerStatuses ?? []) as Array<{ name: string; state?: unknown }>).find((s) => s.name === c.name);
      const base = { name: c.name, image: c.image, imageID: '' };
      if (c.name === faulty) return { ...base, ...status };
      return { ...base, containerID: `containerd://${(pod.metadata.uid ?? '').replace(/-/g, '')}${i}`, ready: true, started: true, restartCount: 0, state: old?.state ?? { running: { startedAt: now() } } };
    });
  }

  private pull(namespace: string | undefined, name: string, uid: string, container: string, attempt: number): void {
    const pod = this.fresh(namespace, name, uid);
    if (!pod) return;
    const c = this.containerOf(pod, container);
    const image = c.image ?? '';
    const full = fullImage(image);
    const error = `rpc error: code = NotFound desc = failed to pull and unpack image "${full}": failed to resolve reference "${full}": ${full}: not found`;
    this.waiting(pod, c, 'ErrImagePull', error, [
      ['Normal', 'Pulling', `Pulling image "${image}"`],
      ['Warning', 'Failed', `Failed to pull image "${image}": ${error}`],
      ['Warning', 'Failed', 'Error: ErrImagePull'],
    ]);
    this.queue.after(PULL_MS, `pod-fault/${namespace}/${name}`, () => {
      const again = this.fresh(namespace, name, uid);
      if (!again) return;
      this.waiting(again, c, 'ImagePullBackOff', `Back-off pulling image "${image}"`, [
        ['Normal', 'BackOff', `Back-off pulling image "${image}"`],
        ['Warning', 'Failed', 'Error: ImagePullBackOff'],
      ]);
      this.queue.after(backoffMs(attempt), `pod-fault/${namespace}/${name}`, () => this.pull(namespace, name, uid, container, attempt + 1));
    });
  }

  private config(namespace: string | undefined, name: string, uid: string): void {
    const pod = this.fresh(namespace, name, uid);
    if (!pod) return;
    const fault = faultOf(this.store, pod);
    if (fault?.kind !== 'config') {
      // The reference resolves now: the kubelet starts the pod (or finds its next problem).
      this.startNormally(namespace, name, uid);
      return;
    }
    this.waiting(pod, fault.container, 'CreateContainerConfigError', fault.message ?? '', [['Warning', 'Failed', `Error: ${fault.message}`]]);
    this.queue.after(CONFIG_RETRY_MS, `pod-fault/${namespace}/${name}`, () => this.config(namespace, name, uid));
  }

  /** The container starts, runs CRASH_RUN_MS, exits 1, and waits a back-off before the next start. */
  private run(namespace: string | undefined, name: string, uid: string, ip: string, container: string, restarts: number): void {
    const pod = this.fresh(namespace, name, uid);
    if (!pod) return;
    const c = this.containerOf(pod, container);
    const containerID = (n: number) => `containerd://${uid.replace(/-/g, '')}${n}`;
    const startedAt = now();
    const previous = ((pod.status?.containerStatuses ?? []) as Array<{ name: string; lastState?: unknown }>).find((s) => s.name === container)?.lastState ?? {};
    if (restarts === 0) recordEvent(this.store, pod, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`, 'kubelet', `spec.containers{${container}}`);
    recordEvent(this.store, pod, 'Normal', 'Created', `Created container: ${container}`, 'kubelet', `spec.containers{${container}}`);
    recordEvent(this.store, pod, 'Normal', 'Started', `Started container ${container}`, 'kubelet', `spec.containers{${container}}`);
    writeStatus(this.store, resource('Pod'), pod, {
      ...pod.status,
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: notReady,
      containerStatuses: this.statuses(pod, container, {
        imageID: `${fullImage(c.image ?? '')}@sha256:${'0'.repeat(64)}`, containerID: containerID(restarts), ready: false, started: true, restartCount: restarts,
        state: { running: { startedAt } }, lastState: previous,
      }),
    });
    this.queue.after(CRASH_RUN_MS, `pod-fault/${namespace}/${name}`, () => {
      const running = this.fresh(namespace, name, uid);
      if (!running) return;
      const backoff = backoffMs(restarts + 1);
      recordEvent(this.store, running, 'Warning', 'BackOff', `Back-off restarting failed container ${container} in pod ${name}_${namespace}(${uid})`, 'kubelet', `spec.containers{${container}}`);
      writeStatus(this.store, resource('Pod'), running, {
        ...running.status,
        phase: 'Running',
        conditions: notReady,
        containerStatuses: this.statuses(running, container, {
          imageID: `${fullImage(c.image ?? '')}@sha256:${'0'.repeat(64)}`, containerID: containerID(restarts), ready: false, started: false, restartCount: restarts + 1,
          state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(backoff / 1000)}s restarting failed container=${container} pod=${name}_${namespace}(${uid})` } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt, finishedAt: now(), containerID: containerID(restarts) } },
        }),
      });
      this.queue.after(backoff, `pod-fault/${namespace}/${name}`, () => this.run(namespace, name, uid, ip, container, restarts + 1));
    });
  }
}
