// Gateway API router, crash safety: every API write of Deploy and OnSuccess is a crash point. The API
// server goes dark right after the Nth write, the task is SIGKILLed, then the same task runs again and
// must leave a consistent state, while users hitting the app never see a failed request. One
// environment per suite: each round stages and promotes the next version, so the app moves between
// slots and the crash points of both directions are covered.
import * as assert from 'node:assert/strict';
import type { TaskRun } from '../cluster/agent';
import { crashAfter } from './crash';
import { type Env, type TaskName, version } from './env';
import { routeSummary, startGatewayEnv } from './env-gateway';

interface CrashRun {
  crashed: boolean;
  /** The write the server went dark after: `httproutes calc`, `secrets sh.helm.release.v1.calc-blue.v1`... */
  write?: string;
  rerun: TaskRun;
}

/** Runs a task that dies right after its Nth API write (if it makes that many), then runs it again. */
async function crashAndRerun(env: Env, task: TaskName, run: number, n: number, inputs: Record<string, string>): Promise<CrashRun> {
  const { crash, run: first } = await crashAfter(env, task, run, inputs, n);
  const write = crash && `${crash.method} ${crash.resource} ${crash.name ?? ''}`.trim();
  if (write === undefined) {
    assert.equal(first.outcome, 'Succeeded', `${task} without a crash:\n${first.log}`);
    return { crashed: false, rerun: first };
  }
  const rerun = await env.task(task, run, inputs);
  assert.equal(rerun.outcome, 'Succeeded', `${task} run again after dying after write ${n} (${write}):\n${rerun.log}`);
  return { crashed: true, write, rerun };
}

const deployedReleases = (env: Env) =>
  Object.fromEntries(
    env.cluster.store
      .ofKind('Secret')
      .filter((s) => s.metadata.labels?.owner === 'helm' && s.metadata.labels?.status === 'deployed')
      .map((s) => [s.metadata.labels?.name as string, s.metadata.namespace as string]),
  );

/** The suite for one helm major and namespace layout; gateway-crash-*.test.ts pick them (one file each, so they run in parallel). */
export function gatewayCrashSuite(helm: 'v3' | 'v4', layout: 'shared' | 'perSlot'): void {
  describe(`Gateway API router, helm ${helm === 'v3' ? '3.18' : '4.1'}, ${layout}: a task killed after any API write`, function () {
    this.timeout(900_000);
    let env: Env;
    before(async () => (env = await startGatewayEnv({ helm, layout })));
    after(() => env?.close());

    const release = (slot: 'blue' | 'green') => (layout === 'shared' ? `calc-${slot}` : `${slot}-calc`);

    it('Deploy and OnSuccess re-run to a consistent state; production never fails', async () => {
      const first = await env.task('Deploy', 1, version('1.0.0'));
      assert.equal(first.outcome, 'Succeeded', first.log);
      const probe = env.probe();
      const crashedOn = { Deploy: new Set<string>(), OnSuccess: new Set<string>() };
      let production: 'blue' | 'green' = 'blue';
      try {
        // Per-slot namespaces make the two directions differ (only green needs a ReferenceGrant): there,
        // each crash point is visited once per direction.
        const rounds = layout === 'perSlot' ? 2 : 1;
        for (let round = 1, calm = 0; calm < rounds; round++) {
          const n = Math.ceil(round / rounds);
          const run = round + 1;
          assert.ok(n <= 40, 'a task makes fewer than 40 API writes');
          const staged: 'blue' | 'green' = production === 'blue' ? 'green' : 'blue';
          probe.mark(`Deploy ${run} dies after write ${n}`);
          const deploy = await crashAndRerun(env, 'Deploy', run, n, version(`${run}.0.0`));
          if (deploy.crashed) crashedOn.Deploy.add(deploy.write as string);
          assert.deepEqual(routeSummary(env), { tester: `calc-slot-${staged}`, users: { [`calc-slot-${production}`]: 100, [`calc-slot-${staged}`]: 0 } }, `after Deploy ${run} (write ${n})`);
          assert.deepEqual(Object.keys(deployedReleases(env)).sort(), [release('blue'), release('green')]);

          probe.mark(`OnSuccess ${run} dies after write ${n}`);
          const promote = await crashAndRerun(env, 'OnSuccess', run, n, {});
          if (promote.crashed) crashedOn.OnSuccess.add(promote.write as string);
          calm = deploy.crashed || promote.crashed ? 0 : calm + 1;
          assert.deepEqual(routeSummary(env), { tester: `calc-slot-${staged}`, users: { [`calc-slot-${staged}`]: 100 } }, `after OnSuccess ${run} (write ${n})`);
          assert.deepEqual(Object.keys(deployedReleases(env)), [release(staged)], 'the old slot is retired');
          assert.match(promote.rerun.message, new RegExp(`Slot ${staged} \\(version ${run}\\.0\\.0\\) serves production`));
          production = staged;
        }
      } finally {
        await probe.stop();
      }
      const result = await probe.done;
      const failed = result.phases.filter((p) => p.failures > 0).map((p) => `${p.phase}: ${p.failures} of ${p.requests} failed, first ${JSON.stringify(p.firstFailure)}`);
      assert.deepEqual(failed, [], 'no production request fails');
      if (process.env.GATEWAY_CRASH_LOG) console.log(`crashed after:\n  Deploy: ${[...crashedOn.Deploy].join('; ')}\n  OnSuccess: ${[...crashedOn.OnSuccess].join('; ')}`);
      // The crash points of the router's own writes were all visited.
      const visited = (task: keyof typeof crashedOn, write: RegExp) =>
        assert.ok([...crashedOn[task]].some((w) => write.test(w)), `${task} died right after ${write} (it died after: ${[...crashedOn[task]].join('; ')})`);
      visited('Deploy', /^PATCH httproutes calc$/);
      visited('Deploy', /^PATCH services calc-slot-(blue|green)$/);
      visited('OnSuccess', /^PATCH httproutes calc$/);
      visited('OnSuccess', /^DELETE services calc-slot-(blue|green)$/);
      if (layout === 'perSlot') {
        visited('Deploy', /^PATCH referencegrants calc-httproute$/);
        visited('OnSuccess', /^DELETE referencegrants calc-httproute$/);
      }
    });

    if (layout === 'perSlot') {
      it('a first Deploy killed after any API write ends, when run again, with production on v1', async () => {
        let done = false;
        for (let n = 1; !done; n++) {
          assert.ok(n <= 40, 'a first deploy makes fewer than 40 API writes');
          const app = `first${n}`;
          const host = `${app}.example.test`;
          const inputs = { ...version('1.0.0'), name: app, namespace: app, host, hostnames: host };
          const deploy = await crashAndRerun(env, 'Deploy', 1, n, inputs);
          done = !deploy.crashed;
          assert.equal(deploy.rerun.outputs.productionSlot, 'blue', `after write ${n} (${deploy.write})`);
          await env.dataplane.settled();
          const answer = env.dataplane.handle({ method: 'GET', host, path: '/', search: '', headers: {}, cookies: {} });
          assert.equal(answer.status, 200, `after write ${n}: ${answer.body}`);
          assert.equal(JSON.parse(answer.body).version, '1.0.0');
        }
      });
    }
  });
}
