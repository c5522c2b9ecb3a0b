// Each task's cold start: `node build/tasks/<T>/index.js` with no inputs, until it exits (it loads its
// bundle and task-lib, reads inputs and fails on the first missing one), and the size of its bundle.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type TaskName, taskDir } from '../integration/env';
import { median, type Metric, round } from './stats';

function runOnce(script: string, cwd: string): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [script], { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - started, stdout });
    });
  });
}

function folderBytes(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? folderBytes(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).size), 0);
}

export async function benchColdStart(task: TaskName, runs: number): Promise<Metric> {
  const script = path.join(taskDir(task), 'index.js');
  if (!fs.existsSync(script)) throw new Error(`${script} is missing: run npm run build first`);
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cold-'));
  try {
    const first = await runOnce(script, cwd);
    // Proves the bundle ran as far as reading inputs (and failed on the first one, as it must).
    if (!/##vso\[task\.complete result=Failed;\]Input 'name'/.test(first.stdout)) throw new Error(`${task} did not end with the missing-input error:\n${first.stdout.slice(-2000)}`);
    const ms: number[] = [];
    for (let i = 0; i < runs; i += 1) ms.push((await runOnce(script, cwd)).ms);
    const bundle = fs.statSync(script).size;
    const m = median(ms);
    return {
      id: `cold-start-${task}`,
      name: `${task} cold start (node index.js, no inputs)`,
      value: Math.round(m),
      unit: 'ms',
      basis: `median of ${runs}; bundle ${(bundle / 1024 / 1024).toFixed(2)} MiB, task folder ${(folderBytes(taskDir(task)) / 1024 / 1024).toFixed(2)} MiB`,
      data: { ms: ms.map((x) => round(x)), bundleBytes: bundle, folderBytes: folderBytes(taskDir(task)), node: process.version },
    };
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}
