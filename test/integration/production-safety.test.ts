// Production is sacred: the review's cases, each on the emulated cluster with the bundled tasks and a
// traffic probe sending production requests throughout. Each failed before the lifecycle decided from
// routing and the app's record (run with BLUEGREEN_TASKS_DIR pointing at an older build to see it).
import * as assert from 'node:assert/strict';
import type { TaskRun } from '../cluster/agent';
import { resource } from '../cluster/dataplane/fixtures';
import type { Probe, ProbeResult } from '../cluster/probe';
import { checksFor, type Env, type RouterName, startEnv, version } from './env';
import { activeRelease, expectOutcome, phase, releasesIn } from './expect';

/** A check that does not look for the version: it passes on any slot that answers 200. */
const PING = { checks: 'GET /ping expect 200' };

function noFailures(result: ProbeResult): void {
  for (const p of result.phases) assert.equal(p.failures, 0, `${p.phase}: users saw failures ${JSON.stringify(p.statuses)}`);
}

/** Kills `task` right after its first write matching `match` (the write is applied), like a lost agent. */
async function killAfter(env: Env, task: 'OnSuccess', run: number, inputs: Record<string, string>, match: { resource: string; name: string }): Promise<void> {
  env.cluster.faults.crashAfterWrite(1, match);
  const started = env.startTask(task, run, inputs);
  let crashed = false;
  const onCrash = () => {
    crashed = true;
    started.kill('SIGKILL');
  };
  env.cluster.faults.once('crash', onCrash);
  try {
    await started.done;
  } finally {
    env.cluster.faults.off('crash', onCrash);
    env.cluster.faults.clear();
  }
  assert.ok(crashed, `${task} never wrote ${match.resource}/${match.name}`);
}

/** Scales a slot's Deployment from 2 to 3 replicas whose new pod stays unready: production, briefly not all ready. */
async function scaleUpUnready(env: Env, release: string): Promise<void> {
  env.cluster.setReadyDelay(120_000);
  const deployment = env.cluster.store.ofKind('Deployment', 'calc').find((d) => d.metadata.labels?.['app.kubernetes.io/instance'] === release)!;
  env.cluster.store.put(resource('Deployment'), { ...deployment, spec: { ...deployment.spec, replicas: 3 } });
  await new Promise((r) => setTimeout(r, 500));
  env.cluster.setReadyDelay(50);
}

// Case 0: the data plane applies a route seconds after it is written (ingress-nginx syncs every 3.3 s;
// AGIC pushes each change through ARM). A check that only asks for a 200 must still be answered by the
// staged version, never by production through a route that is not applied yet.
const slowDataPlanes: Array<{ router: RouterName; ownership: 'managed' | 'chart'; realistic?: boolean; armDelayMs?: number }> = [
  { router: 'nginx', ownership: 'managed', realistic: true },
  { router: 'appgw', ownership: 'managed', armDelayMs: 6000 },
  { router: 'appgw', ownership: 'chart', armDelayMs: 6000 },
];
for (const c of slowDataPlanes) {
  describe(`production safety, case 0: a slow data plane (${c.ownership} ${c.router}, helm v4)`, function () {
    this.timeout(600_000);
    let env: Env;
    let result: ProbeResult;
    const runs: Record<string, TaskRun> = {};

    before(async () => {
      env = await startEnv({ helm: 'v4', router: c.router, ownership: c.ownership, realistic: c.realistic, armDelayMs: c.armDelayMs });
      expectOutcome(await env.task('Deploy', 1, version('1.0.0')), 'Succeeded');
      // Production is established and served (as in the review): a request that falls through reaches it.
      await env.dataplane.settled();
      const probe = env.probe();
      probe.mark('deploy v2 (answers 500)');
      runs.deploy = await env.task('Deploy', 2, version('2.0.0', { fail: true }));
      probe.mark('route traffic');
      runs.route = await env.task('RouteTraffic', 2, { ...PING, checkTimeout: '10' });
      probe.mark('promote anyway');
      runs.promote = await env.task('OnSuccess', 2, { ...PING, checkTimeout: '10' });
      probe.mark('reject');
      runs.reject = await env.task('OnFailure', 2);
      result = await probe.stop();
    });
    after(() => env?.close());

    it('RouteTraffic fails: the check was answered by the staged version, not by production', () => {
      expectOutcome(runs.deploy, 'Succeeded');
      expectOutcome(runs.route, 'Failed');
      assert.match(runs.route.message, /answered 500, expected 200/);
      assert.match(runs.route.log, /applied the change|Wait for the data plane/);
    });

    it('OnSuccess without a validation re-validates on the staging route and refuses, production untouched', () => {
      expectOutcome(runs.promote, 'Failed');
      assert.match(runs.promote.message, /answered 500/);
      assert.doesNotMatch(runs.promote.log, /Switch production/);
    });

    it('users never saw a failure or version 2.0.0; OnFailure removed it', () => {
      expectOutcome(runs.reject, 'Succeeded');
      noFailures(result);
      for (const p of result.phases) assert.equal(p.versions['2.0.0'], undefined, `${p.phase}: ${JSON.stringify(p.versions)}`);
      assert.deepEqual(releasesIn(env, 'calc'), ['calc-blue']);
    });
  });
}

describe('production safety, cases 1-3: managed nginx, helm v4', function () {
  this.timeout(600_000);

  // Case 1: production is decided by routing, never by readiness.
  it('case 1: a production slot scaling up (not all pods ready) is not uninstalled; v2 is staged beside it', async () => {
    const env = await startEnv({ helm: 'v4', router: 'nginx', ownership: 'managed' });
    try {
      expectOutcome(await env.task('Deploy', 1, version('1.0.0')), 'Succeeded');
      const probe = env.probe();
      await scaleUpUnready(env, 'calc-blue');
      probe.mark('deploy v2 while blue scales');
      const deploy = await env.task('Deploy', 2, version('2.0.0', { fail: true }));
      const result = await probe.stop();
      expectOutcome(deploy, 'Succeeded');
      assert.equal(deploy.outputs.stagingSlot, 'green');
      assert.equal(deploy.outputs.productionSlot, 'blue');
      assert.match(deploy.log, /serves production but not all its pods are ready/);
      assert.deepEqual(releasesIn(env, 'calc'), ['calc-blue', 'calc-green']);
      assert.equal(activeRelease(env), 'calc-blue');
      noFailures(result);
      assert.deepEqual(Object.keys(phase(result, 'deploy v2 while blue scales').versions), ['1.0.0']);
    } finally {
      await env.close();
    }
  });

  it('case 1b: with a rejected release kept in green, the same blip neither routes users to green nor overwrites blue', async () => {
    const env = await startEnv({ helm: 'v4', router: 'nginx', ownership: 'managed' });
    try {
      expectOutcome(await env.task('Deploy', 1, version('1.0.0')), 'Succeeded');
      expectOutcome(await env.task('Deploy', 2, version('2.0.0', { fail: true })), 'Succeeded');
      expectOutcome(await env.task('RouteTraffic', 2, { ...checksFor('2.0.0'), checkTimeout: '3' }), 'Failed');
      expectOutcome(await env.task('OnFailure', 2, { keepFailedSlot: 'true' }), 'Succeeded');
      const probe = env.probe();
      await scaleUpUnready(env, 'calc-blue');
      const deploy = await env.task('Deploy', 3, version('3.0.0'));
      const result = await probe.stop();
      expectOutcome(deploy, 'Succeeded');
      assert.equal(deploy.outputs.stagingSlot, 'green', 'the kept failed slot is the one replaced');
      assert.equal(activeRelease(env), 'calc-blue');
      noFailures(result);
      for (const p of result.phases) assert.deepEqual(Object.keys(p.versions), ['1.0.0'], `${p.phase}: ${JSON.stringify(p.versions)}`);
    } finally {
      await env.close();
    }
  });

  // Case 2: a retried RouteTraffic after OnFailure kept the slot must validate the slot, not production.
  it('case 2: RouteTraffic retried after OnFailure kept the slot validates that slot again (and fails), never production', async () => {
    const env = await startEnv({ helm: 'v4', router: 'nginx', ownership: 'managed' });
    try {
      expectOutcome(await env.task('Deploy', 1, version('1.0.0')), 'Succeeded');
      const probe = env.probe();
      expectOutcome(await env.task('Deploy', 2, version('2.0.0', { fail: true })), 'Succeeded');
      expectOutcome(await env.task('RouteTraffic', 2, { ...PING, checkTimeout: '3' }), 'Failed');
      expectOutcome(await env.task('OnFailure', 2, { keepFailedSlot: 'true' }), 'Succeeded');
      probe.mark('retry');
      const retry = await env.task('RouteTraffic', 2, { ...PING, checkTimeout: '3' });
      expectOutcome(retry, 'Failed');
      assert.match(retry.log, /not on the staging route: exposing it to testers again/);
      assert.match(retry.message, /answered 500/);
      assert.doesNotMatch(retry.log, /passed validation/);
      const promote = await env.task('OnSuccess', 2, PING);
      expectOutcome(promote, 'Failed');
      assert.doesNotMatch(promote.log, /interrupted switch|Switch production/);
      const result = await probe.stop();
      noFailures(result);
      assert.equal(activeRelease(env), 'calc-blue');
    } finally {
      await env.close();
    }
  });

  // Case 3: OnSuccess killed right after its switch.
  const confirmFails = { checks: `${checksFor('2.0.0').checks}\nproduction: GET /ping expect 200 contains "version":"1.0.0"` };
  async function killedAfterSwitch(): Promise<{ env: Env; probe: Probe }> {
    const env = await startEnv({ helm: 'v4', router: 'nginx', ownership: 'managed' });
    expectOutcome(await env.task('Deploy', 1, version('1.0.0')), 'Succeeded');
    expectOutcome(await env.task('Deploy', 2, version('2.0.0')), 'Succeeded');
    expectOutcome(await env.task('RouteTraffic', 2, checksFor('2.0.0')), 'Succeeded');
    const probe = env.probe();
    probe.mark('killed after the switch');
    await killAfter(env, 'OnSuccess', 2, confirmFails, { resource: 'services', name: 'calc-active' });
    assert.equal(activeRelease(env), 'calc-green', 'the switch was written before the kill');
    return { env, probe };
  }

  it('case 3: re-run after the kill confirms, fails, and moves users back to the previous production at once', async () => {
    const { env, probe } = await killedAfterSwitch();
    try {
      probe.mark('re-run');
      const rerun = await env.task('OnSuccess', 2, confirmFails);
      expectOutcome(rerun, 'Failed');
      assert.match(rerun.log, /promotion was never confirmed/);
      assert.match(rerun.message, /Confirmation failed: .*Production was switched back to slot blue/);
      assert.equal(activeRelease(env), 'calc-blue');
      assert.deepEqual(releasesIn(env, 'calc'), ['calc-blue', 'calc-green'], 'the previous production was still there to go back to');
      probe.mark('after');
      await new Promise((r) => setTimeout(r, 3000));
      const result = await probe.stop();
      assert.deepEqual(Object.keys(phase(result, 'after').versions), ['1.0.0']);
      const failure = await env.task('OnFailure', 2);
      expectOutcome(failure, 'Succeeded');
      assert.deepEqual(releasesIn(env, 'calc'), ['calc-blue']);
    } finally {
      await env.close();
    }
  });

  it('case 3: OnFailure after the kill restores the previous production instead of refusing', async () => {
    const { env, probe } = await killedAfterSwitch();
    try {
      probe.mark('on failure');
      const failure = await env.task('OnFailure', 2);
      expectOutcome(failure, 'Succeeded');
      assert.match(failure.log, /interrupted before it was confirmed: moving users back to slot blue/);
      assert.equal(activeRelease(env), 'calc-blue');
      assert.deepEqual(releasesIn(env, 'calc'), ['calc-blue']);
      probe.mark('after');
      await new Promise((r) => setTimeout(r, 3000));
      const result = await probe.stop();
      assert.deepEqual(Object.keys(phase(result, 'after').versions), ['1.0.0']);
      noFailures(result);
    } finally {
      await env.close();
    }
  });
});
