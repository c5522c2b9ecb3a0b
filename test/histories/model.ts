// An in-memory world for lifecycle histories: helm releases, the router's objects (managed ingress-nginx:
// `-active` and `-preview` Service selectors and the canary weight), what the data plane applies (it lags
// until a settle), the app's record in a fake Kubernetes client, and checks answered by whichever slot the
// data plane would really send the request to. The tasks run the REAL plans (shared/core/plans.ts) and the REAL
// executor (shared/lifecycle/steps.ts) against it; every write goes through `write()`, where the
// invariants are checked and where a task can be made to die.
import { type Check, type CheckResult, type CheckTarget, parseChecks } from '../../shared/checks/http';
import type { CommonInputs } from '../../shared/inputs/read';
import type { Lifecycle } from '../../shared/lifecycle/context';
import { execute, type StepOptions } from '../../shared/lifecycle/steps';
import { type App, type Routing, type Slot, SLOTS, locate } from '../../shared/core/model';
import { planDeploy, planPromote, planValidate, planWithdraw, type Plan } from '../../shared/core/plans';
import { type AppRecord, EMPTY_RECORD, recordName } from '../../shared/core/record';
import type { ReleaseStatus } from '../../shared/core/model';
import type { ReleaseRecord } from '../../shared/helm/storage';
import type { Log } from '../../shared/report/log';
import type { Router } from '../../shared/routers';
import { type AppState, roleOf } from '../../shared/core/state';
import { must } from '../must';

export const APP: App = { name: 'calc', namespace: 'calc', layout: 'shared' };

/** good: answers 200 with its version; bad: pods start, answer 500; crash: never starts (helm --wait fails);
 * degrades: passes the testers' checks but fails once real users reach it (it breaks under production load). */
export type Quality = 'good' | 'bad' | 'crash' | 'degrades';

export interface ModelRelease {
  revision: number;
  installed: string;
  run: string;
  version: string;
  quality: Quality;
  status: ReleaseStatus;
  ready: boolean;
}

interface Objects {
  active?: Slot;
  preview?: Slot;
  weight: number;
}

export interface World {
  releases: Partial<Record<Slot, ModelRelease>>;
  objects: Objects;
  /** What the data plane routes by now: the objects as of the last settle (or convergence). */
  applied: Objects;
  record?: AppRecord;
  installs: number;
  /** Revisions proven good for real (a first deploy, a validation answered by that very slot, or production that served). */
  trusted: Set<string>;
  /** Revisions that went live as a first deploy (nothing could have validated them). */
  firstDeploys: Set<string>;
  /** Where the last staging check was really answered from. */
  lastStagingAnswer?: Slot;
  violations: string[];
}

export const newWorld = (): World => ({ releases: {}, objects: { weight: 0 }, applied: { weight: 0 }, installs: 0, trusted: new Set(), firstDeploys: new Set(), violations: [] });

export function cloneWorld(w: World): World {
  return { ...structuredClone({ ...w, trusted: undefined, firstDeploys: undefined }), trusted: new Set(w.trusted), firstDeploys: new Set(w.firstDeploys) } as World;
}

const key = (slot: Slot, r: ModelRelease) => `${slot}/${r.installed}/${r.revision}`;

/** Routing as the router's objects say (the same reading as ManagedIngressRouter.observe). */
export function routingOf(o: Objects): Routing {
  const production = o.active;
  const staging = o.preview !== production ? o.preview : undefined;
  return { production, staging, stagingPercent: staging ? o.weight : 0 };
}

/** A task that died: every later call of its ports fails the same way. */
export class Crash extends Error {}

export interface TaskRun {
  task: 'Deploy' | 'RouteTraffic' | 'OnSuccess' | 'OnFailure';
  run: number;
  /** Deploy: the quality of this run's version. */
  quality?: Quality;
  percent?: number;
  keep?: boolean;
  retire?: 'delete' | 'keep';
  helmTest?: boolean;
  /** Checks that look for the run's version (else only for a 200). */
  identify?: boolean;
  /** Die right after this many writes (router objects, helm, the record). */
  crashAfter?: number;
}

export type Outcome = 'succeeded' | 'failed' | 'crashed';

const versionOf = (run: number) => `${run}.0.0`;
const runId = (run: number) => `run-${run}`;

/** The invariants that must hold after every single write of a task. */
function checkWrite(w: World, what: string, before: { production?: Slot; productionRelease?: ModelRelease }): void {
  const routing = routingOf(w.objects);
  const fail = (why: string) => w.violations.push(`${why} (after ${what})`);
  // 1. Production is routable at every instant: once users are served, a route to a release always exists.
  if (before.production && before.productionRelease && !(routing.production && w.releases[routing.production])) fail('production became unroutable');
  // 2. Users only on a release known good.
  if (routing.production) {
    const r = w.releases[routing.production];
    if (r && !w.trusted.has(key(routing.production, r))) fail(`users routed to unproven ${r.version} in slot ${routing.production}`);
  }
  if (routing.staging && routing.stagingPercent > 0) {
    const r = w.releases[routing.staging];
    if (r && !w.trusted.has(key(routing.staging, r))) fail(`${routing.stagingPercent} % of users sent to unproven ${r.version}`);
  }
}

export interface ModelTask {
  lc: Lifecycle;
  writes: number;
}

/**
 * 3. The release that serves production is never installed over, uninstalled or re-rendered. 4. Nothing is
 * installed over or removed while the data plane still sends users to it.
 */
function checkHelmWrite(w: World, slot: Slot, what: string): void {
  const production = routingOf(w.objects).production;
  if (production === slot && w.releases[slot]) w.violations.push(`${what} on slot ${slot}, which serves production`);
  const applied = routingOf(w.applied);
  if (w.releases[slot] && (applied.production === slot || (applied.staging === slot && applied.stagingPercent > 0))) {
    w.violations.push(`${what} of slot ${slot} while the data plane still sends users to it`);
  }
}

function makeLifecycle(w: World, t: TaskRun, onWrite: (what: string, change: () => void) => void): Lifecycle {
  const log: Log = { info: () => undefined, warn: () => undefined, step: (_title, body) => body(), wait: async () => undefined };
  const location = (slot: Slot) => locate(APP, slot);
  const slotOfRelease = (name: string | undefined) => must(SLOTS.find((s) => location(s).release === name), `a slot whose release is ${name}`);

  const helmWrite = (slot: Slot, what: string, change: () => void) => {
    checkHelmWrite(w, slot, what);
    onWrite(`${what} ${slot}`, change);
  };

  const router: Router = {
    label: 'model ingress-nginx, managed',
    observe: async () => routingOf(w.objects),
    installValues: () => ({}),
    async establish(slot) {
      onWrite(`establish ${slot}`, () => {
        w.objects.active = slot;
        if (!w.objects.preview) w.objects.preview = slot;
      });
    },
    async exposeStaging(slot) {
      if (w.objects.weight) onWrite('weight 0', () => (w.objects.weight = 0));
      onWrite(`preview ${slot}`, () => (w.objects.preview = slot));
    },
    async setStagingPercent(slot, percent) {
      if (w.objects.preview !== slot) throw new Error(`slot ${slot} is not the staged slot`);
      onWrite(`weight ${percent}`, () => (w.objects.weight = percent));
    },
    async switchProduction(to) {
      onWrite(`active ${to}`, () => (w.objects.active = to));
    },
    async withdrawStaging(slot) {
      if (w.objects.weight) {
        onWrite('weight 0', () => (w.objects.weight = 0));
        await router.settle('users leave');
      }
      const production = routingOf(w.objects).production;
      if (production && production !== slot) onWrite(`preview ${production}`, () => (w.objects.preview = production));
    },
    async detach(slot) {
      if (w.objects.preview === slot) await router.withdrawStaging(slot);
    },
    async settle() {
      w.applied = { ...w.objects };
    },
    target: (exposure, slot) => ({ label: `${exposure} (slot ${slot})`, baseUrl: 'http://model', pathPrefix: '', headers: exposure === 'staging' ? { canary: 'always' } : ({} as Record<string, string>) }),
    preflight: async () => undefined,
    minimumDrainSeconds: async () => 0,
  };

  const helm = {
    async run(args: string[]) {
      const [verb, name] = args;
      const slot = slotOfRelease(name);
      if (verb === 'uninstall') {
        // helm marks the release uninstalling, deletes its objects, then its record: a kill can fall between.
        helmWrite(slot, 'uninstall (marked)', () => {
          const r = w.releases[slot];
          if (r) Object.assign(r, { status: 'uninstalling', ready: false });
        });
        helmWrite(slot, 'uninstall', () => delete w.releases[slot]);
      }
      else if (verb === 'test') {
        const r = w.releases[slot];
        if (!r || r.quality !== 'good') throw new Error(`helm test failed for ${name}`);
      } else throw new Error(`model helm: unexpected ${verb}`);
      return { code: 0, stdout: '', stderr: '' };
    },
  };

  let record: { metadata: { name: string; namespace: string; labels: Record<string, string> }; data: { record: string } } | undefined;
  const kube = {
    async get() {
      if (!w.record) return undefined;
      record = { metadata: { name: recordName(APP), namespace: APP.namespace, labels: { 'bluegreen.azure-pipelines/app': APP.name } }, data: { record: JSON.stringify(w.record) } };
      return record;
    },
    async create(o: { data: { record: string } }) {
      onWrite('record', () => (w.record = JSON.parse(o.data.record) as AppRecord));
      recordValidation(w);
      return o;
    },
    async replace(o: { data: { record: string } }) {
      return kube.create(o);
    },
  };

  const inputs = { app: APP, runId: runId(t.run), checkAddress: undefined } as unknown as CommonInputs;
  const runCheck = async (check: Check, target: CheckTarget): Promise<CheckResult> => {
    const applied = routingOf(w.applied);
    // ingress-nginx: the canary header reaches the staged slot only once the data plane has its route;
    // until then the request falls through to production.
    const staged = Object.keys(target.headers).length > 0;
    const slot = staged && applied.staging ? applied.staging : applied.production;
    if (staged) w.lastStagingAnswer = slot;
    const r = slot ? w.releases[slot] : undefined;
    const broken = r?.quality === 'bad' || (r?.quality === 'degrades' && !staged);
    const answer = !r || !r.ready ? { status: 503, body: 'no endpoints' } : broken ? { status: 500, body: r.version } : { status: 200, body: `{"version":"${r.version}"}` };
    const ok = answer.status === check.expect.status && (!check.contains || answer.body.includes(check.contains));
    return { check, ok, status: answer.status, detail: `answered ${answer.status}`, ms: 0 };
  };

  return {
    task: t.task,
    ctx: { helm, inputs, workDir: '/nonexistent', connection: undefined },
    inputs,
    kube,
    log,
    router,
    timeout: '1m',
    runCheck,
    readState: async () => readWorldState(w),
    repairInterrupted: async (s: AppState) => s,
    revisionNow: async (slot: Slot) => {
      const r = w.releases[slot];
      return r ? { slot, release: location(slot).release, revision: r.revision, installed: r.installed, version: r.version } : undefined;
    },
    exclusive: (body: () => Promise<unknown>) => body(),
  } as unknown as Lifecycle;
}

/** A validation recorded for a revision is true only when the checks were really answered by its slot. */
function recordValidation(w: World): void {
  const v = w.record?.validations[0];
  if (!v) return;
  const slot = v.slot;
  const r = w.releases[slot];
  if (!r || r.revision !== v.revision || r.installed !== v.installed) return;
  const k = key(slot, r);
  if (w.trusted.has(k)) return;
  if (w.lastStagingAnswer !== slot) w.violations.push(`validation of ${r.version} in slot ${slot} recorded, but the checks were answered by slot ${w.lastStagingAnswer ?? '(none)'}`);
  else w.trusted.add(k);
}

export function readWorldState(w: World): AppState {
  const routing = routingOf(w.objects);
  const slot = (s: Slot) => {
    const m = w.releases[s];
    const loc = locate(APP, s);
    const release: ReleaseRecord | undefined = m && {
      slot: s,
      name: loc.release,
      namespace: loc.namespace,
      revision: m.revision,
      deployRevision: m.revision,
      installed: m.installed,
      status: m.status,
      chart: 'model-1.0.0',
      chartVersion: '1.0.0',
      appVersion: m.version,
      updated: m.installed,
      run: m.run,
      labels: { 'bluegreen-app': APP.name, 'bluegreen-run': m.run },
      version: m.version,
      description: '',
    };
    return { slot: s, location: loc, release, ready: !!m && m.ready && m.status === 'deployed', role: roleOf(s, release, routing) };
  };
  return { app: APP, routing, record: w.record ?? EMPTY_RECORD, slots: { blue: slot('blue'), green: slot('green') } };
}

const CHECK_LINES = (run: number, identify: boolean) => parseChecks(identify ? `GET /ping expect 200 contains "version":"${versionOf(run)}"` : 'GET /ping expect 200');

/** Runs one task the way its lifecycle function does: read, plan, execute. */
export async function runTask(w: World, t: TaskRun): Promise<Outcome> {
  let writes = 0;
  let dead = false;
  const onWrite = (what: string, change: () => void) => {
    if (dead) throw new Crash(`dead before ${what}`);
    const routing = routingOf(w.objects);
    const before = { production: routing.production, productionRelease: routing.production ? w.releases[routing.production] : undefined };
    change();
    writes++;
    checkWrite(w, what, before);
    if (t.crashAfter !== undefined && writes >= t.crashAfter) {
      dead = true;
      throw new Crash(`killed after ${what}`);
    }
  };
  const lc = makeLifecycle(w, t, onWrite);
  const run = runId(t.run);
  // One round of checks, no waiting: the interval is longer than the timeout.
  const options: StepOptions = { checks: CHECK_LINES(t.run, t.identify ?? true), settings: { timeoutSeconds: 1, intervalSeconds: 5 } };
  try {
    const state = readWorldState(w);
    let plan: Plan;
    switch (t.task) {
      case 'Deploy':
        plan = planDeploy(state, run);
        options.install = async (slot, role) => install(w, slot, t, role, (what, change) => {
          checkHelmWrite(w, slot, what);
          onWrite(what, change);
        });
        break;
      case 'RouteTraffic':
        plan = planValidate(state, run, t.percent ?? 0);
        options.helmTest = t.helmTest;
        break;
      case 'OnSuccess':
        plan = planPromote(state, run);
        options.retire = { policy: t.retire ?? 'delete', drainSeconds: 0 };
        break;
      case 'OnFailure':
        plan = planWithdraw(state, run, t.keep ?? false);
        options.keep = t.keep;
        break;
    }
    await execute(lc, plan.actions, options);
    return 'succeeded';
  } catch (err) {
    return err instanceof Crash ? 'crashed' : 'failed';
  }
}

async function install(w: World, slot: Slot, t: TaskRun, role: 'production' | 'staging', write: (what: string, change: () => void) => void): Promise<void> {
  const quality = t.quality ?? 'good';
  const current = w.releases[slot];
  const status: ReleaseStatus = quality === 'crash' ? 'failed' : 'deployed';
  write(`install v${t.run}`, () => {
    w.installs++;
    w.releases[slot] = {
      revision: current ? current.revision + 1 : 1,
      installed: current ? current.installed : `i${w.installs}`,
      run: runId(t.run),
      version: versionOf(t.run),
      quality,
      status,
      ready: quality !== 'crash',
    };
    // A first deploy is production by the user's choice: nothing could have validated it.
    if (role === 'production') {
      w.trusted.add(key(slot, w.releases[slot]!));
      w.firstDeploys.add(key(slot, w.releases[slot]!));
    }
  });
  if (quality === 'crash') throw new Error(`helm: release ${slot} failed: context deadline exceeded`);
}

/** What the environment does between tasks. */
export type EnvEvent = { kind: 'blip'; slot: Slot } | { kind: 'heal'; slot: Slot } | { kind: 'drift' } | { kind: 'converge' };

export function applyEvent(w: World, e: EnvEvent): void {
  switch (e.kind) {
    case 'blip': {
      const r = w.releases[e.slot];
      if (r && r.status === 'deployed') r.ready = false;
      return;
    }
    case 'heal': {
      const r = w.releases[e.slot];
      if (r && r.status === 'deployed' && r.quality !== 'crash') r.ready = true;
      return;
    }
    case 'drift':
      // Somebody deleted the primary route: users get 404 until a task repairs it.
      w.objects.active = undefined;
      w.applied.active = undefined;
      return;
    case 'converge':
      w.applied = { ...w.objects };
      return;
  }
}

/** What a history's outcome is compared on: routing, releases and what they run. */
export function projection(w: World): string {
  const releases = SLOTS.map((s) => {
    const r = w.releases[s];
    return r ? `${s}:${r.version}:${r.status}:${r.run}` : `${s}:-`;
  });
  const routing = routingOf(w.objects);
  // A staging route to a release that failed to start reaches nothing: the same as no staging route.
  const staging = routing.staging && w.releases[routing.staging]?.status === 'deployed' ? routing.staging : '-';
  return `${releases.join(' ')} | production ${routing.production ?? '-'} staging ${staging} ${routing.stagingPercent}%`;
}

/** After a task that ran to its end (succeeded or failed, not killed): users are on a release that answers
 * them, unless the only candidate went live as a first deploy. */
export function checkSettled(w: World, after: string): void {
  const p = routingOf(w.objects).production;
  const r = p && w.releases[p];
  if (!p || !r) return;
  // A promotion killed before its confirmation leaves users on a validated revision until its run's OnSuccess
  // or OnFailure runs again (Deploy refuses meanwhile); the re-run property checks that it then converges.
  const unconfirmed = w.record?.promotions.some((x) => x.state === 'begun' && x.to.slot === p && x.to.revision === r.revision && x.to.installed === r.installed);
  if ((r.quality === 'bad' || r.quality === 'degrades') && !w.firstDeploys.has(key(p, r)) && !unconfirmed) w.violations.push(`users left on ${r.quality} ${r.version} after ${after}`);
}
