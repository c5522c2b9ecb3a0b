// OnFailure: withdraw this run's slot. Users leave it first, then testers; the release is removed unless
// kept (unrouted) for debugging. Production is never touched, except to undo this run's own promotion
// when it was interrupted before being confirmed. Decisions: plans.ts's planWithdraw.
import * as tl from 'azure-pipelines-task-lib/task';
import type { OnFailureInputs } from '../inputs/types';
import { planWithdraw } from '../core/plans';
import { finish, loc, productionOutputs } from '../report/log';
import type { TaskContext } from '../task';
import { openLifecycle } from './context';
import { notDeployed } from './namespace-presence';
import { execute } from './steps';

export async function onFailure(ctx: TaskContext<OnFailureInputs>): Promise<void> {
  const lc = openLifecycle('OnFailure', ctx);
  const { inputs, log } = lc;
  const absent = await notDeployed(lc, 'nothing to withdraw.');
  if (absent) return tl.setResult(tl.TaskResult.Succeeded, absent);

  await lc.exclusive(async () => {
    const state = await lc.repairInterrupted(await lc.readState());
    const plan = planWithdraw(state, inputs.runId, inputs.keepFailedSlot);
    for (const note of plan.notes) log.info(note);
    if (plan.kind === 'nothing') {
      finish(lc.summary(state, plan.notes[0] ?? 'Nothing to withdraw.', []), { ...productionOutputs(state), rejectedSlot: '' });
      return;
    }
    const notes = await execute(lc, plan.actions, { checks: [], settings: { timeoutSeconds: 1, intervalSeconds: 1 }, keep: inputs.keepFailedSlot });
    const after = await lc.readState('Result');
    const headline = loc('Withdrawn', plan.slot, after.routing.production ?? '(none)');
    finish(lc.summary(after, headline, [...plan.notes, ...notes]), { ...productionOutputs(after), rejectedSlot: plan.slot });
  });
}
