// Tier 2 of the history tests: one random lifecycle history played on the emulated cluster (the bundled
// tasks through the agent emulator, real helm, the data-plane emulator with its non-zero delays, the
// traffic probe), with the invariants of tier 1 checked on the real thing after every command:
// 1. no failed production request, except while production is a version that went live broken by a first
//    deploy, within a confirmation rollback (and users are then back on the previous version), or while no
//    production route exists (before the first go-live, or after someone deleted it);
// 2. users only ever get answers from a version that passed validation (or went live as a first deploy);
// 3. no task writes the helm release that serves production (cluster-watch.ts, at the instant of the write);
// 4. every task ends, Succeeded or Failed with a message.
import { EventEmitter } from 'node:events';
import type { TaskRun } from '../cluster/agent';
import { isPodReady, setCondition } from '../cluster/controllers/common';
import type { HelmMajor } from '../cluster/helm';
import type { ProbeRecord } from '../cluster/probe';
import { type KubeObject, RESOURCES, type Store } from '../cluster/store';
import { must } from '../must';
import type { Faults, WriteMatch } from '../cluster/apiserver/faults';
import { crashAfter, type CrashFaults } from '../integration/crash';
import { type Env, type EnvOptions, startEnv, type TaskName, version } from '../integration/env';
import { APP, ClusterWatch } from './cluster-watch';

/** Runs a history can use: at most one new run per command (a history has 3 or 4 commands). */
export const RUNS = 4;
/** good: answers 200 with its version; fail: its pods answer 500; neverReady: its pods never turn Ready (helm --wait fails). */
export type Quality = 'good' | 'fail' | 'neverReady';
/** identify/status: staging checks (the version, or a 200); production: only a production check, so validation proves the
 * route alone and a version answering 500 is caught by OnSuccess's confirmation, which rolls it back. */
export type ChecksStyle = 'identify' | 'status' | 'production';
export type Slot = 'blue' | 'green';

/** Kill a hook right after its `after`-th API write (counting only writes to `write`, when given). */
export interface Kill {
  hook: TaskName;
  after: number;
  write?: { resource: string; name: string };
}

export type Command =
  /** A deployment job: Deploy, RouteTraffic, then OnSuccess, or OnFailure when a hook failed; `until` stops it early
   * (without a failure); `kill` kills one of its hooks right after that many API writes, and the job runs it again. */
  | { kind: 'job'; run: number; until: 'Deploy' | 'RouteTraffic' | 'end'; percent: number; kill?: Kill }
  /** One hook of a run on its own (a retry from the pipeline UI). */
  | { kind: 'hook'; task: TaskName; run: number }
  /** A hook killed (with its helm child) right after its `after`-th API write, then run again. */
  | { kind: 'crash'; task: TaskName; run: number; after: number; write?: Kill['write'] }
  /** One pod of the slot turns not ready for `ms` (pod), or the slot scales up by a pod that takes `ms` to turn ready (scale). */
  | { kind: 'blip'; slot: Slot; mode: 'pod' | 'scale'; ms: number }
  /** Somebody deletes the primary Ingress (managed routing): users get 404 until a Deploy repairs it. */
  | { kind: 'drift' };

/** What a pipeline run deploys (version `<run>.0.0`) and which checks its hooks are given. */
export interface RunSpec {
  quality: Quality;
  checks: ChecksStyle;
}

export interface ClusterHistory {
  /** Run r is runs[r - 1]. */
  runs: RunSpec[];
  commands: Command[];
}

export interface Played {
  violations: string[];
  /** What happened, one line per task, for the report of a failing history. */
  log: string[];
  ms: number;
  /** Failed production requests the invariants allowed, by why. */
  tolerated: Record<string, number>;
}

const versionOf = (run: number) => `${run}.0.0`;
/** A task that runs longer than this hangs (the longest honest task here takes well under a minute). */
const TASK_TIMEOUT_MS = 150_000;
/** How long the probe watches users after a confirmation rollback. */
const AFTER_ROLLBACK_MS = 1500;

const writeName = (k: Omit<Kill, 'hook'>) => (k.write ? `its write ${k.after} to ${k.write.resource}/${k.write.name}` : `write ${k.after}`);

/** The API server's faults, arming crashes on matching writes only (crashAfter counts every write). */
class MatchingFaults extends EventEmitter implements CrashFaults {
  private readonly forward = (event: unknown) => this.emit('crash', event);
  constructor(
    private readonly faults: Faults,
    private readonly match: WriteMatch,
  ) {
    super();
    faults.on('crash', this.forward);
  }

  crashAfterWrite(n: number): void {
    this.faults.crashAfterWrite(n, this.match);
  }

  clear(): void {
    this.faults.off('crash', this.forward);
    this.faults.clear();
  }
}

export function describeCommand(c: Command, h: ClusterHistory): string {
  const v = (run: number) => `run ${run} (${versionOf(run)}, ${h.runs[run - 1]?.quality}, ${h.runs[run - 1]?.checks} checks)`;
  switch (c.kind) {
    case 'job':
      return `job of ${v(c.run)}${c.until === 'end' ? '' : ` until ${c.until}`}${c.percent ? `, ${c.percent} % of users` : ''}${c.kill ? `, ${c.kill.hook} killed after ${writeName(c.kill)} and run again` : ''}`;
    case 'hook':
      return `${c.task} of ${v(c.run)} alone`;
    case 'crash':
      return `${c.task} of ${v(c.run)} killed after ${writeName(c)}, then run again`;
    case 'blip':
      return c.mode === 'pod' ? `one pod of slot ${c.slot} not ready for ${c.ms} ms` : `slot ${c.slot} scaled up by a pod ready after ${c.ms} ms`;
    case 'drift':
      return `primary Ingress ${APP} deleted`;
  }
}

export function describeHistory(h: ClusterHistory): string {
  return [...h.commands.map((c, i) => `#${i + 1} ${describeCommand(c, h)}`), `replay: CLUSTER_HISTORY='${JSON.stringify(h)}'`].join('\n');
}

function inputsFor(h: ClusterHistory, task: TaskName, run: number, percent = 0): Record<string, string> {
  const v = versionOf(run);
  const { quality, checks: style } = must(h.runs[run - 1], `run ${run} in the history`);
  const checks = { identify: `GET /ping expect 200 contains "version":"${v}"`, status: 'GET /ping expect 200', production: 'production: GET /ping expect 200' }[style];
  switch (task) {
    case 'Deploy':
      // A never-ready version fails helm's --wait after 5 s (a shorter wait than version()'s keeps histories short).
      return quality === 'neverReady' ? { ...version(v, { neverReady: true }), timeout: '5s' } : version(v, { fail: quality === 'fail' });
    case 'RouteTraffic':
      // Route-only validation proves nothing about answers: no real user goes there on its strength.
      return { checks, trafficPercent: String(style === 'production' ? 0 : percent) };
    case 'OnSuccess':
      return { checks };
    case 'OnFailure':
    case 'Rollback':
      return {};
  }
}

/** Readiness blips, healed by a timer (cancelled when the history ends). */
class Blips {
  private readonly timers = new Set<NodeJS.Timeout>();
  constructor(private readonly env: Env) {}

  start(slot: Slot, mode: 'pod' | 'scale', ms: number): string {
    const store = this.env.cluster.store;
    const release = `${APP}-${slot}`;
    if (mode === 'scale') {
      const d = store.ofKind('Deployment', APP).find((x) => x.metadata.labels?.['app.kubernetes.io/instance'] === release);
      if (!d) return `slot ${slot} has no Deployment`;
      this.env.cluster.setReadyDelay(ms);
      d.spec.replicas = Number(d.spec.replicas ?? 1) + 1;
      d.metadata.generation = Number(d.metadata.generation ?? 1) + 1;
      store.put(kind('Deployment'), d);
      this.later(ms, () => this.env.cluster.setReadyDelay(50));
      return `${d.metadata.name} scaled to ${d.spec.replicas}`;
    }
    const pod = store.ofKind('Pod', APP).find((p) => p.metadata.labels?.['app.kubernetes.io/instance'] === release && isPodReady(p) && !p.metadata.deletionTimestamp);
    if (!pod) return `slot ${slot} has no ready pod`;
    setReady(store, pod, false);
    this.later(ms, () => {
      const now = store.get(kind('Pod'), APP, pod.metadata.name ?? '');
      if (now && now.metadata.uid === pod.metadata.uid) setReady(store, now, true);
    });
    return `pod ${pod.metadata.name} not ready`;
  }

  private later(ms: number, heal: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      heal();
    }, ms);
    this.timers.add(timer);
  }

  cancel(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.env.cluster.setReadyDelay(50);
  }
}

const kind = (k: string) => RESOURCES.find((r) => r.kind === k)!;

/** A readiness probe failing (or passing again): the kubelet's Ready conditions and container status. */
function setReady(store: Store, pod: KubeObject, ready: boolean): void {
  const status = ready ? ('True' as const) : ('False' as const);
  let conditions = setCondition(pod.status?.conditions, { type: 'Ready', status, ...(ready ? {} : { reason: 'ContainersNotReady' }), lastProbeTime: null });
  conditions = setCondition(conditions, { type: 'ContainersReady', status, ...(ready ? {} : { reason: 'ContainersNotReady' }), lastProbeTime: null });
  const containerStatuses = (pod.status?.containerStatuses ?? []).map((c: Record<string, unknown>) => ({ ...c, ready }));
  store.put(kind('Pod'), { ...pod, status: { ...pod.status, conditions, containerStatuses } });
}

/** Plays one history on a fresh emulated cluster; returns the invariant violations it found. */
export async function play(h: ClusterHistory, helm: HelmMajor, options: Partial<EnvOptions> = {}): Promise<Played> {
  const started = Date.now();
  const env = await startEnv({ helm, router: 'nginx', ownership: 'managed', ...options, inputs: { checkTimeout: '4', ...options.inputs } });
  const watch = new ClusterWatch(env.cluster.store);
  const log: string[] = [];
  const found = new Map<string, number>();
  const violation = (what: string) => found.set(what, (found.get(what) ?? 0) + 1);
  watch.startPhase('start', 'start');
  const t0 = Date.now();
  const probe = env.probe();
  const blips = new Blips(env);
  const judged = new Set<number>();

  /** Invariants 1 and 2 on every probe answer not judged yet. */
  const judge = (records: readonly ProbeRecord[]) => {
    for (const r of records) {
      if (judged.has(r.seq)) continue;
      judged.add(r.seq);
      for (const v of watch.judge(r, t0)) violation(v);
    }
  };

  /** Invariant 4: the task ended by itself, with a result, and a message when it failed. */
  const ended = (label: string, run: TaskRun) => {
    log.push(`${label}: ${run.outcome}${run.timedOut ? ' (timed out)' : ''} ${run.message}`.trim());
    if (run.timedOut) violation(`${label} hung: killed after ${TASK_TIMEOUT_MS / 1000} s`);
    else if (!run.result) violation(`${label} ended without reporting a result (exit ${run.exitCode ?? run.signal})`);
    else if (run.outcome === 'Failed' && !run.message.trim()) violation(`${label} failed without a message`);
    else if (run.outcome !== run.result) violation(`${label} reported ${run.result} but exited with ${run.exitCode ?? run.signal}`);
  };

  const phase = (name: string, group: string) => {
    const info = watch.startPhase(name, group);
    probe.mark(name);
    return info;
  };

  /** After a group that rolled a promotion back: users must be back on the previous version. */
  const afterRollback = async (group: string, before: number) => {
    const rollback = watch.rollbacksOf(group).slice(before).at(-1);
    if (!rollback) return;
    phase(`${group} after the rollback of ${rollback.version}`, `${group} after`).expect = rollback.from;
    await new Promise((r) => setTimeout(r, AFTER_ROLLBACK_MS));
  };

  /** Runs one hook of a run; with `killAfter`, kills it right after that many API writes, then runs it again. */
  const hook = async (group: string, name: TaskName, run: number, inputs: Record<string, string>, kill?: Omit<Kill, 'hook'>): Promise<TaskRun> => {
    const label = `${group} ${name} of run ${run}`;
    const rollbacks = watch.rollbacksOf(group).length;
    if (kill) {
      phase(`${label} killed after ${writeName(kill)}`, group);
      watch.actor = label;
      const faults = kill.write ? new MatchingFaults(env.cluster.faults, kill.write) : env.cluster.faults;
      const killed = await crashAfter(env, name, run, inputs, kill.after, faults);
      if (killed.crash) log.push(`${label}: killed after ${killed.crash.method} ${killed.crash.path}`);
      else ended(`${label} (made fewer than ${kill.after} such writes)`, killed.run);
    }
    const again = kill ? `${label} (re-run)` : label;
    phase(again, group);
    watch.actor = again;
    const result = await env.task(name, run, inputs, { timeoutMs: TASK_TIMEOUT_MS });
    watch.actor = 'the harness';
    ended(again, result);
    await afterRollback(group, rollbacks);
    return result;
  };

  const command = async (i: number, c: Command) => {
    const group = `#${i + 1}`;
    switch (c.kind) {
      case 'job': {
        // The job's hooks in pipeline order; each is its own group (a rollback belongs to the hook that made it).
        const step = (n: number, name: TaskName) => hook(`${group}.${n}`, name, c.run, inputsFor(h, name, c.run, c.percent), c.kill?.hook === name ? c.kill : undefined);
        let failed = (await step(1, 'Deploy')).outcome === 'Failed';
        if (c.until === 'Deploy') return;
        if (!failed) failed = (await step(2, 'RouteTraffic')).outcome === 'Failed';
        if (c.until === 'RouteTraffic' && !failed) return;
        if (!failed) failed = (await step(3, 'OnSuccess')).outcome === 'Failed';
        if (failed) await step(4, 'OnFailure');
        return;
      }
      case 'hook':
        await hook(group, c.task, c.run, inputsFor(h, c.task, c.run));
        return;
      case 'crash':
        await hook(group, c.task, c.run, inputsFor(h, c.task, c.run), c);
        return;
      case 'blip':
        phase(`${group} blip of slot ${c.slot}`, group);
        log.push(`${group} blip: ${blips.start(c.slot, c.mode, c.ms)}`);
        return;
      case 'drift':
        phase(`${group} primary Ingress deleted`, group);
        log.push(`${group} drift: ${env.cluster.store.remove(kind('Ingress'), APP, APP) ? 'Ingress deleted' : 'no Ingress to delete'}`);
        return;
    }
  };

  try {
    for (const [i, c] of h.commands.entries()) {
      await command(i, c);
      judge(probe.records);
      if (found.size || watch.violations.length) break;
    }
  } finally {
    blips.cancel();
    const result = await probe.stop();
    judge(result.records);
    watch.close();
    await env.close();
  }
  const violations = [...watch.violations, ...[...found].map(([what, n]) => (n > 1 ? `${what} (x${n})` : what))];
  return { violations, log, ms: Date.now() - started, tolerated: Object.fromEntries(watch.tolerated) };
}
