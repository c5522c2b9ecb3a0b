// OnFailure: withdraw this run's staged slot. Users leave it first, then testers; the release is
// removed unless kept (unrouted) for debugging. Production is never touched.
import * as tl from 'azure-pipelines-task-lib/task';
import type { OnFailureInputs } from '../inputs';
import { locate } from '../model';
import { uninstallSlot } from '../release-ops';
import { finish, loc, productionOutputs } from '../report';
import { planWithdraw } from '../slots';
import type { TaskContext } from '../task';
import { openLifecycle } from './context';
import { notDeployed } from './namespaces';

export async function onFailure(ctx: TaskContext<OnFailureInputs>): Promise<void> {
  const lc = openLifecycle('OnFailure', ctx);
  const { inputs, log, router } = lc;
  const absent = await notDeployed(lc, 'nothing to withdraw.');
  if (absent) return tl.setResult(tl.TaskResult.Succeeded, absent);

  await lc.exclusive(async () => {
    const state = await lc.readState();
    const plan = planWithdraw(state, inputs.runId);
    if (plan.kind === 'nothing') {
      log.info(plan.reason);
      finish('OnFailure', state, plan.reason, [], { ...productionOutputs(state), rejectedSlot: '' });
      return;
    }
    const { slot } = plan;
    const release = state.slots[slot].release;
    const notes: string[] = [];
    if (plan.hadUsers) {
      await log.step(`Take real users off slot ${slot}`, async () => {
        await router.setStagingPercent(slot, 0);
        await router.settle(`users leave slot ${slot}`);
        await log.wait(await router.minimumDrainSeconds(), `clients that resolved slot ${slot} stop using it`);
      });
      notes.push(`Real users were taken off slot ${slot}.`);
    }
    if (inputs.keepFailedSlot) {
      await log.step(`Unroute slot ${slot} and keep it for debugging`, async () => {
        if (release?.status === 'deployed') await router.withdrawStaging(slot);
        else await router.detach(slot);
      });
      notes.push(`Slot ${slot} keeps ${release?.name} (${release?.status}) for debugging; nothing routes to it. The next Deploy replaces it.`);
    } else {
      await log.step(`Remove slot ${slot} (${release?.name}, ${release?.status})`, async () => {
        await router.detach(slot);
        await uninstallSlot(ctx.helm, locate(inputs.app, slot), lc.timeout);
      });
      notes.push(`Slot ${slot} (${release?.name}) was removed.`);
    }
    const after = await lc.readState('Result');
    const headline = loc('Withdrawn', slot, after.routing.production ?? '(none)');
    finish('OnFailure', after, headline, notes, { ...productionOutputs(after), rejectedSlot: slot });
  });
}
