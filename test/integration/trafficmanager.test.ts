// Full lifecycles with the Traffic Manager router: helm 3.18 and 4.1, routing managed by the
// task (shared namespace, external endpoints) and rendered by the chart (per-slot namespaces, Azure
// endpoints on Public IPs). Four users, each with its own DNS cache, resolve the profile's name through
// the DNS model the whole time; the profile's TTL is 2 s and the margin 1 s.
import * as assert from 'node:assert/strict';
import type { TaskRun } from '../cluster/agent';
import type { Probe, ProbeRecord, ProbeResult } from '../cluster/probe';
import { checksFor, version } from './env';
import { disabled, endpointsOf, PROFILE, PUBLIC_IPS, RG, slotRemoved, startTrafficManagerEnv, type TmEnv } from './env-trafficmanager';
import { expectOutcome, releasesIn } from './expect';

const TTL = 2;
const MARGIN = 1;

// External endpoints target each slot's load balancer address (v3) or a static IP given per slot (v4).
const STATIC_IPS = { blueAddress: '20.60.0.1', greenAddress: '20.60.0.2' };
const cases = [
  { helm: 'v3', ownership: 'managed', layout: 'shared', endpointType: 'ExternalEndpoints', inputs: {} },
  { helm: 'v3', ownership: 'chart', layout: 'perSlot', endpointType: 'AzureEndpoints', inputs: {} },
  { helm: 'v4', ownership: 'managed', layout: 'shared', endpointType: 'ExternalEndpoints', inputs: STATIC_IPS },
  { helm: 'v4', ownership: 'chart', layout: 'perSlot', endpointType: 'AzureEndpoints', inputs: {} },
] as const;


/** Polls `done` every 100 ms until it holds or `ms` pass (then the assertions tell what is missing). */
async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

async function stopAll(users: Probe[]): Promise<{ records: ProbeRecord[]; results: ProbeResult[] }> {
  const results = await Promise.all(users.map((u) => u.stop()));
  return { results, records: results.flatMap((r) => r.records) };
}

for (const c of cases) {
  const label = `${c.ownership === 'managed' ? 'managed' : 'chart-rendered'} load balancers, ${c.layout} namespaces, ${c.endpointType}${'blueAddress' in c.inputs ? ' on static IPs' : ''}`;
  describe(`Traffic Manager lifecycle: ${label}, helm ${c.helm}`, function () {
    this.timeout(300_000);
    let env: TmEnv;
    let users: Probe[];
    let usersStarted = 0;
    let records: ProbeRecord[] = [];
    let results: ProbeResult[] = [];
    const runs: Record<string, TaskRun> = {};
    const endpoints: Record<string, string[]> = {};
    const release = (slot: 'blue' | 'green') => (c.layout === 'shared' ? `calc-${slot}` : `${slot}-calc`);
    const namespaces = c.layout === 'shared' ? ['calc'] : ['blue-calc', 'green-calc'];
    const deployed = () => namespaces.flatMap((ns) => releasesIn(env, ns)).sort();
    const mark = (phase: string) => users.forEach((u) => u.mark(phase));
    // The managed case rejects a version that fails its checks; the chart case rejects a canary that had users.
    const rejectWithUsers = c.ownership === 'chart';

    before(async () => {
      env = await startTrafficManagerEnv({ helm: c.helm, ownership: c.ownership, layout: c.layout, endpointType: c.endpointType, ttl: TTL, margin: MARGIN, inputs: c.inputs });
      runs.first = await env.task('Deploy', 1, version('1.0.0'));
      endpoints.first = endpointsOf(env);
      usersStarted = Date.now();
      // Enough users that one of them holds slot blue's address in its DNS cache when OnSuccess disables blue
      // (the last test's evidence that the caches are real): each holds blue with p >= 0.44 then (weights 800
      // and 1000), so with 4 users no one did in about 1 run of 9; with 16, about 1 in 3,500.
      users = env.users(16, { ratePerSecond: 3 });
      mark('deploy v2');
      runs.deploy2 = await env.task('Deploy', 2, version('2.0.0'));
      endpoints.deploy2 = endpointsOf(env);
      mark('route v2');
      runs.route2 = await env.task('RouteTraffic', 2, { ...checksFor('2.0.0'), trafficPercent: '20' });
      endpoints.route2 = endpointsOf(env);
      mark('promote v2');
      runs.success2 = await env.task('OnSuccess', 2, checksFor('2.0.0'));
      endpoints.success2 = endpointsOf(env);
      mark('deploy v3');
      runs.deploy3 = await env.task('Deploy', 3, version('3.0.0', { fail: !rejectWithUsers }));
      mark('route v3');
      runs.route3 = await env.task('RouteTraffic', 3, { ...checksFor('3.0.0'), checkTimeout: '3', ...(rejectWithUsers ? { trafficPercent: '20' } : {}) });
      endpoints.route3 = endpointsOf(env);
      // A canary watch period: the share applies as the users' DNS answers expire.
      if (rejectWithUsers) await until(() => users.some((u) => u.records.some((r) => r.version === '3.0.0')), 20_000);
      mark('reject v3');
      runs.failure3 = await env.task('OnFailure', 3);
      endpoints.failure3 = endpointsOf(env);
      mark('after');
      await new Promise((r) => setTimeout(r, 500));
      ({ records, results } = await stopAll(users));
    });
    after(() => env?.close());

    it('first deploy: slot blue, its endpoint Enabled at full weight', () => {
      expectOutcome(runs.first, 'Succeeded');
      assert.deepEqual([runs.first.outputs.firstDeploy, runs.first.outputs.productionSlot], ['true', 'blue']);
      assert.deepEqual(endpoints.first, ['calc-blue: Enabled 1000']);
    });

    it('Deploy stages v2 in slot green: its endpoint exists but Disabled, so only testers reach it', () => {
      expectOutcome(runs.deploy2, 'Succeeded');
      assert.deepEqual([runs.deploy2.outputs.stagingSlot, runs.deploy2.outputs.productionSlot], ['green', 'blue']);
      assert.deepEqual(endpoints.deploy2, ['calc-blue: Enabled 1000', 'calc-green: Disabled 1']);
      const green = env.tm.profile(RG, PROFILE)?.endpoints.find((e) => e.name === 'calc-green');
      const expected = c.endpointType === 'AzureEndpoints' ? PUBLIC_IPS.green.fqdn : 'blueAddress' in c.inputs ? '20.60.0.2' : 'calc-prod-green.westeurope.cloudapp.azure.com';
      assert.equal(env.tm.targetOf(green!), expected, 'the endpoint targets the slot\'s own address');
      const seen = records.filter((r) => r.phase === 'deploy v2');
      assert.ok(seen.length > 0 && seen.every((r) => r.version === '1.0.0'), 'users only saw v1 while v2 was staged');
    });

    it('RouteTraffic validates v2 on its own address, then gives it 20 % of users by weight', () => {
      expectOutcome(runs.route2, 'Succeeded');
      assert.match(runs.route2.log, /PASS staging \(slot green\): GET \/ping answered 200/);
      assert.deepEqual(endpoints.route2, ['calc-blue: Enabled 800', 'calc-green: Enabled 200']);
      assert.equal(runs.route2.outputs.trafficPercent, '20');
    });

    it('OnSuccess enables green at full weight before disabling blue, and retires blue only after TTL + margin', () => {
      expectOutcome(runs.success2, 'Succeeded');
      assert.deepEqual([runs.success2.outputs.productionSlot, runs.success2.outputs.retiredSlot], ['green', 'blue']);
      const writes = env.tm.writes;
      const enableGreen = writes.find((w) => w.outcome === 'applied' && w.endpoint === 'calc-green' && (w.body as { properties?: { weight?: number } })?.properties?.weight === 1000);
      const disableBlue = disabled(writes, 'calc-blue');
      assert.ok(enableGreen && disableBlue && enableGreen.seq < disableBlue.seq, 'green enabled first: never zero enabled endpoints');
      const removed = slotRemoved(env.cluster.writes.entries, [release('blue'), 'calc-blue-lb'], disableBlue.at);
      assert.ok(removed, 'slot blue was removed');
      assert.ok(removed.time - disableBlue.at >= (TTL + MARGIN) * 1000, `blue removed ${removed.time - disableBlue.at} ms after its endpoint was disabled`);
      const deleteBlue = writes.find((w) => w.method === 'DELETE' && w.endpoint === 'calc-blue' && w.seq > disableBlue.seq);
      assert.ok(deleteBlue && deleteBlue.at <= removed.time, 'the endpoint goes before the slot');
      assert.deepEqual(endpoints.success2, ['calc-green: Enabled 1000']);
      // The DNS caches are real: clients kept reaching v1 on its old address for a while after the disable.
      const cached = records.filter((r) => r.version === '1.0.0' && usersStarted + r.at > disableBlue.at);
      assert.ok(cached.length > 0, 'some users still used the cached address of slot blue');
    });

    if (rejectWithUsers) {
      it('OnFailure takes a canary with 20 % of users off, waits TTL + margin, then removes it', () => {
        expectOutcome(runs.deploy3, 'Succeeded');
        expectOutcome(runs.route3, 'Succeeded');
        assert.deepEqual(endpoints.route3, ['calc-blue: Enabled 200', 'calc-green: Enabled 800']);
        expectOutcome(runs.failure3, 'Succeeded');
        const disableBlue = env.tm.writes.filter((w) => w.endpoint === 'calc-blue' && w.outcome === 'applied' && (w.body as { properties?: { endpointStatus?: string } })?.properties?.endpointStatus === 'Disabled').at(-1);
        assert.ok(disableBlue);
        const removed = slotRemoved(env.cluster.writes.entries, [release('blue'), 'calc-blue-lb'], disableBlue.at);
        assert.ok(removed && removed.time - disableBlue.at >= (TTL + MARGIN) * 1000, `v3 removed ${removed && removed.time - disableBlue.at} ms after its endpoint was disabled`);
        assert.ok(records.some((r) => r.version === '3.0.0'), 'the canary had real users');
      });
    } else {
      it('a version answering 500 fails RouteTraffic; OnFailure removes it and production keeps serving', () => {
        expectOutcome(runs.deploy3, 'Succeeded');
        expectOutcome(runs.route3, 'Failed');
        assert.match(runs.route3.message, /answered 500, expected 200/);
        assert.deepEqual(endpoints.route3, ['calc-blue: Disabled 1', 'calc-green: Enabled 1000']);
        expectOutcome(runs.failure3, 'Succeeded');
        assert.ok(!records.some((r) => r.version === '3.0.0'), 'no user ever reached the failing version');
      });
    }

    it('afterwards only production remains: one release, one endpoint', () => {
      assert.deepEqual(deployed(), [release('green')]);
      assert.deepEqual(endpoints.failure3, ['calc-green: Enabled 1000']);
      const lbs = env.cluster.store.ofKind('Service').filter((s) => s.spec?.type === 'LoadBalancer').map((s) => s.metadata.name);
      assert.deepEqual(lbs, [c.ownership === 'managed' ? 'calc-green-lb' : release('green')]);
    });

    it('no user request failed and none was sent to a removed slot, in any phase', () => {
      assert.ok(records.length > 100, `${records.length} requests`);
      for (const r of results) {
        for (const p of r.phases) assert.equal(p.failures, 0, `${p.phase}: ${JSON.stringify(p.statuses)} ${JSON.stringify(p.firstFailure)}`);
      }
      const versions = new Set(records.map((r) => r.version));
      assert.ok(versions.has('1.0.0') && versions.has('2.0.0'));
    });

    it('every ARM call came from the real SDK with a token of the service connection', () => {
      assert.ok(env.armCalls.length > 0);
      for (const call of env.armCalls) {
        assert.match(call.userAgent, /azsdk-js-arm-trafficmanager\/6\.1\.0/, `${call.method} ${call.path}`);
        assert.equal(call.status, 200, `${call.method} ${call.path}`);
      }
    });
  });
}
