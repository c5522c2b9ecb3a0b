// RouteTraffic: prove the staging route reaches this run's slot, validate it (HTTP checks, optionally
// helm test), record the validation in the app's record, then optionally send it a share of real users.
// Any failed check fails the task, so the pipeline runs on.failure. Decisions: plans.ts's planValidate.
import { parseChecks } from '../checks';
import type { RouteTrafficInputs } from '../inputs';
import { planValidate } from '../plans';
import { finish, loc, setOutputs } from '../report';
import type { TaskContext } from '../task';
import { openLifecycle } from './context';
import { notDeployed } from './namespaces';
import { execute } from './steps';
import { checkSettings } from './validate';
import { gateWatch, holdGates, preflightGates } from './gates';

export async function routeTraffic(ctx: TaskContext<RouteTrafficInputs>): Promise<void> {
  const lc = openLifecycle('RouteTraffic', ctx);
  const { inputs, log, router } = lc;
  const checks = parseChecks(inputs.checks);
  const settings = checkSettings(inputs);
  await router.preflight({ percent: inputs.trafficPercent });
  const absent = await notDeployed(lc, 'nothing to validate. Run Deploy first.');
  if (absent) throw new Error(absent);

  await lc.exclusive(async () => {
    const state = await lc.repairInterrupted(await lc.readState());
    const plan = planValidate(state, inputs.runId, inputs.trafficPercent);
    for (const note of plan.notes) log.warn(note);
    if (!checks.length && !inputs.helmTest) log.warn('No checks and no helm test are configured: only the staging route is proven, the staged version is not validated.');
    if (plan.kind === 'production' && inputs.trafficPercent > 0) log.warn(`trafficPercent ${inputs.trafficPercent} is ignored: slot ${plan.slot} already receives every user.`);

    // A failed check fails the task; the output says so to later stages (e.g. a condition on a manual step).
    setOutputs({ checksPassed: false });
    // Metric gates judge the staged slot by its real users, after the checks and once users reach it.
    const gates = inputs.gates && plan.kind === 'staging' ? gateWatch(inputs.gates, plan.slot, state.routing.production) : undefined;
    if (inputs.gates && !gates) log.info('Metric gates are not evaluated: this run\'s release is production already (first deploy), there is no staged slot to judge.');
    if (gates) await preflightGates(lc, gates);
    const notes = await execute(lc, plan.actions, { checks, settings, helmTest: plan.kind === 'staging' && inputs.helmTest });
    if (gates) notes.push(await holdGates(lc, gates, inputs.trafficPercent ? `with ${inputs.trafficPercent} % of users` : '(testers only, no user share)'));

    const after = await lc.readState('Result');
    const version = after.slots[plan.slot].release?.version;
    const headline =
      plan.kind === 'production'
        ? loc('ProductionValidated', plan.slot)
        : inputs.trafficPercent
          ? loc('StagingValidatedWithUsers', plan.slot, version, inputs.trafficPercent)
          : loc('StagingValidated', plan.slot, version);
    finish('RouteTraffic', after, headline, [...plan.notes, ...notes, ...checks.map((c) => `check passed: ${c.line}`)], {
      stagingSlot: plan.kind === 'staging' ? plan.slot : '',
      productionSlot: after.routing.production ?? '',
      trafficPercent: plan.kind === 'staging' ? inputs.trafficPercent : 100,
      checksPassed: true,
    });
  });
}
