// What a pod's status says about a rollout, as pure functions: the state kubectl would show, the
// trouble it is in (if any), and whether that trouble will not heal by waiting (fail-fast). See
// docs/rollouts.md for the rules and why the thresholds are what they are.
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeObject } from './client';

/** The fail-fast thresholds (Deploy inputs failFast, failFastRestarts, failFastSeconds, failFastUnschedulableSeconds). */
export interface FailFastRules {
  enabled: boolean;
  /** A container restarted this many times and not ready (crash loop) ends the wait. */
  restarts: number;
  /** An image that cannot be pulled, or a missing ConfigMap/Secret reference, for this long ends the wait. */
  seconds: number;
  /** A pod the scheduler cannot place for this long ends the wait. */
  unschedulableSeconds: number;
}

export const FAIL_FAST_DEFAULTS = { failFast: 'true', failFastRestarts: '3', failFastSeconds: '30', failFastUnschedulableSeconds: '120' } as const;

export type Trouble =
  | { kind: 'pull'; container: string; image: string; message: string }
  | { kind: 'crash'; container: string; restarts: number; exitCode?: number; reason?: string }
  | { kind: 'config'; container: string; message: string }
  | { kind: 'image-name'; container: string; image: string; message: string }
  | { kind: 'unschedulable'; message: string };

export interface PodState {
  name: string;
  ready: boolean;
  /** What `kubectl get pods` shows as STATUS: Running, ContainerCreating, ImagePullBackOff, CrashLoopBackOff, ... */
  status: string;
  restarts: number;
  trouble?: Trouble;
}

/** The fields of a V1ContainerStatus the rules read (tests build them by hand). */
type ContainerStatus = {
  name: string;
  image?: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; running?: unknown; terminated?: { exitCode?: number; reason?: string } };
  lastState?: { terminated?: { exitCode?: number; reason?: string } };
};

const PULL_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff']);
const CONFIG_REASONS = new Set(['CreateContainerConfigError']);
const IMAGE_NAME_REASONS = new Set(['InvalidImageName']);

/** The trouble one container is in, or undefined when it is fine or just starting. */
export function containerTrouble(c: ContainerStatus, specImage = ''): Trouble | undefined {
  const waiting = c.state?.waiting;
  const image = c.image || specImage;
  if (waiting?.reason && PULL_REASONS.has(waiting.reason)) return { kind: 'pull', container: c.name, image, message: waiting.message ?? waiting.reason };
  if (waiting?.reason && CONFIG_REASONS.has(waiting.reason)) return { kind: 'config', container: c.name, message: waiting.message ?? waiting.reason };
  if (waiting?.reason && IMAGE_NAME_REASONS.has(waiting.reason)) return { kind: 'image-name', container: c.name, image, message: waiting.message ?? waiting.reason };
  const restarts = c.restartCount ?? 0;
  const down = waiting?.reason === 'CrashLoopBackOff' || c.state?.terminated !== undefined;
  if (!c.ready && restarts > 0 && down) {
    const last = c.state?.terminated ?? c.lastState?.terminated;
    return { kind: 'crash', container: c.name, restarts, exitCode: last?.exitCode, reason: last?.reason };
  }
  return undefined;
}

/** The pod as kubectl would summarise it, with the first trouble of its containers. */
export function podState(pod: KubeObject<V1Pod>): PodState {
  const name = pod.metadata.name;
  const statuses: ContainerStatus[] = pod.status?.containerStatuses ?? [];
  const specImages = new Map<string, string>((pod.spec?.containers ?? []).map((c) => [c.name, c.image ?? '']));
  const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  const conditions = pod.status?.conditions ?? [];
  const ready = pod.status?.phase === 'Running' && conditions.some((c) => c.type === 'Ready' && c.status === 'True');
  if (pod.metadata.deletionTimestamp) return { name, ready: false, status: 'Terminating', restarts };
  const scheduled = conditions.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return { name, ready, status: 'Pending (Unschedulable)', restarts, trouble: { kind: 'unschedulable', message: scheduled.message ?? 'Unschedulable' } };
  }
  let trouble: Trouble | undefined;
  for (const c of statuses) {
    trouble ??= containerTrouble(c, specImages.get(c.name));
  }
  const waitingReason = statuses.map((c) => c.state?.waiting?.reason).find((r) => r && r !== 'ContainerCreating');
  const terminatedReason = statuses.map((c) => c.state?.terminated?.reason).find(Boolean);
  const phase = String(pod.status?.phase ?? 'Pending');
  const status =
    waitingReason ?? terminatedReason ??
    (phase === 'Pending' ? (scheduled?.status === 'True' || pod.spec?.nodeName ? 'ContainerCreating' : 'Pending') : phase === 'Running' && !ready ? 'Running (not ready)' : phase);
  return { name, ready, status, restarts, trouble };
}

/** Per pod, the same trouble across polls: ErrImagePull and ImagePullBackOff are one trouble. */
export const troubleKey = (pod: string, t: Trouble) => `${pod}/${t.kind}/${'container' in t ? t.container : ''}`;

/**
 * How long each pod has been in its trouble, on the watcher's own clock (never the cluster's: the agent's
 * and the API server's clocks need not agree). A pod whose trouble clears starts again from zero.
 */
export class TroubleClock {
  private readonly since = new Map<string, number>();

  observe(states: readonly PodState[], nowMs: number): Map<string, number> {
    const seen = new Map<string, number>();
    for (const s of states) {
      if (!s.trouble) continue;
      const key = troubleKey(s.name, s.trouble);
      const first = this.since.get(key) ?? nowMs;
      seen.set(key, first);
    }
    this.since.clear();
    for (const [k, v] of seen) this.since.set(k, v);
    return new Map([...seen].map(([k, v]) => [k, nowMs - v]));
  }
}

/** The short reason in a pull error: `...: not found`, `...: 401 Unauthorized`. */
export function pullReason(message: string): string {
  const parts = message.split(': ').map((p) => p.trim()).filter(Boolean);
  const last = parts.at(-1) ?? message;
  return last.length > 0 && last.length <= 100 ? last : message;
}

/** One sentence: what is wrong with the pod. */
export function troubleSentence(pod: string, t: Trouble): string {
  switch (t.kind) {
    case 'pull':
      return `pod ${pod} cannot pull image ${t.image}: ${pullReason(t.message)}`;
    case 'crash': {
      const exit = t.exitCode !== undefined ? ` with code ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}` : t.reason ? ` (${t.reason})` : '';
      return `pod ${pod} keeps crashing: container ${t.container} exited${exit} and was restarted ${t.restarts} time${t.restarts === 1 ? '' : 's'}`;
    }
    case 'config':
      return `pod ${pod} cannot start container ${t.container}: ${t.message}`;
    case 'image-name':
      return `pod ${pod} has an invalid image name ${t.image}: ${t.message}`;
    case 'unschedulable':
      return `pod ${pod} cannot be scheduled: ${t.message}`;
  }
}

/**
 * Whether the trouble will not heal by waiting, given how long it has lasted (ms) and the rules: a
 * crash loop past `restarts`, an invalid image name at once, a pull failure or missing config reference
 * past `seconds`, an unschedulable pod past `unschedulableSeconds`.
 */
export function isHopeless(t: Trouble, lastedMs: number, rules: FailFastRules): boolean {
  if (!rules.enabled) return false;
  switch (t.kind) {
    case 'crash':
      return t.restarts >= rules.restarts;
    case 'image-name':
      return true;
    case 'pull':
    case 'config':
      return lastedMs >= rules.seconds * 1000;
    case 'unschedulable':
      return lastedMs >= rules.unschedulableSeconds * 1000;
  }
}

/** The first pod whose trouble will not heal, with the sentence saying why; undefined while there is hope. */
export function hopeless(states: readonly PodState[], lasted: Map<string, number>, rules: FailFastRules): { pod: string; trouble: Trouble; sentence: string } | undefined {
  for (const s of states) {
    if (!s.trouble) continue;
    if (isHopeless(s.trouble, lasted.get(troubleKey(s.name, s.trouble)) ?? 0, rules)) return { pod: s.name, trouble: s.trouble, sentence: troubleSentence(s.name, s.trouble) };
  }
  return undefined;
}
