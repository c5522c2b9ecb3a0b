// One blue/green playground: the local cluster, a data plane emulating one controller, and the bundled
// tasks run through the agent emulator with the inputs a pipeline would give. Used by the integration
// tests, the demo and the benchmarks.
import * as path from 'node:path';
import { type LocalCluster, startCluster } from '../cluster/cluster';
import { type RunTaskOptions, type TaskRun, runTask, startTask } from '../cluster/agent';
import { type DataPlane, type DataPlaneDelays, type DataPlaneOptions, REALISTIC_DELAYS, startDataPlane } from '../cluster/dataplane';
import type { ControllerKind } from '../cluster/dataplane';
import { helmBinary, type HelmMajor } from '../cluster/helm';
import { startProbe, type ProbeOptions } from '../cluster/probe';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const EXAMPLE_CHART = path.join(repoRoot, 'examples', 'charts', 'bluegreen-app');
export const HOST = 'calc.example.test';

export type TaskName = 'Deploy' | 'RouteTraffic' | 'OnSuccess' | 'OnFailure' | 'Rollback';
export type RouterName = 'nginx' | 'appgw' | 'gateway' | 'trafficmanager';

export const CONTROLLER: Record<RouterName, ControllerKind> = { nginx: 'nginx', appgw: 'agic', gateway: 'gateway', trafficmanager: 'trafficmanager' };

export interface EnvOptions {
  helm: HelmMajor;
  router: RouterName;
  ownership: 'managed' | 'chart';
  layout?: 'shared' | 'perSlot';
  app?: string;
  namespace?: string;
  readyDelayMs?: number;
  nginxWebhook?: boolean;
  /**
   * Data-plane convergence delays (ms). The defaults (TEST_DELAYS) are short but never zero: a route
   * written is not served before the task's next step could look at it, so a task that does not wait
   * for the data plane fails its tests.
   */
  syncDelayMs?: number;
  reloadDelayMs?: number;
  armDelayMs?: number;
  propagationDelayMs?: number;
  /** The real controllers' delays (REALISTIC_DELAYS: nginx 3.3 s, AGIC 20 s...) instead of TEST_DELAYS. */
  realistic?: boolean;
  /** settleSeconds input: the fixed wait a router falls back to when it cannot observe the data plane. */
  settleSeconds?: number;
  /** More data-plane options (a router's own, e.g. the Traffic Manager fake or the Gateway). */
  dataplane?: Partial<DataPlaneOptions>;
  /** More inputs for every task (a router's own). */
  inputs?: Record<string, string>;
  /** More agent options for every run (endpoints, env such as NODE_EXTRA_CA_CERTS). */
  run?: Partial<RunTaskOptions>;
  /** Called with the cluster before the data plane starts (seed a Gateway, a namespace...). */
  prepare?(cluster: LocalCluster): Promise<void> | void;
}

export interface Env {
  options: Required<Pick<EnvOptions, 'helm' | 'router' | 'ownership' | 'layout' | 'app' | 'namespace'>>;
  cluster: LocalCluster;
  dataplane: DataPlane;
  /** Inputs every task of this app gets. */
  common: Record<string, string>;
  /** Runs a bundled task like the agent does; `run` is the pipeline run (Build.BuildId). */
  task(name: TaskName, run: number, inputs?: Record<string, string>, options?: Partial<RunTaskOptions>): Promise<TaskRun>;
  /** Starts a task without waiting (crash and concurrency tests). */
  startTask(name: TaskName, run: number, inputs?: Record<string, string>, options?: Partial<RunTaskOptions>): ReturnType<typeof startTask>;
  probe(options?: Partial<ProbeOptions>): ReturnType<typeof startProbe>;
  close(): Promise<void>;
}

/** The integration tests' data-plane delays (see EnvOptions). */
export const TEST_DELAYS: Required<DataPlaneDelays> = { syncDelayMs: 1000, reloadDelayMs: 1500, armDelayMs: 2500, propagationDelayMs: 1000 };

/** The bundled tasks; BLUEGREEN_TASKS_DIR runs the same tests against another build (e.g. an older commit's). */
export const taskDir = (name: TaskName) => path.join(process.env.BLUEGREEN_TASKS_DIR ?? path.join(repoRoot, 'build', 'tasks'), name);

export async function startEnv(o: EnvOptions): Promise<Env> {
  const options = { layout: 'shared' as const, app: 'calc', namespace: 'calc', ...o };
  const cluster = await startCluster({ readyDelayMs: o.readyDelayMs ?? 50, nginxWebhook: o.nginxWebhook ?? o.router === 'nginx' });
  await o.prepare?.(cluster);
  const delays = o.realistic ? REALISTIC_DELAYS : TEST_DELAYS;
  const dataplane = await startDataPlane(cluster.store, {
    controller: CONTROLLER[o.router],
    seed: 7,
    syncDelayMs: o.syncDelayMs ?? delays.syncDelayMs,
    reloadDelayMs: o.reloadDelayMs ?? delays.reloadDelayMs,
    armDelayMs: o.armDelayMs ?? delays.armDelayMs,
    propagationDelayMs: o.propagationDelayMs ?? delays.propagationDelayMs,
    ...o.dataplane,
  });
  const common: Record<string, string> = {
    connectionType: 'Kubeconfig File',
    kubeconfigFile: cluster.kubeconfigPath,
    name: options.app,
    namespace: options.namespace,
    namespaceLayout: options.layout,
    router: o.router,
    routingOwnership: o.ownership,
    host: HOST,
    helmVersion: 'path',
    checkAddress: dataplane.url,
    settleSeconds: String(o.settleSeconds ?? 1),
    lockTimeout: '30',
    checkTimeout: '15',
    checkInterval: '1',
    drainSeconds: '1',
    ...(o.ownership === 'chart' ? { chart: EXAMPLE_CHART } : {}),
    ...o.inputs,
  };
  const helmDir = path.dirname(helmBinary(o.helm));
  const runOptions = (name: TaskName, run: number, inputs: Record<string, string>, extra: Partial<RunTaskOptions>): RunTaskOptions => ({
    ...o.run,
    ...extra,
    inputs: { ...common, ...inputs },
    endpoints: { ...o.run?.endpoints, ...extra.endpoints },
    variables: { 'Build.BuildId': String(run), 'System.TeamProjectId': 'p1', ...o.run?.variables, ...extra.variables },
    env: { PATH: `${helmDir}:${process.env.PATH}`, ...o.run?.env, ...extra.env },
    timeoutMs: extra.timeoutMs ?? 180_000,
  });
  return {
    options,
    cluster,
    dataplane,
    common,
    task: (name, run, inputs = {}, extra = {}) => runTask(taskDir(name), runOptions(name, run, inputs, extra)),
    startTask: (name, run, inputs = {}, extra = {}) => startTask(taskDir(name), runOptions(name, run, inputs, extra)),
    probe: (p = {}) => startProbe({ url: dataplane.url, host: HOST, ratePerSecond: 25, maxDurationMs: 600_000, ...p }),
    async close() {
      await dataplane.close();
      await cluster.close();
    },
  };
}

/** Deploy inputs for a version of the example chart (`fail` makes every pod answer 500). */
export function version(v: string, extra: { fail?: boolean; neverReady?: boolean; replicas?: number } = {}): Record<string, string> {
  const set = [`version=${v}`, `replicaCount=${extra.replicas ?? 2}`];
  if (extra.fail) set.push('fail=true');
  if (extra.neverReady) set.push('image.tag=never-ready');
  return { chart: EXAMPLE_CHART, setValues: set.join('\n'), timeout: extra.neverReady ? '8s' : '60s' };
}

/** A check that the answering pod runs version `v`. */
export const checksFor = (v: string) => ({ checks: `GET /ping expect 200 contains "version":"${v}"` });
