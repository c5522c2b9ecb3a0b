// Crash safety with the Traffic Manager router: for every API write and every ARM write of
// Deploy and of OnSuccess, a run that dies right after that write (the server applies it, then goes
// dark and the task is SIGKILLed with its helm child), followed by a re-run of the same task, ends
// consistent, and four users resolving the profile's name through their DNS caches never fail.
import * as assert from 'node:assert/strict';
import { type CrashFaults, crashAfter } from './crash';
import { checksFor, version } from './env';
import { endpointsOf, startTrafficManagerEnv, type TmEnv } from './env-trafficmanager';
import { releasesIn } from './expect';

const cases = [
  { helm: 'v3', ownership: 'managed', layout: 'shared', endpointType: 'ExternalEndpoints' },
  { helm: 'v4', ownership: 'chart', layout: 'perSlot', endpointType: 'AzureEndpoints' },
] as const;

for (const c of cases) {
  describe(`Traffic Manager crash safety: ${c.ownership} load balancers, ${c.layout} namespaces, ${c.endpointType}, helm ${c.helm}`, function () {
    this.timeout(900_000);
    let env: TmEnv;
    const writes = { api: { Deploy: 0, OnSuccess: 0 }, arm: { Deploy: 0, OnSuccess: 0 } };
    let production: 'blue' | 'green' = 'blue';
    let round = 0;
    const release = (slot: 'blue' | 'green') => (c.layout === 'shared' ? `calc-${slot}` : `${slot}-calc`);
    const namespaces = c.layout === 'shared' ? ['calc'] : ['blue-calc', 'green-calc'];

    before(async () => {
      env = await startTrafficManagerEnv({ helm: c.helm, ownership: c.ownership, layout: c.layout, endpointType: c.endpointType, ttl: 1, margin: 1, settleSeconds: 0 });
      assert.equal((await env.task('Deploy', 1, version('1.0.0'))).outcome, 'Succeeded');
      // Two clean cycles (into green, then back into blue) count the writes each task makes; the
      // fewest are what every later run makes (the first visit of a slot may create its namespace).
      for (const run of [2, 3]) {
        for (const [task, inputs] of [['Deploy', version(`${run}.0.0`)], ['OnSuccess', checksFor(`${run}.0.0`)]] as const) {
          const api = env.cluster.writes.mark();
          const arm = env.tm.writes.length;
          const result = await env.task(task, run, inputs);
          assert.equal(result.outcome, 'Succeeded', result.log);
          const made = { api: env.cluster.writes.since(api).length, arm: env.tm.writes.length - arm };
          for (const where of ['api', 'arm'] as const) writes[where][task] = run === 2 ? made[where] : Math.min(writes[where][task], made[where]);
        }
      }
    });
    after(() => env?.close());

    /** Deploy then OnSuccess of a new version, each dying after its `n`-th write to `where`, each re-run. */
    async function crashRound(where: 'api' | 'arm', n: number, seen: string[]): Promise<void> {
      round += 1;
      const run = 100 + round;
      const v = `${round + 3}.0.0`;
      const staged = production === 'green' ? 'blue' : 'green';
      const faults: CrashFaults = where === 'api' ? env.cluster.faults : env.tm.faults;
      for (const [task, inputs] of [['Deploy', version(v)], ['OnSuccess', checksFor(v)]] as const) {
        const point = Math.min(n, writes[where][task]);
        const crashed = await crashAfter(env, task, run, inputs, point, faults);
        seen.push(`${task} ${where} write ${point}: ${crashed.crash ? `${crashed.crash.method} ${crashed.crash.path.replace(/^.*\/providers\//, '…/')}` : 'no crash'}`);
        assert.ok(crashed.crash, `${task} made fewer than ${point} ${where} writes: ${crashed.run.log}`);
        const rerun = await env.task(task, run, inputs);
        assert.equal(rerun.outcome, 'Succeeded', `re-run of ${task} after ${seen.at(-1)}: ${rerun.message}\n${rerun.log}`);
        if (task === 'Deploy') assert.deepEqual([rerun.outputs.stagingSlot, rerun.outputs.productionSlot], [staged, production], seen.at(-1));
        else assert.equal(rerun.outputs.productionVersion, v, seen.at(-1));
      }
      production = staged;
      const after = seen.slice(-2).join('; ');
      assert.deepEqual(namespaces.flatMap((ns) => releasesIn(env, ns)), [release(production)], `only production remains after ${after}`);
      assert.deepEqual(endpointsOf(env), [`calc-${production}: Enabled 1000`], `one endpoint after ${after}`);
      const lbs = env.cluster.store.ofKind('Service').filter((s) => s.spec?.type === 'LoadBalancer').map((s) => s.metadata.name);
      assert.deepEqual(lbs, [c.ownership === 'managed' ? `calc-${production}-lb` : release(production)], `one load balancer after ${after}`);
      assert.equal(env.cluster.store.ofKind('Lease').length, 0, 'the lease was released');
    }

    for (const where of ['arm', 'api'] as const) {
      it(`dying after any ${where === 'arm' ? 'ARM' : 'Kubernetes API'} write of Deploy or OnSuccess, then re-running, ends consistent with no failed user request`, async () => {
        const users = env.users(4);
        const seen: string[] = [];
        const rounds = Math.max(writes[where].Deploy, writes[where].OnSuccess);
        assert.ok(rounds > 0);
        for (let n = 1; n <= rounds; n++) {
          users.forEach((u) => u.mark(`${where} crash ${n}`));
          await crashRound(where, n, seen);
        }
        const results = await Promise.all(users.map((u) => u.stop()));
        console.log(`      crash points (${seen.length}):\n${seen.map((s) => `        ${s}`).join('\n')}`);
        for (const r of results) for (const p of r.phases) assert.equal(p.failures, 0, `${p.phase}: ${JSON.stringify(p.statuses)} ${JSON.stringify(p.firstFailure)}`);
      });
    }
  });
}
