// BlueGreenRollback, crash safety: a Rollback that dies after any of its writes (Kubernetes API writes on
// ingress-nginx and Gateway API, ARM writes on Traffic Manager) converges when it is run again, with
// production up all along.
import * as assert from 'node:assert/strict';
import type { Probe } from '../cluster/probe';
import { crashAfter, type CrashFaults } from './crash';
import { checksFor, type Env, startEnv, version } from './env';
import { startGatewayEnv } from './env-gateway';
import { startTrafficManagerEnv, type TmEnv } from './env-trafficmanager';
import { expectOutcome, releasesIn } from './expect';

const CRASH_CASES: Array<{ title: string; start: () => Promise<Env>; where: 'api' | 'arm' }> = [
  { title: 'ingress-nginx, managed, helm 3, Kubernetes API writes', start: () => startEnv({ helm: 'v3', router: 'nginx', ownership: 'managed', settleSeconds: 1 }), where: 'api' },
  { title: 'Gateway API, helm 4, Kubernetes API writes', start: () => startGatewayEnv({ helm: 'v4', layout: 'shared' }), where: 'api' },
  { title: 'Traffic Manager, managed, helm 3, ARM writes', start: () => startTrafficManagerEnv({ helm: 'v3', ownership: 'managed', ttl: 1, margin: 1, settleSeconds: 2 }), where: 'arm' },
];

for (const c of CRASH_CASES) {
  describe(`Rollback crash safety: ${c.title}`, function () {
    this.timeout(1_200_000);
    let env: Env;
    let writes = 0;
    const inputs = { ...checksFor('1.0.0'), afterRollback: 'remove', drainSeconds: '0' };
    const faults = (): CrashFaults => (c.where === 'api' ? env.cluster.faults : (env as TmEnv).tm.faults);
    const count = () => (c.where === 'api' ? env.cluster.writes.mark() : (env as TmEnv).tm.writes.length);
    before(async () => {
      env = await c.start();
      expectOutcome(await env.task('Deploy', 1, version('1.0.0')), 'Succeeded');
      expectOutcome(await env.task('Deploy', 2, version('2.0.0')), 'Succeeded');
      expectOutcome(await env.task('OnSuccess', 2, { ...checksFor('2.0.0'), retirePolicy: 'keep' }), 'Succeeded');
      const mark = count();
      expectOutcome(await env.task('Rollback', 3, inputs), 'Succeeded');
      writes = count() - mark;
    });
    after(() => env?.close());

    it('dying after any write of Rollback, then running it again, ends with production on the kept version, always up', async () => {
      const probes: Probe[] = c.where === 'arm' ? (env as TmEnv).users(4) : [env.probe()];
      const seen: string[] = [];
      assert.ok(writes > 0, 'Rollback writes');
      for (let i = 1; i <= writes; i++) {
        const run = 100 + i;
        const v = `${i + 2}.0.0`;
        expectOutcome(await env.task('Deploy', run, version(v)), 'Succeeded');
        expectOutcome(await env.task('OnSuccess', run, { ...checksFor(v), retirePolicy: 'keep' }), 'Succeeded');
        const crash = await crashAfter(env, 'Rollback', 200 + i, inputs, i, faults());
        seen.push(`Rollback#${i}: ${crash.crash ? `${crash.crash.method} ${crash.crash.path.replace(/^.*\/providers\//, '…/')}` : 'no crash'}`);
        const rerun = await env.task('Rollback', 200 + i, inputs);
        expectOutcome(rerun, 'Succeeded');
        assert.equal(rerun.outputs.productionVersion, '1.0.0', `after ${seen.at(-1)}`);
        assert.deepEqual(releasesIn(env, env.options.namespace), ['calc-blue'], `the version rolled back from is removed after ${seen.at(-1)}`);
        assert.equal(env.cluster.store.ofKind('Lease', env.options.namespace).length, 0, 'the lease was released');
      }
      const results = await Promise.all(probes.map((p) => p.stop()));
      console.log(`      crash points (${seen.length}):\n${seen.map((s) => `        ${s}`).join('\n')}`);
      for (const result of results) for (const p of result.phases) assert.equal(p.failures, 0, `${p.phase}: ${JSON.stringify(p.statuses)} ${JSON.stringify(p.firstFailure)}`);
    });
  });
}
