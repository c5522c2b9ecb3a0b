// Deploy: the new version goes into the idle slot, reachable only by testers (or straight to
// production on the first deploy). Everything that can be checked is checked before the cluster changes.
import type { DeployInputs } from '../inputs';
import { homeNamespace, locate, otherSlot } from '../model';
import { installSlot, resolveChart, uninstallSlot, valuesFromPairs, writeValuesFile } from '../release-ops';
import { finish, loc } from '../report';
import { planDeploy } from '../slots';
import type { TaskContext } from '../task';
import { openLifecycle } from './context';
import { ensureNamespace } from './namespaces';

export async function deploy(ctx: TaskContext<DeployInputs>): Promise<void> {
  const lc = openLifecycle('Deploy', ctx);
  const { inputs, log, router } = lc;
  const { app } = inputs;

  const chart = await log.step('Fetch the chart', async () => {
    const resolved = await resolveChart(ctx.helm, inputs.chart, ctx.workDir);
    log.info(`Chart: ${resolved.describe}`);
    return resolved;
  });
  await router.preflight({});
  await ensureNamespace(lc, homeNamespace(app), inputs.createNamespace);

  await lc.exclusive(async () => {
    const state = await lc.readState();
    const plan = planDeploy(state, inputs.runId);
    for (const note of plan.notes) (plan.install ? log.warn : log.info)(note);
    const target = locate(app, plan.target);

    if (plan.repairProduction) {
      const slot = plan.repairProduction;
      await log.step(`Repair: route production to slot ${slot}`, async () => {
        await router.establish(slot);
        await router.settle('production routed again');
      });
    }
    if (plan.withdrawUsersFirst) {
      await log.step(`Take real users off slot ${plan.target} before replacing it`, async () => {
        await router.setStagingPercent(plan.target, 0);
        await router.settle('users leave the slot');
      });
    }
    if (plan.uninstallFirst) {
      await log.step(`Remove the ${state.slots[plan.target].release?.status} release in slot ${plan.target}`, async () => {
        await router.detach(plan.target);
        await uninstallSlot(ctx.helm, target, lc.timeout);
      });
    }

    if (plan.install) await log.step(`Install into slot ${plan.target} (${plan.role === 'production' ? 'first deploy: production' : 'staging'})`, async () => {
      if (target.namespace !== homeNamespace(app)) await ensureNamespace(lc, target.namespace, inputs.createNamespace);
      const files = [...inputs.valueFiles];
      if (inputs.setValues.length) files.push(writeValuesFile(ctx.workDir, 'set-values', valuesFromPairs(inputs.setValues, true)));
      if (inputs.secretValues.length) files.push(writeValuesFile(ctx.workDir, 'secret-values', valuesFromPairs(inputs.secretValues, false)));
      files.push(writeValuesFile(ctx.workDir, 'slot-values', router.installValues(plan.target, plan.role)));
      await installSlot(ctx.helm, {
        location: target,
        chart,
        app: app.name,
        runId: inputs.runId,
        valueFiles: files,
        timeout: inputs.timeout,
        createNamespace: inputs.createNamespace,
        description: `blue/green Deploy of run ${inputs.runId} into slot ${plan.target}`,
      });
    });

    if (plan.role === 'production') {
      if (plan.install || state.routing.production !== plan.target) await log.step(`Route production to slot ${plan.target}`, async () => {
        await router.establish(plan.target);
        await router.settle('production routed');
      });
    } else if (plan.install || state.routing.staging !== plan.target) {
      await log.step(`Expose slot ${plan.target} to testers`, async () => {
        await router.exposeStaging(plan.target);
        const t = router.target('staging', plan.target);
        const how = Object.entries(t.headers).map(([k, v]) => `header ${k}: ${v}`).join(', ') || `path ${t.pathPrefix || '/'}`;
        log.info(`Testers reach slot ${plan.target} at ${t.baseUrl}${t.pathPrefix} (${how}); real users still go to slot ${otherSlot(plan.target)}.`);
      });
    }

    const after = await lc.readState('Result');
    const release = after.slots[plan.target].release;
    const production = after.routing.production;
    const headline = plan.role === 'production' ? loc('FirstDeploy', release?.version, plan.target) : loc('Staged', release?.version, plan.target, production);
    finish('Deploy', after, headline, plan.notes, {
      slot: plan.target,
      stagingSlot: plan.role === 'staging' ? plan.target : '',
      productionSlot: production ?? '',
      releaseName: target.release,
      namespace: target.namespace,
      firstDeploy: plan.role === 'production',
      version: release?.version,
    });
  });
}
