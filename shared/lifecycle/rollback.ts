// Rollback: production goes back to the previous production kept in the other slot (retirePolicy: keep),
// validated on its staging route first, switched in one routing write, confirmed (users move back at the
// first wrong answer); the version rolled back from is then staged for investigation or removed. A re-run
// after a crash ends where the uninterrupted run would have. Decisions: core/rollback-plan.ts.
import { parseChecks } from '../checks/http';
import type { RollbackInputs } from '../inputs/types';
import { finish, loc, productionOutputs } from '../report/log';
import { planRollback } from '../core/rollback-plan';
import type { TaskContext } from '../task';
import { openLifecycle } from './context';
import { notDeployed } from './namespace-presence';
import { execute } from './steps';
import { checkSettings } from './validate';

export async function rollback(ctx: TaskContext<RollbackInputs>): Promise<void> {
  const lc = openLifecycle('Rollback', ctx);
  const { inputs, log, router } = lc;
  const checks = parseChecks(inputs.checks);
  const settings = checkSettings(inputs);
  const absent = await notDeployed(lc, 'nothing to roll back.');
  if (absent) throw new Error(absent);

  await lc.exclusive(async () => {
    const state = await lc.repairInterrupted(await lc.readState());
    const plan = planRollback(state, inputs.runId, inputs.afterRollback);
    for (const note of plan.notes) log.info(note);
    if (plan.kind === 'rollback') await router.preflight({ promote: plan.to });
    if (!checks.length) log.warn('No checks are configured: the previous version is proven reachable on its staging route, not validated.');
    const notes = await execute(lc, plan.actions, { checks, settings, retire: { policy: 'delete', drainSeconds: inputs.drainSeconds } });
    const after = await lc.readState('Result');
    const version = after.slots[plan.to].release?.version;
    const headline = loc('RolledBack', plan.to, version, after.slots[plan.from].release?.version ?? '(removed)');
    finish(lc.summary(after, headline, [...plan.notes, ...notes]), { ...productionOutputs(after), rolledBackFrom: plan.from });
  });
}
