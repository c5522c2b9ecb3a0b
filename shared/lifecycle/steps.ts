// Carries out a plan (plans.ts): each action is one grouped step in the log, in the plan's order. The
// decisions were taken before the first write; what an action does when it fails is fixed here (a failed
// confirmation moves users back before the task fails).
import type { Check } from '../checks/http';
import { locate, type Slot } from '../core/model';
import type { Action } from '../core/plans';
import { now, type Promotion, type RevisionRef, sameRevision, updateRecord } from '../core/record';
import { testSlot, uninstallSlot } from '../helm/slot-release';
import type { Lifecycle } from './context';
import { type CheckSettings, confirm, verify } from './validate';

export interface StepOptions {
  checks: Check[];
  settings: CheckSettings;
  /** RouteTraffic: run `helm test` as part of validation. */
  helmTest?: boolean;
  /** Deploy: installs the new version into a slot. */
  install?(slot: Slot, role: 'production' | 'staging'): Promise<void>;
  /** OnSuccess: what happens to the previous production once the promotion is confirmed. */
  retire?: { policy: 'delete' | 'keep'; drainSeconds: number };
  /** OnFailure: the slot's release is kept unrouted for debugging. */
  keep?: boolean;
}

/** Runs the actions in order; returns notes for the summary. */
export async function execute(lc: Lifecycle, actions: Action[], options: StepOptions): Promise<string[]> {
  const notes: string[] = [];
  for (const action of actions) await run(lc, action, options, notes);
  return notes;
}

async function revision(lc: Lifecycle, slot: Slot | undefined): Promise<RevisionRef | undefined> {
  return slot ? lc.revisionNow(slot) : undefined;
}

async function record(lc: Lifecycle, change: Parameters<typeof updateRecord>[2]): Promise<void> {
  await updateRecord(lc.kube, lc.inputs.app, change);
}

/** Ends this run's begun promotion to `to` (the revision a slot holds now) as confirmed or rolled back. */
async function endPromotion(lc: Lifecycle, to: RevisionRef | undefined, state: Promotion['state']): Promise<void> {
  if (!to) return;
  await record(lc, (r) => ({
    ...r,
    promotions: r.promotions.map((p) => (p.run === lc.inputs.runId && p.state === 'begun' && sameRevision(p.to, to) ? { ...p, state, at: now() } : p)),
  }));
}

/** Moves users back to `to` (the production a promotion replaced), off slot `from`, and records it. */
async function moveUsersBack(lc: Lifecycle, to: Slot, from: Slot): Promise<void> {
  const { router } = lc;
  await router.switchProduction(to, from);
  const routing = await router.observe();
  if (routing.staging === from && routing.stagingPercent > 0) await router.setStagingPercent(from, 0);
  await router.settle(`production is back on slot ${to}`);
  await endPromotion(lc, await revision(lc, from), 'rolledBack');
}

/**
 * Uninstalls a slot's release once no route leads to it, as written AND as the data plane applies it (an
 * earlier task may have died between lowering a share of users and waiting for it).
 */
async function uninstall(lc: Lifecycle, slot: Slot): Promise<void> {
  await lc.router.detach(slot);
  await lc.router.settle(`nothing routes to slot ${slot} any more`);
  await uninstallSlot(lc.ctx.helm, locate(lc.inputs.app, slot), lc.timeout);
  lc.router.changed?.();
}

async function run(lc: Lifecycle, action: Action, o: StepOptions, notes: string[]): Promise<void> {
  const { router, log, inputs } = lc;
  const { app, runId } = inputs;
  switch (action.do) {
    case 'repair-route':
      return log.step(`Repair: route production to slot ${action.slot}`, () => router.establish(action.slot));
    case 'withdraw-users':
      return log.step(`Take real users off slot ${action.slot}`, async () => {
        await router.setStagingPercent(action.slot, 0);
        await router.settle(`users leave slot ${action.slot}`);
        await log.wait(await router.minimumDrainSeconds(), `clients that resolved slot ${action.slot} stop using it`);
      });
    case 'remove':
      return log.step(`Remove slot ${action.slot} (${locate(app, action.slot).release})`, async () => {
        await uninstall(lc, action.slot);
        notes.push(`Slot ${action.slot} (${locate(app, action.slot).release}) was removed.`);
      });
    case 'install':
      if (!o.install) throw new Error('internal: this task does not install');
      return log.step(`Install into slot ${action.slot} (${action.role === 'production' ? 'first deploy: production' : 'staging'})`, async () => {
        try {
          await o.install!(action.slot, action.role);
        } finally {
          router.changed?.();
        }
      });
    case 'go-live':
      return log.step(`Route production to slot ${action.slot}`, async () => {
        // Recorded first: a re-run after a crash between the two writes then repairs the route to it.
        const to = await revision(lc, action.slot);
        if (to) await record(lc, (r) => ({ ...r, promotions: [{ to, run: runId, state: 'confirmed', firstDeploy: true, ...(inputs.requestedBy ? { by: inputs.requestedBy } : {}), at: now() }, ...r.promotions] }));
        await router.establish(action.slot);
      });
    case 'adopt': {
      const to = await revision(lc, action.slot);
      if (to) await record(lc, (r) => ({ ...r, promotions: [{ to, run: to.release, state: 'confirmed', at: now() }, ...r.promotions] }));
      log.info(`Recorded: slot ${action.slot} (${to?.release} revision ${to?.revision}) serves production.`);
      return;
    }
    case 'expose':
      return log.step(`Expose slot ${action.slot} to testers`, async () => {
        await router.exposeStaging(action.slot);
        const t = router.target('staging', action.slot);
        const how = Object.entries(t.headers).map(([k, v]) => `header ${k}: ${v}`).join(', ') || `path ${t.pathPrefix || '/'}`;
        log.info(`Testers reach slot ${action.slot} at ${t.baseUrl}${t.pathPrefix} (${how}); real users do not.`);
      });
    case 'settle':
      return log.step(`Wait for the data plane: ${action.why}`, () => router.settle(action.why));
    case 'validate': {
      const rev = await revision(lc, action.slot);
      await verify(lc, o.checks, o.settings, { staging: action.slot, production: action.production }, `Validate slot ${action.slot} (version ${rev?.version ?? '?'}) on its staging route`);
      if (o.helmTest) await log.step(`helm test ${locate(app, action.slot).release}`, () => testSlot(lc.ctx.helm, locate(app, action.slot), lc.timeout));
      if (rev) {
        const checks = o.checks.filter((c) => c.role === 'staging').map((c) => c.line);
        await record(lc, (r) => ({ ...r, validations: [{ ...rev, run: runId, by: lc.task, checks, at: now() }, ...r.validations] }));
        log.info(`Recorded: ${rev.release} revision ${rev.revision} (version ${rev.version}) passed validation on its staging route${checks.length ? ` (${checks.length} checks${o.helmTest ? ', helm test' : ''})` : ' (no checks configured: route only)'}.`);
      }
      return;
    }
    case 'validate-production':
      return verify(lc, o.checks, o.settings, { production: action.slot }, `Validate production (slot ${action.slot})`);
    case 'set-percent':
      return log.step(`Send ${action.percent} % of users to slot ${action.slot}`, async () => {
        await router.preflight({ percent: action.percent });
        await router.setStagingPercent(action.slot, action.percent);
      });
    case 'begin-promotion': {
      const [to, from] = await Promise.all([revision(lc, action.to), revision(lc, action.from)]);
      if (!to) throw new Error(`Slot ${action.to} has no release any more; production was not changed.`);
      const entry: Promotion = { to, from, run: runId, state: 'begun', ...(action.rollback ? { rollback: true } : {}), ...(inputs.requestedBy ? { by: inputs.requestedBy } : {}), at: now() };
      return record(lc, (r) => ({ ...r, promotions: [entry, ...r.promotions.filter((p) => !(p.run === runId && p.to.release === to.release && p.state === 'begun'))] }));
    }
    case 'switch':
      return log.step(`Switch production from slot ${action.from ?? '(none)'} to slot ${action.to}`, () => router.switchProduction(action.to, action.from));
    case 'confirm':
      try {
        await confirm(lc, o.checks, o.settings, action.to);
      } catch (err) {
        if (!action.from) throw err;
        const from = action.from;
        await log.step(`Roll back: production to slot ${from}`, () => moveUsersBack(lc, from, action.to));
        throw new Error(`${(err as Error).message} Production was switched back to slot ${from}; slot ${action.to} is left staged for investigation.`);
      }
      return;
    case 'end-promotion': {
      const to = await revision(lc, action.to);
      await endPromotion(lc, to, 'confirmed');
      const version = to?.version ?? '?';
      notes.push(`Production switched from slot ${action.from ?? '(none)'} to slot ${action.to} (version ${version}).`);
      return;
    }
    case 'retire': {
      const slot = action.slot;
      const release = locate(app, slot).release;
      if (o.retire?.policy === 'keep') {
        const kept = `Slot ${slot} keeps ${release} (version ${(await revision(lc, slot))?.version ?? '?'}) deployed but unrouted, for a fast rollback.`;
        notes.push(kept);
        log.info(kept);
        return;
      }
      const drain = Math.max(o.retire?.drainSeconds ?? 0, await router.minimumDrainSeconds());
      await log.step(`Retire slot ${slot} (${release})`, async () => {
        await log.wait(drain, `requests already on their way to slot ${slot} finish (drain)`);
        await uninstall(lc, slot);
      });
      notes.push(`Slot ${slot} (${release}) was retired after ${drain} s of draining.`);
      return;
    }
    case 'unroute':
      return log.step(`Unroute slot ${action.slot} and keep it for debugging`, async () => {
        await router.withdrawStaging(action.slot);
        notes.push(`Slot ${action.slot} keeps ${locate(app, action.slot).release} for debugging; nothing routes to it. The next Deploy replaces it.`);
      });
    case 'restore':
      return log.step(`Restore production to slot ${action.to}`, async () => {
        await moveUsersBack(lc, action.to, action.from);
        notes.push(`Production was moved back to slot ${action.to}, the production the interrupted promotion replaced.`);
      });
  }
}
