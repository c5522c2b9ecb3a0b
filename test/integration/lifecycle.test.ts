// Full lifecycles: helm 3.18 and 4.1, ingress-nginx (managed; chart-owned is refused) and App Gateway
// (managed and chart-owned). A probe sends production traffic through the data plane the whole time. The
// managed helm 4 suites run with the real controllers' apply delays (ingress-nginx 3.3 s, AGIC 20 s).
import * as assert from 'node:assert/strict';
import type { TaskRun } from '../cluster/agent';
import type { ProbeResult } from '../cluster/probe';
import { checksFor, type Env, type RouterName, startEnv, version } from './env';
import { expectOutcome, phase, releasesIn } from './expect';

const matrix: Array<{ helm: 'v3' | 'v4'; router: RouterName; ownership: 'managed' | 'chart' }> = [];
for (const helm of ['v3', 'v4'] as const) {
  for (const router of ['nginx', 'appgw'] as const) {
    for (const ownership of router === 'nginx' ? (['managed'] as const) : (['managed', 'chart'] as const)) matrix.push({ helm, router, ownership });
  }
}


for (const { helm, router, ownership } of matrix) {
  const realistic = helm === 'v4' && ownership === 'managed';
  describe(`lifecycle: ${ownership} ${router}, helm ${helm}${realistic ? ', realistic controller delays' : ''}`, function () {
    this.timeout(realistic ? 900_000 : 300_000);
    let env: Env;
    let result: ProbeResult;
    const runs: Record<string, TaskRun> = {};

    before(async () => {
      env = await startEnv({ helm, router, ownership, realistic });
      runs.first = await env.task('Deploy', 1, version('1.0.0'));
      const probe = env.probe();
      probe.mark('deploy v2');
      runs.deploy2 = await env.task('Deploy', 2, version('2.0.0'));
      probe.mark('route v2');
      const canary: Record<string, string> = router === 'nginx' ? { trafficPercent: '20' } : {};
      runs.route2 = await env.task('RouteTraffic', 2, { ...checksFor('2.0.0'), helmTest: 'true', ...canary });
      probe.mark('canary v2');
      await new Promise((r) => setTimeout(r, 2000));
      probe.mark('promote v2');
      runs.success2 = await env.task('OnSuccess', 2, checksFor('2.0.0'));
      probe.mark('deploy v3');
      runs.deploy3 = await env.task('Deploy', 3, version('3.0.0', { fail: true }));
      probe.mark('route v3');
      runs.route3 = await env.task('RouteTraffic', 3, { ...checksFor('3.0.0'), checkTimeout: '3' });
      probe.mark('reject v3');
      runs.failure3 = await env.task('OnFailure', 3);
      probe.mark('after');
      await new Promise((r) => setTimeout(r, 300));
      result = await probe.stop();
    });
    after(() => env?.close());

    it('first deploy goes straight to production in slot blue', () => {
      expectOutcome(runs.first, 'Succeeded');
      assert.equal(runs.first.outputs.firstDeploy, 'true');
      assert.equal(runs.first.outputs.productionSlot, 'blue');
    });

    it('Deploy stages v2 in slot green for testers only', () => {
      expectOutcome(runs.deploy2, 'Succeeded');
      assert.deepEqual([runs.deploy2.outputs.slot, runs.deploy2.outputs.stagingSlot, runs.deploy2.outputs.productionSlot], ['green', 'green', 'blue']);
      assert.equal(runs.deploy2.outputs.releaseName, 'calc-green');
      assert.equal(runs.deploy2.outputs.version, '2.0.0');
      assert.deepEqual(phase(result, 'deploy v2').versions, { '1.0.0': phase(result, 'deploy v2').requests }, 'users only ever saw v1 while v2 was staged');
    });

    it('RouteTraffic validates v2 through the staging route, runs helm test, and (nginx) gives it 20 % of users', () => {
      expectOutcome(runs.route2, 'Succeeded');
      assert.match(runs.route2.log, /PASS staging \(slot green\)/);
      assert.match(runs.route2.log, /helm test calc-green/);
      assert.equal(runs.route2.outputs.checksPassed, 'true');
      const versions = phase(result, 'canary v2').versions;
      if (router === 'nginx') {
        assert.equal(runs.route2.outputs.trafficPercent, '20');
        assert.ok((versions['1.0.0'] ?? 0) > 0 && (versions['2.0.0'] ?? 0) > 0, `users see both versions during the canary: ${JSON.stringify(versions)}`);
      } else {
        assert.deepEqual(Object.keys(versions), ['1.0.0'], 'App Gateway: testers only');
      }
    });

    it('OnSuccess switches production to v2 and retires slot blue', async () => {
      expectOutcome(runs.success2, 'Succeeded');
      assert.equal(runs.success2.outputs.productionSlot, 'green');
      assert.equal(runs.success2.outputs.retiredSlot, 'blue');
      const versions = phase(result, 'promote v2').versions;
      assert.ok((versions['2.0.0'] ?? 0) > 0, `users reach v2 after the switch: ${JSON.stringify(versions)}`);
      assert.deepEqual(phase(result, 'deploy v3').versions, { '2.0.0': phase(result, 'deploy v3').requests });
    });

    it('a version whose pods answer 500 fails RouteTraffic and OnFailure withdraws it', () => {
      expectOutcome(runs.deploy3, 'Succeeded');
      expectOutcome(runs.route3, 'Failed');
      assert.match(runs.route3.message, /answered 500, expected 200/);
      expectOutcome(runs.failure3, 'Succeeded');
      assert.deepEqual(releasesIn(env, 'calc'), ['calc-green'], 'only production remains');
      for (const p of ['route v3', 'reject v3', 'after']) assert.equal(phase(result, p).versions['3.0.0'], undefined, `users never saw v3 (${p})`);
    });

    it('production never failed a request', () => {
      for (const p of result.phases) assert.equal(p.failures, 0, `${p.phase}: ${JSON.stringify(p.statuses)}`);
      assert.ok(result.phases.reduce((n, p) => n + p.requests, 0) > 100, 'the probe ran throughout');
    });

    it('every task process exits right after reporting its result (the agent waits for the exit)', () => {
      // A leftover timer (the lease's release once kept one for 20 s) would hold every pipeline step.
      for (const [name, run] of Object.entries(runs)) assert.ok((run.exitAfterResultMs ?? Infinity) < 8000, `${name} exited ${run.exitAfterResultMs} ms after its result`);
    });

    it('every task left a run summary with the slot table, the failed one with its reason', () => {
      for (const run of Object.values(runs)) assert.match(run.summaries.join('\n'), /\| Slot \| Role \| Release \| Namespace \| Version \| Status \| Users \|/);
      assert.match(runs.route3?.summaries.join("\n") ?? '', /### Failed: Validation failed[\s\S]*answered 500, expected 200/);
    });
  });
}
