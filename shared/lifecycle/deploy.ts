// Deploy: the new version goes into the idle slot, reachable only by testers once the data plane shows
// it (or straight to production on the first deploy). Everything that can be checked is checked before
// the cluster changes; the decisions are plans.ts's planDeploy.
import { isDeepStrictEqual } from 'node:util';
import type { DeployInputs } from '../inputs/types';
import { homeNamespace, locate, type Slot } from '../core/model';
import { planDeploy } from '../core/plans';
import { installSlot, resolveChart, type ResolvedChart, valuesFromPairs, versionKeysIn, writeValuesFile } from '../helm/slot-release';
import { now, updateRecord } from '../core/record';
import { finish, loc } from '../report/log';
import { describeChanges } from '../core/settings';
import { latestReleaseRecord } from '../helm/stored-chart';
import { annotateRelease, pipelineAnnotations } from '../kubernetes/traceability';
import * as tl from 'azure-pipelines-task-lib/task';
import { printDiagnostics, RolloutError, watchRollout } from '../kubernetes/rollout-watch';
import type { TaskContext } from '../task';
import { type Lifecycle, openLifecycle } from './context';
import { ensureNamespace } from './namespace-presence';
import { execute } from './steps';

function installer(lc: Lifecycle<DeployInputs>, chart: ResolvedChart) {
  const { inputs, ctx, router, log } = lc;
  const { app } = inputs;
  return async (slot: Slot, role: 'production' | 'staging') => {
    const target = locate(app, slot);
    if (target.namespace !== homeNamespace(app)) await ensureNamespace(lc, target.namespace, inputs.createNamespace);
    const files = [...inputs.valueFiles];
    if (inputs.setValues.length) files.push(writeValuesFile(ctx.workDir, 'set-values', valuesFromPairs(inputs.setValues, true)));
    if (inputs.secretValues.length) files.push(writeValuesFile(ctx.workDir, 'secret-values', valuesFromPairs(inputs.secretValues, false)));
    files.push(writeValuesFile(ctx.workDir, 'slot-values', router.installValues(slot, role)));
    // helm waits for the release; meanwhile the slot's pods are watched: progress, fail-fast, diagnostics.
    const watch = { kube: lc.kube, target: { location: target, podSelector: inputs.routing.podSelectorLabel }, rules: inputs.failFast, helmTimeout: inputs.timeout, info: log.info, debug: (l: string) => tl.debug(l) };
    await watchRollout(watch, (signal) => installSlot(ctx.helm, {
      location: target,
      chart,
      app: app.name,
      runId: inputs.runId,
      valueFiles: files,
      timeout: inputs.timeout,
      createNamespace: inputs.createNamespace,
      description: `blue/green Deploy of run ${inputs.runId} into slot ${slot}`,
      // A version passed as a secret value must not become the version every later task shows.
      versionIsSecret: versionKeysIn(inputs.secretValues).length > 0,
      signal,
    }));
  };
}

/** The slot's workloads, Services and routes carry this run's azure-pipelines/* annotations (shared/kubernetes/traceability.ts). */
async function annotate(lc: Lifecycle<DeployInputs>, slot: Slot): Promise<void> {
  const annotations = pipelineAnnotations((name) => tl.getVariable(name));
  if (Object.keys(annotations).length === 0) return;
  await lc.log.step(`Annotate slot ${slot}'s objects with this run`, async () => {
    const location = locate(lc.inputs.app, slot);
    const record = await latestReleaseRecord(lc.kube, location);
    const count = await annotateRelease(lc.kube, location, record?.manifest ?? '', annotations, lc.log.warn);
    lc.log.info(`${count} objects of release ${location.release} newly name run ${annotations['azure-pipelines/run'] ?? '?'} (${annotations['azure-pipelines/runuri'] ?? 'no run URI'}).`);
  });
}

/**
 * Deploy states the app's settings; the later tasks read them (shared/core/settings.ts). Written when they are
 * new or differ from the record in any way: changed on purpose, or a pipeline input such as settleSeconds
 * that Deploy may change freely.
 */
async function recordSettings(lc: Lifecycle<DeployInputs>): Promise<void> {
  const { inputs, kube, log } = lc;
  const { recorded, changes, effective } = inputs.settings;
  if (recorded && isDeepStrictEqual(recorded.inputs, effective)) return;
  await log.step("Record the app's settings", async () => {
    if (changes.length > 0) log.warn(`Changing the settings of app ${inputs.app.name} (changeSettings): ${describeChanges(changes)}.`);
    await updateRecord(kube, inputs.app, (record) => ({ ...record, settings: { inputs: effective, run: inputs.runId, at: now() } }));
    log.info(`Recorded: ${Object.entries(effective).map(([k, v]) => `${k}=${v}`).join(', ') || 'the defaults'}. RouteTraffic, OnSuccess and OnFailure read them from the cluster.`);
  });
}

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
    const state = await lc.repairInterrupted(await lc.readState());
    await recordSettings(lc);
    const plan = planDeploy(state, inputs.runId);
    for (const note of plan.notes) (plan.install ? log.warn : log.info)(note);
    const notes = await execute(lc, plan.actions, { checks: [], settings: { timeoutSeconds: 1, intervalSeconds: 1 }, install: installer(lc, chart) }).catch((err) => {
      // After the install step's group: the rollout's diagnostics in a collapsed group of their own.
      if (err instanceof RolloutError) printDiagnostics(err);
      throw err;
    });

    await annotate(lc, plan.target);
    const after = await lc.readState('Result');
    const release = after.slots[plan.target].release;
    const production = after.routing.production;
    const headline = plan.role === 'production' ? loc('FirstDeploy', release?.version, plan.target) : loc('Staged', release?.version, plan.target, production);
    if (plan.role === 'staging') {
      const t = router.target('staging', plan.target);
      notes.push(`Testers reach slot ${plan.target} at ${t.baseUrl}${t.pathPrefix}${Object.entries(t.headers).map(([k, v]) => ` with header ${k}: ${v}`).join('')}.`);
    }
    const target = locate(app, plan.target);
    finish(lc.summary(after, headline, [...plan.notes, ...notes]), {
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
