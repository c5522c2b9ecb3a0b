// RouteTraffic: prove the staging route reaches this run's slot, validate it (HTTP checks, optionally
// helm test), record the validation in the app's record, then optionally send it a share of real users.
// Any failed check fails the task, so the pipeline runs on.failure. Decisions: plans.ts's planValidate.
import { parseChecks } from '../checks/http';
import type { RouteTrafficInputs } from '../inputs/types';
import { planValidate } from '../core/plans';
import { finish, loc, setOutputs } from '../report/log';
import type { TaskContext } from '../task';
import { openLifecycle } from './context';
import { notDeployed } from './namespace-presence';
import { execute } from './steps';
import { checkSettings } from './validate';
import { gateWatch, holdGates, preflightGates } from './gates';
import { climb } from './progressive';

export async function routeTraffic(ctx: TaskContext<RouteTrafficInputs>): Promise<void> {
  const lc = openLifecycle('RouteTraffic', ctx);
  const { inputs, log, router } = lc;
  const checks = parseChecks(inputs.checks);
  const settings = checkSettings(inputs);
  const steps = inputs.trafficSteps?.percents;
  // The share the slot ends with: the last step, or trafficPercent.
  const percent = steps?.at(-1) ?? inputs.trafficPercent;
  await router.preflight({ percent });
  const absent = await notDeployed(lc, 'nothing to validate. Run Deploy first.');
  if (absent) throw new Error(absent);

  await lc.exclusive(async () => {
    const state = await lc.repairInterrupted(await lc.readState());
    const plan = planValidate(state, inputs.runId, steps?.[0] ?? inputs.trafficPercent);
    for (const note of plan.notes) log.warn(note);
    if (!checks.length && !inputs.helmTest) log.warn('No checks and no helm test are configured: only the staging route is proven, the staged version is not validated.');
    if (plan.kind === 'production' && percent > 0) log.warn(`${steps ? 'trafficSteps are' : `trafficPercent ${percent} is`} ignored: slot ${plan.slot} already receives every user.`);

    // A failed check fails the task; the output says so to later stages (e.g. a condition on a manual step).
    setOutputs({ checksPassed: false });
    // Metric gates judge the staged slot by its real users, after the checks and once users reach it.
    const gates = inputs.gates && plan.kind === 'staging' ? gateWatch(inputs.gates, plan.slot, state.routing.production) : undefined;
    if (inputs.gates && !gates) log.info('Metric gates are not evaluated: this run\'s release is production already (first deploy), there is no staged slot to judge.');
    if (gates) await preflightGates(lc, gates);
    const notes = await execute(lc, plan.actions, { checks, settings, helmTest: plan.kind === 'staging' && inputs.helmTest });
    if (steps && plan.kind === 'staging') notes.push(...(await climb(lc, inputs.trafficSteps!, plan.slot, gates)));
    else if (gates) notes.push(await holdGates(lc, gates, inputs.trafficPercent ? `with ${inputs.trafficPercent} % of users` : '(testers only, no user share)'));

    const after = await lc.readState('Result');
    const version = after.slots[plan.slot].release?.version;
    const headline =
      plan.kind === 'production'
        ? loc('ProductionValidated', plan.slot)
        : percent
          ? loc('StagingValidatedWithUsers', plan.slot, version, percent)
          : loc('StagingValidated', plan.slot, version);
    finish(lc.summary(after, headline, [...plan.notes, ...notes]), {
      stagingSlot: plan.kind === 'staging' ? plan.slot : '',
      productionSlot: after.routing.production ?? '',
      trafficPercent: plan.kind === 'staging' ? percent : 100,
      checksPassed: true,
    });
  });
}
