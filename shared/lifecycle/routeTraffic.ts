// RouteTraffic: validate the staged slot (HTTP checks, optionally helm test), then optionally send it a
// share of real users. Any failed check fails the task, so the pipeline runs on.failure.
import { parseChecks } from '../checks';
import type { RouteTrafficInputs } from '../inputs';
import { locate } from '../model';
import { testSlot } from '../release-ops';
import { finish, loc, setOutputs } from '../report';
import { planValidate } from '../slots';
import type { TaskContext } from '../task';
import { openLifecycle } from './context';
import { notDeployed } from './namespaces';
import { checkSettings, verify } from './validate';

export async function routeTraffic(ctx: TaskContext<RouteTrafficInputs>): Promise<void> {
  const lc = openLifecycle('RouteTraffic', ctx);
  const { inputs, log, router } = lc;
  const checks = parseChecks(inputs.checks);
  const settings = checkSettings(inputs);
  await router.preflight({ percent: inputs.trafficPercent });
  const absent = await notDeployed(lc, 'nothing to validate. Run Deploy first.');
  if (absent) throw new Error(absent);

  await lc.exclusive(async () => {
    const state = await lc.readState();
    const plan = planValidate(state, inputs.runId);
    if (!checks.length && !inputs.helmTest) log.warn('No checks and no helm test are configured: the staged version is not validated.');

    // A failed check fails the task; the output says so to later stages (e.g. a condition on a manual step).
    setOutputs({ checksPassed: false });
    if (plan.kind === 'production') {
      log.warn(`This run's release went straight to production in slot ${plan.slot} (first deploy): validating production.`);
      if (inputs.trafficPercent > 0) log.warn(`trafficPercent ${inputs.trafficPercent} is ignored: slot ${plan.slot} already receives every user.`);
      await verify(lc, checks, settings, { production: plan.slot }, `Validate production (slot ${plan.slot})`);
    } else {
      await verify(lc, checks, settings, { staging: plan.slot, production: plan.production }, `Validate slot ${plan.slot}`);
      if (inputs.helmTest) {
        await log.step(`helm test ${locate(inputs.app, plan.slot).release}`, () => testSlot(ctx.helm, locate(inputs.app, plan.slot), inputs.timeout));
      }
      const current = state.routing.staging === plan.slot ? state.routing.stagingPercent : 0;
      if (inputs.trafficPercent !== current) {
        await log.step(`Send ${inputs.trafficPercent} % of users to slot ${plan.slot}`, async () => {
          await router.setStagingPercent(plan.slot, inputs.trafficPercent);
          await router.settle(`${inputs.trafficPercent} % of users to slot ${plan.slot}`);
        });
      }
    }
    const after = await lc.readState('Result');
    const version = after.slots[plan.slot].release?.version;
    const headline =
      plan.kind === 'production'
        ? loc('ProductionValidated', plan.slot)
        : inputs.trafficPercent
          ? loc('StagingValidatedWithUsers', plan.slot, version, inputs.trafficPercent)
          : loc('StagingValidated', plan.slot, version);
    finish('RouteTraffic', after, headline, checks.map((c) => `check: ${c.line}`), {
      stagingSlot: plan.kind === 'staging' ? plan.slot : '',
      productionSlot: after.routing.production ?? '',
      trafficPercent: plan.kind === 'staging' ? inputs.trafficPercent : 100,
      checksPassed: true,
    });
  });
}
