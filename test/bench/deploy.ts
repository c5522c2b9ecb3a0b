// Deploy task time against bare `helm upgrade --install --wait` of the same chart with comparable values:
// what the lifecycle (agent start, inputs, lease, state reads, routing) costs on top of helm itself.
//
// Both sides install a fresh release each time, as Deploy does after a promotion (the idle slot is
// empty): the task's staged release is withdrawn by OnFailure between runs (not timed), the bare release
// gets a new name and is uninstalled afterwards (not timed). Both run helm with a fresh HOME, so neither
// has a warm discovery cache: every task runs on a fresh agent directory. Runs alternate which goes first.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HELM_VERSIONS } from '../../scripts/fetch-helm';
import type { TaskRun } from '../cluster/agent';
import type { HelmMajor } from '../cluster/helm';
import { EXAMPLE_CHART, type Env, startEnv, version } from '../integration/env';
import { median, type Metric, round } from './stats';

export function expectSucceeded(run: TaskRun, what: string): TaskRun {
  if (run.outcome !== 'Succeeded') throw new Error(`${what} ended ${run.outcome}: ${run.message}\n${run.log}`);
  return run;
}

/** Seconds the task's own "Install into slot ..." step took (its helm call), from the log. */
export function installStepMs(log: string): number | undefined {
  const lines = log.split('\n');
  const start = lines.findIndex((l) => l.startsWith('##[group]Install into slot'));
  const done = lines.slice(start + 1).find((l) => /^done in [\d.]+ s$/.test(l));
  return start >= 0 && done ? Number(/([\d.]+)/.exec(done)?.[1]) * 1000 : undefined;
}

async function taskRun(env: Env, run: number, v: string): Promise<{ ms: number; installMs?: number }> {
  const started = performance.now();
  const deployed = expectSucceeded(await env.task('Deploy', run, version(v)), `Deploy run ${run}`);
  const ms = performance.now() - started;
  expectSucceeded(await env.task('OnFailure', run), `OnFailure run ${run}`);
  return { ms, installMs: installStepMs(deployed.log) };
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
  const env = await startEnv({ helm, router: 'nginx', ownership: 'managed', readyDelayMs: 0, settleSeconds: 0 });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-deploy-'));
  try {
    expectSucceeded(await env.task('Deploy', 1, version('1.0.0')), 'first Deploy');
    // Warm-up (not counted): the first process of each kind pays for cold file caches.
    await taskRun(env, 2, '2.0.0');
    await bareRun(env, helm, root, 0, '2.0.0');
    const task: number[] = [];
    const install: number[] = [];
    const bare: number[] = [];
    for (let i = 1; i <= runs; i += 1) {
      const v = `2.0.${i}`;
      const doTask = async () => {
        const t = await taskRun(env, 10 + i, v);
        task.push(t.ms);
        if (t.installMs !== undefined) install.push(t.installMs);
      };
      const doBare = async () => void bare.push(await bareRun(env, helm, root, i, v));
      if (i % 2) await doTask().then(doBare);
      else await doBare().then(doTask);
      progress(`helm ${HELM_VERSIONS[helm]} run ${i}/${runs}: Deploy task ${Math.round(task[task.length - 1])} ms, bare helm ${Math.round(bare[bare.length - 1])} ms`);
    }
    const t = median(task);
    const b = median(bare);
    const ratio: Metric = {
      id: `deploy-ratio-${helm}`,
      name: `Deploy task / bare helm upgrade --install --wait (helm ${HELM_VERSIONS[helm]})`,
      value: round(t / b, 2),
      unit: '×',
      target: { op: '<=', value: 1.3 },
      basis: `${Math.round(t)} ms / ${Math.round(b)} ms, medians of ${runs}; the task's own helm step ${Math.round(median(install))} ms`,
      data: { taskMs: task.map(Math.round), bareMs: bare.map(Math.round), taskInstallStepMs: install, medianTaskMs: Math.round(t), medianBareMs: Math.round(b) },
    };
    // The ratio depends on how long helm itself takes; the overhead in ms does not. With a real
    // cluster's helm --wait of H ms the ratio is (H + overhead) / H.
    const overhead: Metric = {
      id: `deploy-overhead-${helm}`,
      name: `Deploy task overhead over bare helm (helm ${HELM_VERSIONS[helm]})`,
      value: Math.round(t - b),
      unit: 'ms',
      basis: `median task − median bare; ≤ 1.3 × once helm itself takes ${(((t - b) / 0.3) / 1000).toFixed(1)} s or more`,
      data: { overheadMs: Math.round(t - b) },
    };
    return [ratio, overhead];
  } finally {
    await env.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
