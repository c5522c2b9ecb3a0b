// The migration from the nginx router to the gateway router, as docs/gateway.md tells it: an app in
// production behind ingress-nginx (managed routing) gets its first gateway run with retirePolicy keep,
// users still on the old address (ingress-nginx) and those on the new one (the Gateway) never see a
// failed request, DNS "moves", the nginx objects go, and the next run replaces the kept slot.
import * as assert from 'node:assert/strict';
import { type DataPlane, startDataPlane } from '../cluster/dataplane';
import { startProbe } from '../cluster/probe';
import { checksFor, type Env, HOST, startEnv, version } from './env';
import { GATEWAY_CLASS, GATEWAY_NAME, GATEWAY_NAMESPACE, routeSummary, seedGateway } from './env-gateway';
import { resource } from './expect';


describe('Moving an app from the nginx router to the gateway router (helm 4.1, shared namespace)', function () {
  this.timeout(300_000);
  let env: Env;
  let gateway: DataPlane;
  before(async () => {
    env = await startEnv({ helm: 'v4', router: 'nginx', ownership: 'managed', prepare: (cluster) => seedGateway(cluster) });
    gateway = await startDataPlane(env.cluster.store, { controller: 'gateway', gatewayClassName: GATEWAY_CLASS, propagationDelayMs: 300, seed: 7 });
  });
  after(async () => {
    await gateway?.close();
    await env?.close();
  });

  it('no user on either address sees a failed request; the kept slot is replaced after DNS moved', async () => {
    const first = await env.task('Deploy', 1, version('1.0.0'));
    assert.equal(first.outcome, 'Succeeded', first.log);
    const viaNginx = env.probe();
    const viaGateway = startProbe({ url: gateway.url, host: HOST, ratePerSecond: 25, maxDurationMs: 300_000, phase: 'no route yet' });
    const gatewayRun = { router: 'gateway', gatewayName: GATEWAY_NAME, gatewayNamespace: GATEWAY_NAMESPACE, gatewaySection: 'http', hostnames: HOST, checkAddress: gateway.url };
    try {
      // Moving to another router is a deliberate change of the app's settings.
      const deploy = await env.task('Deploy', 2, { ...version('2.0.0'), ...gatewayRun, changeSettings: 'true' });
      assert.equal(deploy.outcome, 'Succeeded', deploy.log);
      assert.match(deploy.log, /No route serves production: routing it to slot blue, whose release calc-blue \(version 1\.0\.0, deployed, run p1\.build-1\) served production/);
      assert.deepEqual(routeSummary(env), { tester: 'calc-slot-green', users: { 'calc-slot-blue': 100, 'calc-slot-green': 0 } });
      await gateway.settled();

      viaGateway.mark('first gateway run');
      const validate = await env.task('RouteTraffic', 2, { ...checksFor('2.0.0'), ...gatewayRun });
      assert.equal(validate.outcome, 'Succeeded', validate.log);
      const promote = await env.task('OnSuccess', 2, { ...checksFor('2.0.0'), ...gatewayRun, retirePolicy: 'keep' });
      assert.equal(promote.outcome, 'Succeeded', promote.log);
      assert.deepEqual(routeSummary(env), { tester: 'calc-slot-green', users: { 'calc-slot-green': 100 } });

      // DNS moves to the Gateway: the old address served v1 from the kept slot until the end.
      const nginxResult = await viaNginx.stop();
      assert.equal(nginxResult.total.failures, 0, `through ingress-nginx: ${JSON.stringify(nginxResult.total.firstFailure)}`);
      assert.deepEqual(Object.keys(nginxResult.total.versions), ['1.0.0']);
      for (const [kind, name] of [['Ingress', 'calc'], ['Ingress', 'calc-preview'], ['Service', 'calc-active'], ['Service', 'calc-preview']] as const) {
        assert.ok(env.cluster.store.remove(resource(kind), 'calc', name), `the nginx router's ${kind} ${name}`);
      }

      viaGateway.mark('next run replaces the kept slot');
      const next = await env.task('Deploy', 3, { ...version('3.0.0'), ...gatewayRun });
      assert.equal(next.outcome, 'Succeeded', next.log);
      assert.match(next.log, /Slot blue holds release calc-blue .* no longer routed: replacing it/);
      const promoteNext = await env.task('OnSuccess', 3, { ...checksFor('3.0.0'), ...gatewayRun });
      assert.equal(promoteNext.outcome, 'Succeeded', promoteNext.log);
      assert.deepEqual(routeSummary(env), { tester: 'calc-slot-blue', users: { 'calc-slot-blue': 100 } });
    } finally {
      await viaNginx.stop();
      await viaGateway.stop();
    }
    const result = await viaGateway.done;
    const failed = result.phases.filter((p) => p.phase !== 'no route yet' && p.failures > 0).map((p) => `${p.phase}: ${p.failures} of ${p.requests}, first ${JSON.stringify(p.firstFailure)}`);
    assert.deepEqual(failed, [], 'through the Gateway, once the route exists');
    assert.ok(result.total.versions['1.0.0'] && result.total.versions['2.0.0'] && result.total.versions['3.0.0']);
  });
});
