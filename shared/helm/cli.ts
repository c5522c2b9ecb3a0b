// The helm CLI: always an argument array (never a shell string), always the task's kubeconfig, output logged
// the way task-lib logs tools, failures reported with helm's own reason.
//
// Environment: KUBECONFIG is the task's kubeconfig, and HELM_KUBE* variables that would redirect helm to
// another cluster, context or token are removed. KUBECACHEDIR (client-go's discovery cache) and
// HELM_CACHE_HOME are per task under workDir, so no stale discovery from another cluster or an earlier job is
// reused. HELM_CONFIG_HOME and HELM_DATA_HOME keep their defaults, so a `helm registry login`, `helm repo add`
// or plugin install in an earlier step of the same job still applies; `helm repo add` keeps its repository
// indexes in the cache, so HELM_REPOSITORY_CACHE (helm 3 and 4) stays pointed at the default cache's one.
// A task given chart credentials (helm/registry-auth.ts) points HELM_REGISTRY_CONFIG or HELM_REPOSITORY_CONFIG/CACHE
// at its own files under workDir instead (useCredentials).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as TaskLib from 'azure-pipelines-task-lib/task';

// task-lib loads on first use: loading it reads the environment into its vault and writes a key
// file, which a task wants and unit tests of the pure parts of this module do not.
const tl = (): typeof TaskLib => require('azure-pipelines-task-lib/task');

export { DEFAULT_HELM_DOWNLOAD_BASE, HelmInstallError, installHelm } from './binary';

export interface HelmOptions {
  kubeconfig: string;
  workDir: string;
  /** The agent's proxy for chart repositories and registries (HTTPS_PROXY, HTTP_PROXY, NO_PROXY; see connection/proxy.ts). */
  env?: Record<string, string>;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Do not echo the output (the command line is still logged). */
  silent?: boolean;
  /** Return a non-zero exit instead of throwing. */
  allowFailure?: boolean;
  /**
   * Aborting stops helm the way Ctrl-C would (SIGTERM: helm cancels its context and marks the release
   * failed), then SIGKILL if it has not exited STOP_GRACE_MS later.
   */
  signal?: AbortSignal;
}

/** How long helm gets to mark its release failed after SIGTERM before it is killed. */
export const STOP_GRACE_MS = 30_000;

/** helm failed; `message` carries helm's own reason (its `Error: ...` lines), never a stack. */
export class HelmError extends Error {
  override name = 'HelmError';
  constructor(
    message: string,
    readonly args: readonly string[],
    readonly result: HelmResult,
  ) {
    super(message);
  }
}

/** helm's reason for failing: its `Error:` lines (without the prefix), else the last stderr line. */
export function helmReason(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => l.startsWith('Error: ')).map((l) => l.slice('Error: '.length));
  if (errors.length > 0) return errors.join(' ');
  return lines.at(-1) ?? '';
}

/** Where helm keeps its cache when HELM_CACHE_HOME is not set (helm's lazypath rules). */
export function defaultHelmCacheHome(env: NodeJS.ProcessEnv = process.env, platform: string = os.platform()): string {
  if (env.HELM_CACHE_HOME) return env.HELM_CACHE_HOME;
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'helm');
  if (platform === 'win32') return path.join(env.LOCALAPPDATA ?? os.homedir(), 'helm');
  if (platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches', 'helm');
  return path.join(os.homedir(), '.cache', 'helm');
}

/**
 * helm commands that never change the cluster: they run whatever the guard says. Every other command
 * (upgrade, install, uninstall, rollback, test, plugins, anything unknown) may write, so the guard
 * decides first.
 */
const READ_ONLY_COMMANDS = new Set([
  'version', 'pull', 'fetch', 'get', 'list', 'ls', 'template', 'show', 'inspect', 'env', 'history', 'hist',
  'status', 'search', 'lint', 'verify', 'dependency', 'dep', 'repo', 'registry', 'package',
]);

export class Helm {
  private versionText: Promise<string> | undefined;
  private prepared = false;
  private guard: (() => void) | undefined;
  private credentialEnv: Record<string, string> = {};

  constructor(
    readonly binary: string,
    private readonly options: HelmOptions,
  ) {}

  /** The environment helm runs with (see the file comment). */
  env(): Record<string, string> {
    const env: Record<string, string> = {};
    const proxyKeys = new Set(Object.keys(this.options.env ?? {}).map((k) => k.toUpperCase()));
    for (const [key, value] of Object.entries(process.env)) {
      // The agent's proxy replaces the machine's proxy variables in either case (Go reads both).
      if (value !== undefined && !key.startsWith('HELM_KUBE') && !proxyKeys.has(key.toUpperCase())) env[key] = value;
    }
    Object.assign(env, this.options.env);
    env.KUBECONFIG = this.options.kubeconfig;
    env.HELM_REPOSITORY_CACHE = process.env.HELM_REPOSITORY_CACHE || path.join(defaultHelmCacheHome(), 'repository');
    env.HELM_CACHE_HOME = path.join(this.options.workDir, 'helm-cache');
    env.KUBECACHEDIR = path.join(this.options.workDir, 'kube-cache');
    return { ...env, ...this.credentialEnv };
  }

  /** Points helm at the task's own registry or repository config (files under workDir, see helm/registry-auth.ts). */
  useCredentials(env: Record<string, string>): void {
    this.credentialEnv = { ...this.credentialEnv, ...env };
  }

  /** e.g. '3.18.0' */
  version(): Promise<string> {
    this.versionText ??= this.run(['version', '--template', '{{.Version}}'], { silent: true }).then((r) => r.stdout.trim().replace(/^v/, ''));
    return this.versionText;
  }

  async major(): Promise<3 | 4> {
    const version = await this.version();
    const major = Number(version.split('.')[0]);
    if (major !== 3 && major !== 4) throw new HelmError(`helm ${version} is not supported: use helm 3 or helm 4.`, ['version'], { code: 0, stdout: version, stderr: '' });
    return major;
  }

  /**
   * Runs `guard` before every helm command that can write to the cluster; a command it throws for is
   * never started. A task fences helm with its lease this way: `setGuard(() => lease.assertHeld())`.
   * `undefined` removes the guard.
   */
  setGuard(guard: (() => void) | undefined): void {
    this.guard = guard;
  }

  async run(args: string[], opts: RunOptions = {}): Promise<HelmResult> {
    if (!READ_ONLY_COMMANDS.has(args[0] ?? '')) this.guard?.();
    if (opts.signal?.aborted) throw new HelmError(`helm ${args[0] ?? ''} was not started: stopped before it began`, args, { code: -1, stdout: '', stderr: '' });
    this.prepare();
    const tool = tl().tool(this.binary).arg(args);
    let stdout = '';
    let stderr = '';
    tool.on('stdout', (data: Buffer) => (stdout += data.toString('utf8')));
    tool.on('stderr', (data: Buffer) => (stderr += data.toString('utf8')));
    // task-lib prints `[command]...` itself unless silent; keep the command in the log either way.
    if (opts.silent) console.log(`[command]${[this.binary, ...args].join(' ')}`);
    let code: number;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      tool.killChildProcess('SIGTERM');
      killTimer = setTimeout(() => tool.killChildProcess('SIGKILL'), STOP_GRACE_MS);
      killTimer.unref();
    };
    opts.signal?.addEventListener('abort', stop, { once: true });
    try {
      code = await tool.execAsync({ env: this.env(), silent: opts.silent ?? false, ignoreReturnCode: true, failOnStdErr: false });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new HelmError(`Cannot run helm (${this.binary}): ${reason}`, args, { code: -1, stdout, stderr });
    } finally {
      opts.signal?.removeEventListener('abort', stop);
      clearTimeout(killTimer);
    }
    const result = { code, stdout, stderr };
    if (code !== 0 && !opts.allowFailure) {
      const reason = helmReason(stderr) || `exit code ${code}`;
      throw new HelmError(`helm ${args[0] ?? ''} failed: ${reason}`, args, result);
    }
    return result;
  }

  /** Runs a command whose arguments make helm print JSON (e.g. `list -o json`) and parses it. */
  async json<T>(args: string[]): Promise<T> {
    const { stdout } = await this.run(args, { silent: true });
    try {
      return JSON.parse(stdout) as T;
    } catch {
      throw new HelmError(`helm ${args[0] ?? ''} printed output that is not JSON: ${stdout.trim().slice(0, 200)}`, args, { code: 0, stdout, stderr: '' });
    }
  }

  private prepare(): void {
    if (this.prepared) return;
    this.prepared = true;
    const env = this.env();
    for (const dir of [env.KUBECACHEDIR, env.HELM_CACHE_HOME]) if (dir) fs.mkdirSync(dir, { recursive: true });
  }
}
