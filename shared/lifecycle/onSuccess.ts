// OnSuccess: promote this run's validated slot to production with no gap, confirm production serves it
// (moving users back at the first wrong answer), then retire the old slot once nothing reaches it. A
// re-run after a crash ends where the uninterrupted run would have. Decisions: plans.ts's planPromote.
import * as tl from 'azure-pipelines-task-lib/task';
import { parseChecks } from '../checks';
import type { OnSuccessInputs } from '../inputs';
import { planPromote } from '../plans';
import { finish, loc, productionOutputs } from '../report';
import type { TaskContext } from '../task';
import { openLifecycle } from './context';
import { notDeployed } from './namespaces';
import { execute } from './steps';
import { checkSettings } from './validate';

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
      finish(lc.summary(state, plan.notes[0], plan.notes.slice(1)), { ...productionOutputs(state), promoted: false, retiredSlot: '' });
      return;
    }
    if (plan.kind === 'promote') await router.preflight({ promote: plan.production });
    const notes = await execute(lc, plan.actions, { checks, settings, retire: { policy: inputs.retire, drainSeconds: inputs.drainSeconds } });
    const after = await lc.readState('Result');
    const production = plan.production!;
    const headline = loc('Promoted', production, after.slots[production].release?.version);
    const retired = inputs.retire === 'delete' && plan.retired && !after.slots[plan.retired].release ? plan.retired : '';
    finish(lc.summary(after, headline, [...plan.notes, ...notes]), { ...productionOutputs(after), promoted: true, retiredSlot: retired });
  });
}
