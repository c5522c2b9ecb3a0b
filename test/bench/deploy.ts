// Deploy task time against bare `helm upgrade --install --wait` of the same chart with comparable values:
// what the lifecycle (agent start, inputs, lease, state reads, routing) costs on top of helm itself.
//
// Both sides install a fresh release each time, as Deploy does after a promotion (the idle slot is
// empty): the task's staged release is withdrawn by OnFailure between runs (not timed), the bare release
// gets a new name and is uninstalled afterwards (not timed). Both run helm with a fresh HOME, so neither
// has a warm discovery cache: every task runs on a fresh agent directory. Runs alternate which goes first.
//
// Pods are ready at once (readiness delay 0), so helm's --wait costs only helm. The data plane applies
// changes with the test delays (TEST_DELAYS, never zero): Deploy ends by waiting until the staging route
// is served (its settle, nginx reload 1.5 s), which bare helm does not do; the settle's share is reported
// apart, read from the task's log. The task is timed until it reports its result (tasktime.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HELM_VERSIONS } from '../../scripts/fetch-helm';
import type { HelmMajor } from '../cluster/helm';
import { EXAMPLE_CHART, type Env, startEnv, version } from '../integration/env';
import { settlesIn, summarise } from './settles';
import { median, type Metric, round } from './stats';
import { succeed } from './tasktime';

/** Seconds the task's own "Install into slot ..." step took (its helm call), from the log. */
export function installStepMs(log: string): number | undefined {
  const lines = log.split('\n');
  const start = lines.findIndex((l) => l.startsWith('##[group]Install into slot'));
  const done = lines.slice(start + 1).find((l) => /^done in [\d.]+ s$/.test(l));
  return start >= 0 && done ? Number(/([\d.]+)/.exec(done)?.[1]) * 1000 : undefined;
}

interface TaskSample {
  ms: number;
  exitMs: number;
  reaped: boolean;
  installMs?: number;
  /** Waiting for the data plane to serve the staging route (the settle fence). */
  settleMs: number;
}

async function taskRun(env: Env, run: number, v: string): Promise<TaskSample> {
  const timed = await succeed(env, 'Deploy', run, version(v), `Deploy run ${run}`);
  await succeed(env, 'OnFailure', run, {}, `OnFailure run ${run}`);
  const { log } = timed.run;
  return { ms: timed.resultMs ?? timed.exitMs, exitMs: timed.exitMs, reaped: timed.reaped, installMs: installStepMs(log), settleMs: summarise(settlesIn(log)).seconds * 1000 };
}

async function bareRun(env: Env, helm: HelmMajor, root: string, i: number, v: string): Promise<number> {
  const dir = fs.mkdtempSync(path.join(root, 'bare-'));
  // What Deploy writes for a staged slot: the user's set values, then the slot values of managed routing.
  const values = path.join(dir, 'values.yaml');
  fs.writeFileSync(values, JSON.stringify({ version: v, replicaCount: 2, slot: 'green', ingress: { enabled: false } }));
  const release = `bare-${i}`;
  const started = performance.now();
  const result = await env.cluster.helm(helm, ['upgrade', '--install', release, EXAMPLE_CHART, '--namespace', 'bare', '--create-namespace', '--values', values, '--wait', '--timeout', '60s'], { dir });
  const ms = performance.now() - started;
  if (result.code !== 0) throw new Error(`bare helm install of ${release} failed: ${result.stderr}`);
  const removed = await env.cluster.helm(helm, ['uninstall', release, '--namespace', 'bare', '--wait'], { dir });
  if (removed.code !== 0) throw new Error(`bare helm uninstall of ${release} failed: ${removed.stderr}`);
  return ms;
}

export async function benchDeploy(helm: HelmMajor, runs: number, progress: (line: string) => void): Promise<Metric[]> {
  // Data-plane delays: startEnv's TEST_DELAYS (nginx sync 1 s, reload 1.5 s).
  const env = await startEnv({ helm, router: 'nginx', ownership: 'managed', readyDelayMs: 0 });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-deploy-'));
  try {
    await succeed(env, 'Deploy', 1, version('1.0.0'), 'first Deploy');
    // Warm-up (not counted): the first process of each kind pays for cold file caches.
    await taskRun(env, 2, '2.0.0');
    await bareRun(env, helm, root, 0, '2.0.0');
    const task: number[] = [];
    const install: number[] = [];
    const settle: number[] = [];
    const exit: number[] = [];
    let reaped = 0;
    const bare: number[] = [];
    for (let i = 1; i <= runs; i += 1) {
      const v = `2.0.${i}`;
      const doTask = async () => {
        const t = await taskRun(env, 10 + i, v);
        task.push(t.ms);
        exit.push(t.exitMs);
        if (t.reaped) reaped += 1;
        settle.push(t.settleMs);
        if (t.installMs !== undefined) install.push(t.installMs);
      };
      const doBare = async () => void bare.push(await bareRun(env, helm, root, i, v));
      if (i % 2) await doTask().then(doBare);
      else await doBare().then(doTask);
      progress(
        `helm ${HELM_VERSIONS[helm]} run ${i}/${runs}: Deploy task ${Math.round(task.at(-1) ?? NaN)} ms (settle ${Math.round(settle.at(-1) ?? NaN)} ms), bare helm ${Math.round(bare.at(-1) ?? NaN)} ms`,
      );
    }
    const t = median(task);
    const b = median(bare);
    const s = median(settle);
    const ratio: Metric = {
      id: `deploy-ratio-${helm}`,
      name: `Deploy task / bare helm upgrade --install --wait (helm ${HELM_VERSIONS[helm]})`,
      value: round(t / b, 2),
      unit: '×',
      target: { op: '<=', value: 1.3 },
      basis: `${Math.round(t)} ms / ${Math.round(b)} ms, medians of ${runs}; the task's own helm step ${Math.round(median(install))} ms, its settle ${Math.round(s)} ms`,
      data: {
        taskMs: task.map(Math.round),
        taskExitMs: exit.map(Math.round),
        taskProcessesReaped: reaped,
        bareMs: bare.map(Math.round),
        taskInstallStepMs: install,
        taskSettleMs: settle,
        medianTaskMs: Math.round(t),
        medianBareMs: Math.round(b),
        medianSettleMs: Math.round(s),
      },
    };
    // The ratio depends on how long helm itself takes; the overhead in ms does not. With a real
    // cluster's helm --wait of H ms the ratio is (H + overhead) / H.
    const overhead: Metric = {
      id: `deploy-overhead-${helm}`,
      name: `Deploy task overhead over bare helm (helm ${HELM_VERSIONS[helm]})`,
      value: Math.round(t - b),
      unit: 'ms',
      basis: `median task − median bare, of which ${Math.round(s)} ms waiting for the data plane (TEST_DELAYS); ≤ 1.3 × once helm itself takes ${((t - b) / 0.3 / 1000).toFixed(1)} s or more`,
      data: { overheadMs: Math.round(t - b), settleMs: Math.round(s), overheadWithoutSettleMs: Math.round(t - b - s) },
    };
    return [ratio, overhead];
  } finally {
    await env.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
