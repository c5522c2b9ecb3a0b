// OnSuccess: promote this run's validated slot to production with no gap, confirm production serves it
// (moving users back at the first wrong answer), then retire the old slot once nothing reaches it. A
// re-run after a crash ends where the uninterrupted run would have. Decisions: plans.ts's planPromote.
import * as tl from 'azure-pipelines-task-lib/task';
import { parseChecks } from '../checks/http';
import type { OnSuccessInputs } from '../inputs/types';
import { planPromote } from '../core/plans';
import { finish, loc, productionOutputs } from '../report/log';
import type { TaskContext } from '../task';
import { openLifecycle } from './context';
import { notDeployed } from './namespace-presence';
import { execute } from './steps';
import { checkSettings } from './validate';
import { gateWatch, holdGates, preflightGates } from './gates';

export async function onSuccess(ctx: TaskContext<OnSuccessInputs>): Promise<void> {
  const lc = openLifecycle('OnSuccess', ctx);
  const { inputs, log, router } = lc;
  const checks = parseChecks(inputs.checks);
  const settings = checkSettings(inputs);
  const absent = await notDeployed(lc, 'nothing to promote.');
  if (absent) return tl.setResult(tl.TaskResult.Succeeded, absent);

  await lc.exclusive(async () => {
    const state = await lc.repairInterrupted(await lc.readState());
    const plan = planPromote(state, inputs.runId);
    for (const note of plan.notes) log.info(note);
    if (plan.kind === 'nothing') {
      const [headline = 'Nothing to promote.', ...rest] = plan.notes;
      finish(lc.summary(state, headline, rest), { ...productionOutputs(state), promoted: false, retiredSlot: '' });
      return;
    }
    if (plan.kind === 'promote') await router.preflight({ promote: plan.production });
    const options = { checks, settings, retire: { policy: inputs.retire, drainSeconds: inputs.drainSeconds } };
    // Metric gates are a condition of the switch: watched on the staged slot's users right before it
    // (docs/metric-gates.md). A re-run after the switch (kind finish) confirms with the checks only.
    const gates = inputs.gates && plan.kind === 'promote' ? gateWatch(inputs.gates, plan.production!, state.routing.production) : undefined;
    const at = gates ? plan.actions.findIndex((a) => a.do === 'begin-promotion') : -1;
    let notes: string[];
    if (gates && at >= 0) {
      await preflightGates(lc, gates);
      notes = await execute(lc, plan.actions.slice(0, at), options);
      const share = state.routing.staging === gates.slot ? state.routing.stagingPercent : 0;
      if (!share) log.warn(`Slot ${gates.slot} has no share of real users (RouteTraffic sent it none): the metric gates see only what testers send.`);
      notes.push(await holdGates(lc, gates, 'before the switch'));
      notes.push(...(await execute(lc, plan.actions.slice(at), options)));
    } else {
      notes = await execute(lc, plan.actions, options);
    }
    const after = await lc.readState('Result');
    const production = plan.production!;
    const headline = loc('Promoted', production, after.slots[production].release?.version);
    const retired = inputs.retire === 'delete' && plan.retired && !after.slots[plan.retired].release ? plan.retired : '';
    finish(lc.summary(after, headline, [...plan.notes, ...notes]), { ...productionOutputs(after), promoted: true, retiredSlot: retired });
  });
}
