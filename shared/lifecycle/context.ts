// What every lifecycle step shares: the Kubernetes client, the router, the log, the lease, the state
// read, the explicit repair of interrupted helm commands; chart-owned routing gets helm's re-render
// through the SlotRenderer port (helm/rerender.ts).
import type { CheckRunner } from '../checks/http';
import type { CommonInputs } from '../inputs/types';
import { Kube } from '../kubernetes/client';
import { acquireLease, holderIdentity } from '../core/lease';
import { type Slot, SLOTS, homeNamespace, locate } from '../core/model';
import { rollbackSlot } from '../helm/slot-release';
import { StoredChartRenderer } from '../helm/rerender';
import { attachSummary, type Log, logState, taskLog } from '../report/log';
import type { CheckOutcome, SummaryInput } from '../report/summary';
import { createRouter, type Router } from '../routers';
import { readRecord, type RevisionRef } from '../core/record';
import { sameSettings } from '../core/settings';
import { discardPendingRevision, readReleases } from '../helm/storage';
import { type AppState, foreignRelease, readState, revisionOf } from '../core/state';
import type { TaskContext } from '../task';

export interface Lifecycle<I extends CommonInputs = CommonInputs> {
  task: string;
  ctx: TaskContext<I>;
  inputs: I;
  kube: Kube;
  log: Log;
  router: Router;
  /** Reads releases, routing and the app's record, logs the table, refuses releases the tasks did not make. */
  readState(title?: string): Promise<AppState>;
  /**
   * A helm command killed half-way (agent lost, job cancelled) leaves its release pending-upgrade, and helm
   * refuses every later upgrade of it: return it to the revision before, as an explicit logged step.
   * Returns the state read again when it changed anything.
   */
  repairInterrupted(state: AppState): Promise<AppState>;
  /** The revision a slot holds right now (after an install in this task, say). */
  revisionNow(slot: Slot): Promise<RevisionRef | undefined>;
  /** Runs `body` holding the app's lease. */
  exclusive<T>(body: () => Promise<T>): Promise<T>;
  /** Timeout for helm operations of this task. */
  timeout: string;
  /** How a check request is made (undefined: HTTP); the history tests answer from their model. */
  runCheck?: CheckRunner;
  /** Each check's last result in this task, for the run summary. */
  checkOutcomes: CheckOutcome[];
  /** The run summary of this task for a state: its slots, how testers reach the staged slot, the checks. */
  summary(state: AppState, headline: string, notes: string[]): Omit<SummaryInput, 'outcome'>;
}

export function openLifecycle<I extends CommonInputs>(task: string, ctx: TaskContext<I>): Lifecycle<I> {
  const { inputs } = ctx;
  const kube = new Kube(ctx.connection.kubeConfig);
  const log = taskLog();
  const timeout = (inputs as { timeout?: string }).timeout ?? '10m0s';
  let state: AppState | undefined;

  // Once the lease is held, every write (Kubernetes, helm, Azure) first checks that it still is.
  let guard: (() => void) | undefined;
  const router = createRouter({
    app: inputs.app,
    inputs: inputs.routing,
    kube,
    log,
    renderer: inputs.routing.ownership === 'chart'
      ? new StoredChartRenderer({ helm: ctx.helm, kube, app: inputs.app, chart: inputs.chart, workDir: ctx.workDir, podSelectorLabel: inputs.routing.podSelectorLabel, timeout, task, info: log.info })
      : undefined,
    settleSeconds: inputs.routing.settleSeconds,
    checkAddress: inputs.checkAddress,
    writeGuard: () => guard?.(),
  });

  return {
    task,
    ctx,
    inputs,
    kube,
    log,
    router,
    timeout,
    checkOutcomes: [],
    summary(state, headline, notes) {
      const staged = state.routing.staging;
      return { task, headline, notes, state, testers: staged ? router.target('staging', staged) : undefined, checks: this.checkOutcomes };
    },
    async readState(title = 'Read the blue/green state') {
      return log.step(title, async () => {
        state = await readState(kube, inputs.app, await router.observe(), inputs.routing.podSelectorLabel);
        const foreign = foreignRelease(state);
        if (foreign?.release) {
          throw new Error(
            `Release ${foreign.release.name} in namespace ${foreign.location.namespace} was not installed by the blue/green tasks for app ${inputs.app.name} ` +
              `(it has no bluegreen-app=${inputs.app.name} label); nothing was changed. Choose another app name, or uninstall that release.`,
          );
        }
        log.info(`App ${inputs.app.name} (${inputs.app.layout === 'shared' ? `namespace ${inputs.app.namespace}` : `namespaces blue-/green-${inputs.app.namespace}`}), ${router.label}:`);
        logState(log, state);
        return state;
      });
    },
    async repairInterrupted(current) {
      const stuck = SLOTS.map((slot) => current.slots[slot]).filter((s) => s.release?.status === 'pending-upgrade' || s.release?.status === 'pending-rollback');
      if (!stuck.length) return current;
      await log.step('Repair releases left half-changed by an interrupted helm command', async () => {
        // We hold the app's lease, so no helm of ours is running; the steps that follow re-apply whatever it half changed.
        for (const s of stuck) {
          const release = s.release!;
          log.warn(`Release ${release.name} revision ${release.revision} was left ${release.status} by an interrupted helm command: returning to revision ${release.revision - 1}.`);
          if (!(await discardPendingRevision(kube, release))) await rollbackSlot(ctx.helm, s.location, timeout);
        }
      });
      return this.readState('Read the blue/green state again');
    },
    async revisionNow(slot) {
      const location = locate(inputs.app, slot);
      const release = (await readReleases(kube, [location])).get(location);
      return release ? revisionOf({ slot, location, release, ready: false, role: 'idle' }) : undefined;
    },
    async exclusive<T>(body: () => Promise<T>) {
      const lease = await log.step(`Take the lease of app ${inputs.app.name}`, () =>
        acquireLease(kube, {
          namespace: homeNamespace(inputs.app),
          app: inputs.app.name,
          holder: holderIdentity(inputs.runId, task),
          waitSeconds: inputs.lockTimeoutSeconds,
        }),
      );
      // Fenced: a task that lost its lease (another run took it over) makes no further write of any kind.
      guard = () => lease.assertHeld();
      kube.setWriteGuard(guard);
      ctx.helm.setGuard(guard);
      try {
        // The settings this task was checked against must still be the app's (a Deploy may have changed them meanwhile).
        const recorded = (await readRecord(kube, inputs.app)).settings;
        if (!sameSettings(recorded, inputs.settings.recorded)) {
          throw new Error(`The settings of app ${inputs.app.name} were changed by run ${recorded?.run ?? '(unknown)'} while this task waited for the lease; nothing was changed. Run the task again to work with them.`);
        }
        return await body();
      } catch (err) {
        // The run summary shows a failed step too: what went wrong, and the slots as last seen.
        if (state) attachSummary({ ...this.summary(state, (err as Error).message, []), outcome: 'failed' });
        throw err;
      } finally {
        // A lease we cannot give back expires on its own; the step's own outcome is what matters.
        await lease.release().catch((err) => log.warn(`Could not release the lease of app ${inputs.app.name}: ${(err as Error).message}`));
        guard = undefined;
        kube.setWriteGuard(undefined);
        ctx.helm.setGuard(undefined);
      }
    },
  };
}
