// Gateway API router, full lifecycles through the bundled tasks with users hitting the app all along:
// first deploy, stage v2, send it 30 % of users, promote it (one HTTPRoute update), stage a broken v3,
// fail its validation, withdraw it. Helm 3.18 and 4.1, shared and per-slot namespaces.
import * as assert from 'node:assert/strict';
import type { DataPlane } from '../cluster/dataplane';
import { checksFor, type Env, HOST, version } from './env';
import { describeWrite, isRouteWrite, isRoutingWrite, liveRoute, routeSummary, startGatewayEnv } from './env-gateway';

/** Versions answering `n` requests of real users (no staging header), straight through the data plane. */
function sampleVersions(dataplane: DataPlane, n: number, headers: Record<string, string> = {}): Record<string, number> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const answer = dataplane.handle({ method: 'GET', host: HOST, path: '/ping', search: '', headers, cookies: {} });
    const key = answer.status === 200 ? (JSON.parse(answer.body) as { version: string }).version : String(answer.status);
    seen[key] = (seen[key] ?? 0) + 1;
  }
  return seen;
}

const releasesOf = (env: Env) =>
  env.cluster.store
    .ofKind('Secret')
    .filter((s) => s.metadata.labels?.owner === 'helm' && s.metadata.labels?.status === 'deployed')
    .map((s) => `${s.metadata.namespace}/${s.metadata.labels?.name}`)
    .sort();

for (const helm of ['v3', 'v4'] as const) {
  for (const layout of ['shared', 'perSlot'] as const) {
    // One suite with the real propagation delay of a Gateway implementation (~2 s per change).
    const realistic = helm === 'v4' && layout === 'shared';
    describe(`Gateway API router, helm ${helm === 'v3' ? '3.18' : '4.1'}, ${layout} namespace${layout === 'shared' ? '' : 's'}${realistic ? ', realistic delays' : ''}`, function () {
      this.timeout(600_000);
      let env: Env;
      before(async () => (env = await startGatewayEnv({ helm, layout, realistic })));
      after(() => env?.close());

      it('v1 -> v2 at 30 % -> promoted in one route update -> broken v3 withdrawn: no user request fails', async () => {
        const ns = (slot: 'blue' | 'green') => (layout === 'shared' ? 'calc' : `${slot}-calc`);
        const release = (slot: 'blue' | 'green') => (layout === 'shared' ? `calc-${slot}` : `${slot}-calc`);

        const first = await env.task('Deploy', 1, version('1.0.0'));
        assert.equal(first.outcome, 'Succeeded', first.log);
        assert.deepEqual(routeSummary(env), { tester: 'calc-slot-blue', users: { 'calc-slot-blue': 100 } });

        const probe = env.probe({ url: `${env.dataplane.url}/ping` });
        try {
          probe.mark('deploy v2');
          const deploy2 = await env.task('Deploy', 2, version('2.0.0'));
          assert.equal(deploy2.outcome, 'Succeeded', deploy2.log);
          assert.deepEqual(routeSummary(env), { tester: 'calc-slot-green', users: { 'calc-slot-blue': 100, 'calc-slot-green': 0 } });
          if (layout === 'perSlot') {
            const grant = env.cluster.store.ofKind('ReferenceGrant').find((g) => g.metadata.namespace === 'green-calc');
            assert.deepEqual(grant?.spec.from, [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'blue-calc' }]);
          }

          probe.mark('route v2 at 30 %');
          const route2 = await env.task('RouteTraffic', 2, { ...checksFor('2.0.0'), trafficPercent: '30' });
          assert.equal(route2.outcome, 'Succeeded', route2.log);
          assert.deepEqual(routeSummary(env)?.users, { 'calc-slot-blue': 70, 'calc-slot-green': 30 });
          await env.dataplane.settled();
          const split = sampleVersions(env.dataplane, 400);
          assert.ok((split['2.0.0'] ?? 0) > 80 && (split['2.0.0'] ?? 0) < 160 && (split['1.0.0'] ?? 0) > 240, `about 30 % on v2: ${JSON.stringify(split)}`);

          probe.mark('promote v2');
          const mark = env.cluster.writes.mark();
          const promote = await env.task('OnSuccess', 2, checksFor('2.0.0'));
          assert.equal(promote.outcome, 'Succeeded', promote.log);
          const writes = env.cluster.writes.since(mark);
          assert.equal(writes.filter(isRouteWrite).length, 1, 'production moves in exactly one HTTPRoute update');
          assert.deepEqual(
            writes.filter(isRoutingWrite).map(describeWrite),
            [`PATCH httproutes ${ns('blue')}/calc`, `DELETE services ${ns('blue')}/calc-slot-blue`],
            'then the retired slot loses its Service',
          );
          assert.deepEqual(routeSummary(env), { tester: 'calc-slot-green', users: { 'calc-slot-green': 100 } });
          assert.deepEqual(releasesOf(env), [`${ns('green')}/${release('green')}`], 'the old slot is retired');
          assert.match(promote.log, /Gateway infra\/public \(listener http\) accepts HTTPRoute/);

          probe.mark('deploy broken v3');
          const deploy3 = await env.task('Deploy', 3, version('3.0.0', { fail: true }));
          assert.equal(deploy3.outcome, 'Succeeded', deploy3.log);
          assert.equal(routeSummary(env)?.tester, 'calc-slot-blue');
          await env.dataplane.settled();
          assert.deepEqual(sampleVersions(env.dataplane, 20, { canary: 'always' }), { 500: 20 }, 'testers reach the broken v3');

          probe.mark('route v3');
          const route3 = await env.task('RouteTraffic', 3, { ...checksFor('3.0.0'), trafficPercent: '20', checkTimeout: '3' });
          assert.equal(route3.outcome, 'Failed');
          assert.match(route3.message, /answered 500/);
          assert.deepEqual(routeSummary(env)?.users, { 'calc-slot-green': 100, 'calc-slot-blue': 0 }, 'a failed validation sends no user to v3');

          probe.mark('withdraw v3');
          const withdraw = await env.task('OnFailure', 3);
          assert.equal(withdraw.outcome, 'Succeeded', withdraw.log);
          assert.deepEqual(routeSummary(env), { tester: 'calc-slot-green', users: { 'calc-slot-green': 100 } }, 'testers go back to production');
          assert.deepEqual(releasesOf(env), [`${ns('green')}/${release('green')}`]);
          assert.equal(liveRoute(env)?.status?.parents?.[0]?.conditions?.find((c: { type: string }) => c.type === 'ResolvedRefs')?.status, 'True');
        } finally {
          await probe.stop();
        }
        const result = await probe.done;
        const failed = result.phases.filter((p) => p.failures > 0).map((p) => `${p.phase}: ${p.failures} of ${p.requests} failed, first ${JSON.stringify(p.firstFailure)}`);
        assert.deepEqual(failed, [], 'no production request fails');
        assert.equal(result.total.versions['3.0.0'], undefined, 'users never see the broken version');
        assert.ok((result.total.versions['2.0.0'] ?? 0) > 0 && (result.total.versions['1.0.0'] ?? 0) > 0);
      });
    });
  }
}
