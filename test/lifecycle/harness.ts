// Runs the four lifecycle functions of shared/lifecycle (the code each task's index.ts calls) with real
// inputs (the task readers over a plain map), against the in-memory cluster, helm and router of this
// folder. Only two seams are swapped, both in the test: client-node's object API (fake-cluster.ts) and
// createRouter (the router the lifecycle would build for managed ingress-nginx). The plans, the
// executor, the lease, the app's record, the state read and the HTTP checks are the real ones.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Connection } from '../../shared/connection';
import type { Helm } from '../../shared/helm/cli';
import { type CommonInputs, type InputSource, readDeployInputs, readOnFailureInputs, readOnSuccessInputs, readRouteTrafficInputs, readTarget, type SettingsSource } from '../../shared/inputs/read';
import { Kube } from '../../shared/kubernetes/client';
import { deploy, onFailure, onSuccess, routeTraffic } from '../../shared/lifecycle';
import type { App } from '../../shared/core/model';
import { findSettings } from '../../shared/core/record';
import type { TaskContext } from '../../shared/task';
import { captureStdout } from '../unit/capture';
import { fakeSource } from '../unit/fake-inputs';
import { FakeCluster, Journal, routeKubeTo } from './fake-cluster';
import { FakeHelm } from './fake-helm';
import { FakeDataPlane } from './fake-router';

export type TaskName = 'Deploy' | 'RouteTraffic' | 'OnSuccess' | 'OnFailure';

export const APP: App = { name: 'calc', namespace: 'calc', layout: 'shared' };

export interface TaskResult {
  ok: boolean;
  error?: string;
  /** What the task wrote (and the checks it sent), in order: `kube create Lease calc/calc-bluegreen`, ... */
  events: string[];
  /** Everything the task printed (its log, ##vso commands). */
  out: string;
}

const READERS = { Deploy: readDeployInputs, RouteTraffic: readRouteTrafficInputs, OnSuccess: readOnSuccessInputs, OnFailure: readOnFailureInputs };
const STEPS = { Deploy: deploy, RouteTraffic: routeTraffic, OnSuccess: onSuccess, OnFailure: onFailure } as Record<TaskName, (ctx: TaskContext<CommonInputs>) => Promise<void>>;

/** The checks a run's version must pass: it answers 200 with its own version. */
export const checksFor = (version: string) => `GET /ping expect 200 contains "version":"${version}"`;

export class LifecycleWorld {
  readonly journal = new Journal();
  readonly cluster = new FakeCluster(this.journal);
  readonly helm = new FakeHelm(this.cluster);
  readonly dataPlane = new FakeDataPlane(APP, this.cluster, this.helm);
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-tier-'));
  private readonly restore: Array<() => void> = [];

  static async start(): Promise<LifecycleWorld> {
    const world = new LifecycleWorld();
    await world.dataPlane.start();
    fs.mkdirSync(path.join(world.dir, 'chart'));
    fs.writeFileSync(path.join(world.dir, 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: calc\nversion: 1.0.0\nappVersion: 1.0.0\n');
    world.restore.push(routeKubeTo(world.cluster));
    // The lifecycle calls createRouter through the module's exports (CommonJS), so the router it builds is ours.
    const routers = require('../../shared/routers') as { createRouter: unknown };
    const createRouter = routers.createRouter;
    routers.createRouter = () => world.dataPlane.router();
    world.restore.push(() => (routers.createRouter = createRouter));
    const temp = process.env.AGENT_TEMPDIRECTORY;
    process.env.AGENT_TEMPDIRECTORY = world.dir;
    world.restore.push(() => (temp === undefined ? delete process.env.AGENT_TEMPDIRECTORY : (process.env.AGENT_TEMPDIRECTORY = temp)));
    return world;
  }

  async stop(): Promise<void> {
    for (const undo of this.restore.reverse()) undo();
    await this.dataPlane.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs one task of pipeline run `run` with these inputs (on top of the app's), as its index.ts would. */
  async run(task: TaskName, run: number, inputs: Record<string, string> = {}): Promise<TaskResult> {
    const all = {
      kubernetesServiceEndpoint: 'aks',
      name: APP.name,
      namespace: APP.namespace,
      host: 'calc.example.com',
      checkInterval: '1',
      checkTimeout: '5',
      ...(task === 'Deploy' ? { chart: path.join(this.dir, 'chart') } : {}),
      ...inputs,
    };
    const mark = this.journal.entries.length;
    // As shared/task.ts reads them: the app and connection first, then the app's settings from its record.
    const read = READERS[task] as (src: InputSource, found: SettingsSource) => CommonInputs;
    const src = fakeSource(all, { 'Build.SourcesDirectory': this.dir, 'Build.BuildId': String(run) });
    let parsed: CommonInputs;
    try {
      const target = readTarget(src);
      parsed = read(src, await findSettings(new Kube(new KubeConfig()), target.app.name, target.app.namespace, target.app.layout));
    } catch (err) {
      return { ok: false, error: (err as Error).message, events: this.journal.since(mark), out: '' };
    }
    const workDir = fs.mkdtempSync(path.join(this.dir, `${task}-`));
    const connection = { kubeConfig: new KubeConfig(), kubeconfigPath: '', server: '', context: '', describe: 'in memory', dispose: () => undefined } as unknown as Connection;
    const ctx: TaskContext<CommonInputs> = { inputs: parsed, connection, helm: this.helm as unknown as Helm, workDir };
    let error: string | undefined;
    const restore = pipelineVariables(run);
    const { out } = await captureStdout(async () => {
      try {
        await STEPS[task](ctx);
      } catch (err) {
        error = (err as Error).message;
      } finally {
        restore();
      }
    });
    return { ok: error === undefined, error, events: this.journal.since(mark), out };
  }
}

/** The pipeline variables the agent sets (task-lib reads them from the environment); returns the undo. */
function pipelineVariables(run: number): () => void {
  const vars: Record<string, string> = {
    BUILD_BUILDID: String(run),
    BUILD_BUILDNUMBER: `2026.${run}`,
    BUILD_DEFINITIONNAME: 'calc',
    SYSTEM_TEAMFOUNDATIONCOLLECTIONURI: 'https://dev.azure.com/example/',
    SYSTEM_TEAMPROJECT: 'calc',
  };
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** A task that must succeed: its events, or an assertion error with its log. */
export async function succeed(world: LifecycleWorld, task: TaskName, run: number, inputs: Record<string, string> = {}): Promise<string[]> {
  const result = await world.run(task, run, inputs);
  if (!result.ok) throw new Error(`${task} of run ${run} failed: ${result.error}\n${result.out}`);
  return result.events;
}
