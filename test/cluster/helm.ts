// Runs the real helm binaries (3.18.0 / 4.1.4 from scripts/fetch-helm) against the local cluster, each
// with its own HOME and helm/client-go cache dirs: client-go caches discovery on disk, and a cache from
// another server on a reused port would answer for this one.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { helmBinary, kubectlBinary, type HelmMajor } from '../../scripts/fetch-helm';

export type { HelmMajor };
export { helmBinary, kubectlBinary };

/** Environment that runs helm (or kubectl) isolated under `dir` against `kubeconfig`. Creates the dirs. */
export function isolatedHelmEnv(dir: string, kubeconfig: string): Record<string, string> {
  const home = path.join(dir, 'home');
  const dirs = {
    HOME: home,
    HELM_CACHE_HOME: path.join(home, '.cache', 'helm'),
    HELM_CONFIG_HOME: path.join(home, '.config', 'helm'),
    HELM_DATA_HOME: path.join(home, '.local', 'share', 'helm'),
    KUBECACHEDIR: path.join(home, '.kube', 'cache'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  return { ...dirs, KUBECONFIG: kubeconfig };
}

export interface RunOptions {
  kubeconfig: string;
  /** Where the isolated HOME lives (default: beside the kubeconfig). */
  dir?: string;
  cwd?: string;
  env?: Record<string, string>;
  /** Kill helm after this long (default 120 s); the result then has code null. */
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(binary: string, args: string[], options: RunOptions): Promise<RunResult> {
  const dir = options.dir ?? path.dirname(options.kubeconfig);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...isolatedHelmEnv(dir, options.kubeconfig),
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `helm <args>` (v3 = 3.18.0, v4 = 4.1.4) against the kubeconfig's cluster. */
export function runHelm(major: HelmMajor, args: string[], options: RunOptions): Promise<RunResult> {
  return run(helmBinary(major), args, options);
}

/** Runs the kubectl shipped beside a helm version (handy to debug the fake with `-v=8`). */
export function runKubectl(args: string[], options: RunOptions, major: HelmMajor = 'v3'): Promise<RunResult> {
  return run(kubectlBinary(major), args, options);
}
