// A helm wait that explains itself: while helm waits for a slot's release, the slot's workloads and pods
// are read every POLL_MS through the task's Kube client; a progress line goes to the log every
// PROGRESS_MS; a pod in a state that will not heal by waiting (kubernetes/pod-state.ts) stops helm at once; and when
// the wait fails either way, the pods' states, the slot's recent Warning events and the failing
// containers' last log lines are gathered for the log, under one sentence saying what went wrong.
import type { CoreV1Event, V1Deployment, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { Kube, KubeObject } from './client';
import { type FailFastRules, hopeless, type PodState, podState, type Trouble, TroubleClock, troubleSentence } from './pod-state';
import { readReleases } from '../helm/storage';
import type { SlotLocation } from '../core/model';

/** Progress and diagnostics only: for helm waits on a slot that may serve users (a chart-owned re-render). */
export const NO_FAIL_FAST: FailFastRules = { enabled: false, restarts: 1, seconds: 1, unschedulableSeconds: 1 };

export const POLL_MS = 2000;
export const PROGRESS_MS = 10_000;
const LOG_LINES = 20;
const MAX_EVENTS = 10;
const MAX_LOGS = 3;

export interface RolloutTarget {
  location: SlotLocation;
  /** The label every pod of the release carries: podSelectorLabel=release. */
  podSelector: string;
}

export interface WatchOptions {
  kube: Kube;
  target: RolloutTarget;
  rules: FailFastRules;
  info(line: string): void;
  /** A read of the cluster failed: the watcher keeps going (helm's own wait decides), this says so in debug. */
  debug?(line: string): void;
  /** The helm timeout, for the message when fail-fast stopped it early. */
  helmTimeout: string;
  pollMs?: number;
  progressMs?: number;
}

/** A rollout failed; `sentence` says what went wrong, `details` are the lines for the collapsed log group. */
export class RolloutError extends Error {
  override name = 'RolloutError';
  constructor(
    message: string,
    readonly sentence: string,
    readonly details: string[],
    readonly stoppedEarly: boolean,
  ) {
    super(message);
  }
}

interface Snapshot {
  workloads: Array<KubeObject<V1Deployment> | KubeObject<V1StatefulSet>>;
  pods: Array<KubeObject<V1Pod>>;
}

const RELEASE_ANNOTATION = 'meta.helm.sh/release-name';

async function snapshot(kube: Kube, target: RolloutTarget): Promise<Snapshot> {
  const { namespace, release } = target.location;
  const ours = (o: KubeObject) => o.metadata.annotations?.[RELEASE_ANNOTATION] === release;
  // The workloads only make the progress line: an identity that may not list them still gets fail-fast.
  const [deployments, statefulSets, pods] = await Promise.all([
    kube.list<V1Deployment>('apps/v1', 'Deployment', namespace).catch(() => []),
    kube.list<V1StatefulSet>('apps/v1', 'StatefulSet', namespace).catch(() => []),
    kube.list<V1Pod>('v1', 'Pod', namespace, `${target.podSelector}=${release}`),
  ]);
  return { workloads: [...deployments, ...statefulSets].filter(ours), pods };
}

/** "[20 s] calc-green: 1/3 ready; waiting: calc-green-7d9-x ContainerCreating" */
export function progressLine(release: string, s: Snapshot, states: PodState[], elapsedMs: number): string {
  const workloads = s.workloads.map((w) => `${w.metadata.name}: ${Number(w.status?.readyReplicas ?? 0)}/${Number(w.spec?.replicas ?? 1)} ready`);
  const waiting = states.filter((p) => !p.ready);
  const shown = waiting.slice(0, 3).map((p) => `${p.name} ${p.status}${p.restarts ? ` (${p.restarts} restart${p.restarts === 1 ? '' : 's'})` : ''}`);
  const more = waiting.length > 3 ? ` and ${waiting.length - 3} more` : '';
  const head = workloads.length ? workloads.join(', ') : `${release}: no Deployment or StatefulSet yet`;
  return `  [${Math.round(elapsedMs / 1000)} s] ${head}${shown.length ? `; waiting: ${shown.join(', ')}${more}` : ''}`;
}

/**
 * Runs `helm(signal)` (a helm command with --wait on the target's release) while watching the target.
 * Resolves when helm succeeds; rejects with a RolloutError when helm failed or fail-fast stopped it.
 */
export async function watchRollout(o: WatchOptions, helm: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const clock = new TroubleClock();
  const before = new Set<string>();
  let verdict: { pod: string; trouble: Trouble; sentence: string } | undefined;
  let done = false;
  const startedAt = Date.now();
  let lastProgress = startedAt;
  const pollMs = o.pollMs ?? POLL_MS;
  const progressMs = o.progressMs ?? PROGRESS_MS;

  // Pods that ran before helm started are an earlier revision's: shown, never a reason to stop helm.
  try {
    for (const p of (await snapshot(o.kube, o.target)).pods) before.add(p.metadata.uid ?? p.metadata.name);
  } catch (err) {
    o.debug?.(`rollout watch: ${(err as Error).message}`);
  }

  // The wait between polls ends early when helm does, so watching never delays the task.
  let wake = () => {};
  const pause = () => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, pollMs);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  const poll = async () => {
    while (!done) {
      await pause();
      if (done) return;
      try {
        const s = await snapshot(o.kube, o.target);
        const states = s.pods.map(podState);
        const fresh = s.pods.filter((p) => !before.has(p.metadata.uid ?? p.metadata.name)).map(podState);
        const found = hopeless(fresh, clock.observe(fresh, Date.now()), o.rules);
        if (found && !done) {
          verdict = found;
          o.info(`  ${capital(found.sentence)}: this will not heal by waiting; stopping helm (fail-fast).`);
          controller.abort();
          return;
        }
        if (Date.now() - lastProgress >= progressMs) {
          lastProgress = Date.now();
          o.info(progressLine(o.target.location.release, s, states, Date.now() - startedAt));
        }
      } catch (err) {
        o.debug?.(`rollout watch: ${(err as Error).message}`);
      }
    }
  };

  const watching = poll();
  let failure: unknown;
  try {
    await helm(controller.signal);
  } catch (err) {
    failure = err;
  } finally {
    done = true;
    wake();
  }
  await watching;
  if (failure === undefined) return;
  const helmMessage = (failure as Error).message ?? String(failure);
  const { sentence, details } = await diagnose(o.kube, o.target, verdict);
  if (verdict) {
    const state = await releaseStatus(o.kube, o.target.location);
    const why = sentence ?? verdict.sentence;
    throw new RolloutError(
      `${capital(why)}. Deploy stopped helm instead of waiting up to ${o.helmTimeout} (fail-fast); release ${o.target.location.release} is ${state}.`,
      why,
      [`Release ${o.target.location.release} after helm stopped: ${state}.`, ...details],
      true,
    );
  }
  throw new RolloutError(sentence ? `${helmMessage.replace(/\.$/, '')}. ${capital(sentence)}.` : helmMessage, sentence ?? helmMessage, details, false);
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

async function releaseStatus(kube: Kube, location: SlotLocation): Promise<string> {
  try {
    const release = (await readReleases(kube, [location])).get(location);
    return release ? `${release.status} (revision ${release.revision})` : 'not installed';
  } catch (err) {
    return `unknown (${(err as Error).message})`;
  }
}

/** A timestamp as RFC 3339 text (the wire gives strings; a Date if one ever went through client-node's serializer). */
const iso = (t: unknown): string => (t instanceof Date ? t.toISOString() : typeof t === 'string' ? t : '');
const time = (t: unknown) => iso(t).replace(/^.*T/, '').replace(/(\.\d+)?Z$/, '');

/** The lines of the diagnostics group, and the sentence for the one line on top (undefined: nothing found). */
export async function diagnose(kube: Kube, target: RolloutTarget, verdict?: { pod: string; trouble: Trouble; sentence: string }): Promise<{ sentence?: string; details: string[] }> {
  const details: string[] = [];
  let s: Snapshot;
  let events: Array<KubeObject<CoreV1Event>> = [];
  try {
    s = await snapshot(kube, target);
  } catch (err) {
    return { sentence: verdict?.sentence, details: [`Could not read the slot's pods: ${(err as Error).message}`] };
  }
  try {
    events = await kube.list<CoreV1Event>('v1', 'Event', target.location.namespace);
  } catch (err) {
    details.push(`Could not read the namespace's events: ${(err as Error).message}`);
  }
  const states = s.pods.map(podState);
  const names = new Set(states.map((p) => p.name));
  const warnings = events
    .filter((e) => e.type === 'Warning' && (names.has(e.involvedObject.name ?? '') || (e.involvedObject.name ?? '').startsWith(target.location.release)))
    .sort((a, b) => iso(b.lastTimestamp ?? b.eventTime).localeCompare(iso(a.lastTimestamp ?? a.eventTime)))
    .slice(0, MAX_EVENTS);

  details.push(`Pods of ${target.location.release} (${target.podSelector}=${target.location.release}) in namespace ${target.location.namespace}:`);
  if (!states.length) details.push('  none');
  for (const p of states) {
    const why = p.trouble ? ` - ${troubleSentence(p.name, p.trouble).replace(/^pod \S+ /, '')}` : '';
    details.push(`  ${p.name}  ${p.ready ? 'ready' : 'not ready'}  ${p.status}  restarts ${p.restarts}${why}`);
  }
  details.push(`Recent Warning events (${warnings.length}):`);
  if (!warnings.length) details.push('  none');
  for (const e of warnings) {
    const count = Number(e.count ?? 1) > 1 ? ` (x${e.count})` : '';
    details.push(`  ${time(e.lastTimestamp ?? e.eventTime)} ${e.reason} ${String(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name}${count}: ${e.message}`);
  }

  // The failing containers' last lines: a crashed one's previous run, a running-but-not-ready one's current.
  const failing = s.pods
    .map((pod) => ({ pod, state: podState(pod) }))
    .filter(({ state }) => !state.ready && state.trouble?.kind !== 'pull' && state.trouble?.kind !== 'config' && state.trouble?.kind !== 'unschedulable' && state.trouble?.kind !== 'image-name')
    .filter(({ state }) => state.trouble?.kind === 'crash' || state.status === 'Running (not ready)')
    .sort((a, b) => Number(b.state.name === verdict?.pod) - Number(a.state.name === verdict?.pod))
    .slice(0, MAX_LOGS);
  let lastLine: string | undefined;
  for (const { pod, state } of failing) {
    const container = state.trouble && 'container' in state.trouble ? state.trouble.container : pod.spec?.containers[0]?.name;
    const previous = state.trouble?.kind === 'crash';
    try {
      const text = await kube.podLog(target.location.namespace, pod.metadata.name, container, LOG_LINES, previous);
      const lines = text.split(/\r?\n/).filter((l) => l.trim());
      details.push(`Last ${lines.length} log line${lines.length === 1 ? '' : 's'} of container ${container} of pod ${pod.metadata.name}${previous ? ' (the run that crashed)' : ''}:`);
      for (const l of lines) details.push(`  ${l}`);
      if (state.name === verdict?.pod || !lastLine) lastLine = lines.at(-1);
    } catch (err) {
      details.push(`No log of container ${container} of pod ${pod.metadata.name}: ${(err as Error).message}`);
    }
  }

  const first = states.find((p) => p.trouble);
  const culprit = verdict ?? (first?.trouble ? { pod: first.name, trouble: first.trouble } : undefined);
  let sentence = culprit && troubleSentence(culprit.pod, culprit.trouble);
  if (culprit?.trouble.kind === 'pull' && /^Back-off/i.test(culprit.trouble.message)) {
    // ImagePullBackOff says only "Back-off pulling image": the registry's answer is in the Failed event.
    const failed = warnings.find((e) => e.involvedObject?.name === culprit.pod && /^Failed to pull image/.test(String(e.message)));
    if (failed) sentence = troubleSentence(culprit.pod, { ...culprit.trouble, message: String(failed.message) });
  }
  if (!sentence) {
    const notReady = states.find((p) => !p.ready && p.status !== 'Terminating');
    if (notReady) {
      const probe = warnings.find((e) => e.involvedObject?.name === notReady.name && e.reason === 'Unhealthy');
      sentence = `pod ${notReady.name} is ${notReady.status}${probe ? ` (${probe.message})` : ''}`;
    }
  }
  if (sentence && lastLine && culprit?.trouble.kind === 'crash') sentence += `; its last log line: ${lastLine}`;
  return { sentence, details };
}

/** The diagnostics as the log shows them: a collapsed group titled with the sentence. */
export function printDiagnostics(err: RolloutError, print: (line: string) => void = console.log): void {
  print(`##[group]Why the rollout failed: ${err.sentence}`);
  for (const line of err.details) print(line);
  print('##[endgroup]');
}
