// OnSuccess: promote this run's staged slot to production with no gap, confirm production serves it,
// then retire the old slot once nothing reaches it. A re-run after a crash picks up where it stopped.
import * as tl from 'azure-pipelines-task-lib/task';
import { parseChecks } from '../checks';
import type { OnSuccessInputs } from '../inputs';
import { locate, type Slot } from '../model';
import { uninstallSlot } from '../release-ops';
import { finish, loc, productionOutputs } from '../report';
import { type AppState, planPromote } from '../slots';
import type { TaskContext } from '../task';
import { type Lifecycle, openLifecycle } from './context';
import { notDeployed } from './namespaces';
import { checkSettings, verify } from './validate';

async function retire(lc: Lifecycle<OnSuccessInputs>, state: AppState, slot: Slot, notes: string[]): Promise<void> {
  const { inputs, log, router } = lc;
  const release = state.slots[slot].release;
  if (!release) return;
  if (inputs.retire === 'keep') {
    notes.push(`Slot ${slot} keeps ${release.name} (version ${release.version}) deployed but unrouted, for a fast rollback.`);
    log.info(notes[notes.length - 1]);
    return;
  }
  const drain = Math.max(inputs.drainSeconds, await router.minimumDrainSeconds());
  await log.step(`Retire slot ${slot} (${release.name}, version ${release.version})`, async () => {
    await log.wait(drain, `requests already on their way to slot ${slot} finish (drain)`);
    await router.detach(slot);
    await uninstallSlot(lc.ctx.helm, locate(inputs.app, slot), lc.timeout);
  });
  notes.push(`Slot ${slot} (version ${release.version}) was retired after ${drain} s of draining.`);
}

export async function onSuccess(ctx: TaskContext<OnSuccessInputs>): Promise<void> {
  const lc = openLifecycle('OnSuccess', ctx);
  const { inputs, log, router } = lc;
  const checks = parseChecks(inputs.checks);
  const settings = checkSettings(inputs);
  const absent = await notDeployed(lc, 'nothing to promote.');
  if (absent) return tl.setResult(tl.TaskResult.Succeeded, absent);

  await lc.exclusive(async () => {
    const state = await lc.readState();
    const plan = planPromote(state, inputs.runId);
    const notes: string[] = [];
    if (plan.kind === 'nothing') {
      log.info(plan.reason);
      finish('OnSuccess', state, plan.reason, [], { ...productionOutputs(state), promoted: false, retiredSlot: '' });
      return;
    }

    let production: Slot;
    let retiring: Slot | undefined;
    if (plan.kind === 'promote') {
      const { to, from } = plan;
      await router.preflight({});
      if (state.routing.staging === to) {
        await verify(lc, checks, settings, { staging: to, production: from }, `Validate slot ${to} once more before the switch`);
      } else if (checks.length) {
        // Not on its staging route any more: an earlier run began the switch and died. The checks run on
        // production right after the switch, which is rolled back if they fail.
        log.warn(`Slot ${to} is no longer on its staging route (an interrupted switch); it is validated on production right after the switch.`);
      }
      await log.step(`Switch production from slot ${from ?? '(none)'} to slot ${to}`, async () => {
        await router.switchProduction(to, from);
        await router.settle(`production moves to slot ${to}`);
      });
      try {
        await verify(lc, checks, settings, { production: to }, `Confirm production serves slot ${to}`);
      } catch (err) {
        if (!from) throw err;
        await log.step(`Roll back: production to slot ${from}`, async () => {
          await router.switchProduction(from, to);
          await router.settle(`production back on slot ${from}`);
        });
        throw new Error(`${(err as Error).message} Production was switched back to slot ${from}; slot ${to} is left staged for investigation.`);
      }
      notes.push(`Production switched from slot ${from ?? '(none)'} to slot ${to} (version ${state.slots[to].release?.version}).`);
      production = to;
      retiring = from && state.slots[from].release ? from : undefined;
    } else {
      log.info(`Slot ${plan.production} already serves production (this run's release): finishing the promotion.`);
      await verify(lc, checks, settings, { production: plan.production }, `Confirm production serves slot ${plan.production}`);
      production = plan.production;
      retiring = plan.retire;
    }

    if (retiring) await retire(lc, state, retiring, notes);
    const after = await lc.readState('Result');
    const headline = loc('Promoted', production, after.slots[production].release?.version);
    finish('OnSuccess', after, headline, notes, { ...productionOutputs(after), promoted: true, retiredSlot: inputs.retire === 'delete' && retiring ? retiring : '' });
  });
}
