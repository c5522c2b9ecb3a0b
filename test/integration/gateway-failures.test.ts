// Gateway API router, failure paths with users hitting the app all along: a version that never gets
// ready, a Gateway name typed wrong, a ReferenceGrant the cluster refuses or somebody removes, and a
// Gateway whose listener refuses the app's namespace. Each fails (or recovers) without touching
// production.
import * as assert from 'node:assert/strict';
import { checksFor, type Env, version } from './env';
import { GATEWAY_CLASS, GATEWAY_NAMESPACE, isRouteWrite, liveRoute, routeSummary, startGatewayEnv } from './env-gateway';
import { resource } from './expect';

const productionOnBlue = { tester: 'calc-slot-blue', users: { 'calc-slot-blue': 100 } };

for (const [helm, layout] of [['v3', 'shared'], ['v4', 'perSlot']] as const) {
  describe(`Gateway API router, helm ${helm === 'v3' ? '3.18' : '4.1'}, ${layout}: failures leave production alone`, function () {
    this.timeout(300_000);
    let env: Env;
    let probe: ReturnType<Env['probe']>;
    before(async () => {
      env = await startGatewayEnv({ helm, layout });
      const first = await env.task('Deploy', 1, version('1.0.0'));
      assert.equal(first.outcome, 'Succeeded', first.log);
      probe = env.probe();
    });
    after(async () => {
      const result = await probe?.stop();
      await env?.close();
      const failed = (result?.phases ?? []).filter((p) => p.failures > 0).map((p) => `${p.phase}: ${p.failures} of ${p.requests} failed, first ${JSON.stringify(p.firstFailure)}`);
      assert.deepEqual(failed, [], 'no production request fails');
    });

    it('a version that never gets ready fails Deploy; the route never reaches it; OnFailure removes it', async () => {
      probe.mark('never-ready v2');
      const deploy = await env.task('Deploy', 2, version('2.0.0', { neverReady: true }));
      assert.equal(deploy.outcome, 'Failed');
      assert.deepEqual(routeSummary(env), productionOnBlue);
      const withdraw = await env.task('OnFailure', 2);
      assert.equal(withdraw.outcome, 'Succeeded', withdraw.log);
      assert.deepEqual(routeSummary(env), productionOnBlue);
    });

    it('a wrong Gateway name is refused before anything is written', async () => {
      probe.mark('wrong gateway');
      const mark = env.cluster.writes.mark();
      // The app's recorded settings refuse it first; changed on purpose, the route itself refuses it.
      const deploy = await env.task('Deploy', 3, { ...version('3.0.0'), gatewayName: 'pubilc' });
      assert.equal(deploy.outcome, 'Failed');
      assert.match(deploy.message, /gatewayName: recorded 'public', this task says 'pubilc'/);
      const changed = await env.task('Deploy', 3, { ...version('3.0.0'), gatewayName: 'pubilc', changeSettings: 'true' });
      assert.equal(changed.outcome, 'Failed');
      assert.match(changed.message, /serves the app through Gateway infra\/public \(listener http\), but this run names Gateway infra\/pubilc \(listener http\).*Nothing was changed/);
      assert.deepEqual(env.cluster.writes.since(mark), [], 'not even the lease was taken');
    });

    if (layout === 'perSlot') {
      it('a ReferenceGrant the cluster refuses fails Deploy before the route changes', async () => {
        probe.mark('grant forbidden');
        const mark = env.cluster.writes.mark();
        env.cluster.faults.failWrite(1, 403, { resource: 'referencegrants' });
        const deploy = await env.task('Deploy', 4, version('4.0.0'));
        env.cluster.faults.clear();
        assert.equal(deploy.outcome, 'Failed');
        assert.match(deploy.message, /Cannot apply ReferenceGrant green-calc\/calc-httproute: 403/);
        assert.equal(env.cluster.writes.since(mark).filter(isRouteWrite).length, 0);
        assert.deepEqual(routeSummary(env), productionOnBlue);
        const withdraw = await env.task('OnFailure', 4);
        assert.equal(withdraw.outcome, 'Succeeded', withdraw.log);
      });

      it('a ReferenceGrant removed behind the task: OnSuccess fails with the reason if it cannot restore it, else restores it and promotes', async () => {
        probe.mark('grant removed');
        const deploy = await env.task('Deploy', 5, version('5.0.0'));
        assert.equal(deploy.outcome, 'Succeeded', deploy.log);
        env.cluster.store.remove(resource('ReferenceGrant'), 'green-calc', 'calc-httproute');
        await env.dataplane.settled();
        const refs = () => liveRoute(env)?.status?.parents?.[0]?.conditions?.find((c: { type: string }) => c.type === 'ResolvedRefs');
        assert.equal(refs()?.reason, 'RefNotPermitted', 'the Gateway reports the broken reference');

        const mark = env.cluster.writes.mark();
        env.cluster.faults.failWrite(1, 403, { resource: 'referencegrants' });
        const refused = await env.task('OnSuccess', 5, checksFor('5.0.0'));
        env.cluster.faults.clear();
        assert.equal(refused.outcome, 'Failed');
        assert.match(refused.message, /cannot resolve the backends of HTTPRoute blue-calc\/calc: ResolvedRefs is False \(RefNotPermitted: .*\), and restoring them failed: Cannot apply ReferenceGrant green-calc\/calc-httproute: 403.*Nothing else was changed/);
        assert.equal(env.cluster.writes.since(mark).filter(isRouteWrite).length, 0);
        assert.deepEqual(routeSummary(env), { tester: 'calc-slot-green', users: { 'calc-slot-blue': 100, 'calc-slot-green': 0 } });

        const promote = await env.task('OnSuccess', 5, checksFor('5.0.0'));
        assert.equal(promote.outcome, 'Succeeded', promote.log);
        assert.match(promote.log, /reports ResolvedRefs False for HTTPRoute blue-calc\/calc \(RefNotPermitted: .*\): restoring/);
        assert.deepEqual(routeSummary(env), { tester: 'calc-slot-green', users: { 'calc-slot-green': 100 } });
        assert.equal(refs()?.status, 'True');
      });
    }

    it('a Gateway whose listener refuses the namespace fails with its reason until the Gateway is fixed', async () => {
      probe.mark('listener refuses');
      // A second app on a Gateway that only takes routes from its own namespace.
      env.cluster.seed({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'internal', namespace: GATEWAY_NAMESPACE },
        spec: { gatewayClassName: GATEWAY_CLASS, listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
      });
      const other = { name: 'shop', namespace: 'shop', host: 'shop.example.test', hostnames: 'shop.example.test', gatewayName: 'internal' };
      const first = await env.task('Deploy', 10, { ...version('1.0.0'), ...other });
      assert.equal(first.outcome, 'Failed');
      assert.match(first.message, /Gateway infra\/internal \(listener http\) refuses HTTPRoute \S+\/shop: Accepted is False \(NotAllowedByListeners: .*allowedRoutes/);

      const mark = env.cluster.writes.mark();
      const again = await env.task('Deploy', 11, { ...version('2.0.0'), ...other });
      assert.equal(again.outcome, 'Failed');
      assert.match(again.message, /refuses HTTPRoute \S+\/shop: Accepted is False \(NotAllowedByListeners.*Nothing was changed/);
      assert.deepEqual(env.cluster.writes.since(mark), [], 'a refused route stops the next run before it writes anything');

      const gateway = env.cluster.store.get(resource('Gateway'), GATEWAY_NAMESPACE, 'internal');
      env.cluster.store.put(resource('Gateway'), { ...gateway!, spec: { ...gateway!.spec, listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }] } });
      const fixed = await env.task('Deploy', 12, { ...version('2.0.0'), ...other });
      assert.equal(fixed.outcome, 'Succeeded', fixed.log);
      assert.match(fixed.message, /Version 2.0.0 is staged in slot green; production stays on slot blue/);
    });
  });
}
