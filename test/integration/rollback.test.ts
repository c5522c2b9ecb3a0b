// BlueGreenRollback on every router: production returns to the version OnSuccess kept (retirePolicy: keep)
// with one routing write and no failed request; the version rolled back from is left staged (or removed);
// nothing to roll back to is refused with nothing written. A Rollback that dies after any of its writes is
// in rollback-crash.test.ts.
import * as assert from 'node:assert/strict';
import type { WriteRecord } from '../cluster/apiserver/faults';
import type { Probe, ProbeResult } from '../cluster/probe';
import { checksFor, type Env, type RouterName, startEnv, version } from './env';
import { startGatewayEnv } from './env-gateway';
import { startTrafficManagerEnv, type TmEnv } from './env-trafficmanager';
import { expectOutcome, releasesIn } from './expect';


/** Writes that are not routing: the lease, the app's record, the settle fences, events, dry runs. */
const bookkeeping = (w: WriteRecord) => w.dryRun || /-bluegreen-fence$/.test(w.name ?? '') || ['leases', 'events'].includes(w.resource) || (w.resource === 'configmaps' && /-bluegreen-record$/.test(w.name ?? ''));
const isRecordWrite = (w: WriteRecord) => w.resource === 'configmaps' && /-bluegreen-record$/.test(w.name ?? '') && !w.dryRun;

/**
 * The routing writes between the rollback's "begun" record and its "confirmed" one: the switch itself
 * (the record is written three times: the validation, begun, confirmed).
 */
function switchWindow(writes: WriteRecord[]): { from: number; to: number; writes: WriteRecord[] } {
  const records = writes.filter(isRecordWrite);
  const [, begun, confirmed] = records;
  assert.ok(begun && confirmed, `the record is written for the validation, the begun and the confirmed rollback: ${records.map((w) => w.seq).join(', ')}`);
  return { from: begun.time, to: confirmed.time, writes: writes.filter((w) => w.seq > begun.seq && w.seq < confirmed.seq && !bookkeeping(w)) };
}

const CASES: Array<{ title: string; router: RouterName; start: () => Promise<Env> }> = [
  { title: 'ingress-nginx, managed, helm 4', router: 'nginx', start: () => startEnv({ helm: 'v4', router: 'nginx', ownership: 'managed' }) },
  { title: 'App Gateway, managed, helm 3', router: 'appgw', start: () => startEnv({ helm: 'v3', router: 'appgw', ownership: 'managed' }) },
  { title: 'Gateway API, shared namespace, helm 4', router: 'gateway', start: () => startGatewayEnv({ helm: 'v4', layout: 'shared' }) },
  { title: 'Traffic Manager, managed, helm 3', router: 'trafficmanager', start: () => startTrafficManagerEnv({ helm: 'v3', ownership: 'managed', ttl: 2, margin: 0 }) },
];

for (const c of CASES) {
  describe(`Rollback: ${c.title}`, function () {
    this.timeout(600_000);
    let env: Env;
    before(async () => {
      env = await c.start();
    });
    after(() => env?.close());

    it('with nothing kept, Rollback is refused and writes nothing', async () => {
      expectOutcome(await env.task('Deploy', 1, version('1.0.0')), 'Succeeded');
      const mark = env.cluster.writes.mark();
      const refused = await env.task('Rollback', 50, checksFor('1.0.0'));
      expectOutcome(refused, 'Failed');
      assert.match(refused.message, /Nothing to roll back to: slot green is empty.*retirePolicy: keep.*Nothing was changed/);
      assert.deepEqual(env.cluster.writes.since(mark).filter((w) => !w.dryRun && w.resource !== 'leases').map((w) => `${w.method} ${w.resource}/${w.name}`), []);
    });

    it('production returns to the kept version in one routing write, with no failed request', async () => {
      expectOutcome(await env.task('Deploy', 2, version('2.0.0')), 'Succeeded');
      expectOutcome(await env.task('OnSuccess', 2, { ...checksFor('2.0.0'), retirePolicy: 'keep' }), 'Succeeded');
      const tm = c.router === 'trafficmanager' ? (env as TmEnv) : undefined;
      const probes: Probe[] = tm ? tm.users(4) : [env.probe({ phase: 'rollback' })];
      const arm = tm?.tm.writes.length ?? 0;
      const mark = env.cluster.writes.mark();
      const rollback = await env.task('Rollback', 3, checksFor('1.0.0'), { variables: { 'Build.BuildId': '3', 'System.TeamProjectId': 'p1', 'Build.RequestedFor': 'Ana Ops' } });
      expectOutcome(rollback, 'Succeeded');
      assert.equal(rollback.outputs.productionVersion, '1.0.0');
      assert.equal(rollback.outputs.rolledBackFrom, 'green');
      assert.match(rollback.message, /Production is back on slot blue \(version 1\.0\.0\); version 2\.0\.0 was rolled back from/);
      assert.match(rollback.summaries.join('\n'), /\| p1\.build-3 \| Ana Ops \| rollback: 2\.0\.0 \(slot green\) -> 1\.0\.0 \(slot blue\) \| done \|/);

      const window = switchWindow(env.cluster.writes.since(mark));
      const switchWrites = tm
        ? tm.tm.writes.slice(arm).filter((w) => w.outcome === 'applied' && w.at > window.from && w.at < window.to).map((w) => `${w.method} ${w.resource} ${w.endpoint ?? ''}`)
        : window.writes.map((w) => `${w.method} ${w.resource}/${w.name}`);
      if (tm) {
        // Traffic Manager has no write covering two endpoints: its switch enables the kept slot before it
        // disables the other (never zero enabled endpoints), the same two writes as a promotion.
        assert.deepEqual(switchWrites, ['PATCH endpoint calc-blue', 'PATCH endpoint calc-green'], 'enable the kept slot, then disable the other');
      } else {
        assert.equal(switchWrites.length, 1, `production moves in one routing write: ${switchWrites.join(', ')}`);
      }

      if (tm) await new Promise((r) => setTimeout(r, 3000)); // the users' DNS answers expire (TTL 2 s)
      const results: ProbeResult[] = await Promise.all(probes.map((p) => p.stop()));
      for (const result of results) {
        assert.equal(result.total.failures, 0, `no failed request: ${JSON.stringify(result.total.firstFailure)}`);
        assert.ok((result.total.versions['1.0.0'] ?? 0) > 0, `users reach 1.0.0 after the rollback: ${JSON.stringify(result.total.versions)}`);
      }
      // The version rolled back from stays, staged for investigation (testers only).
      const ns = env.options.namespace;
      assert.deepEqual(releasesIn(env, ns), ['calc-blue', 'calc-green']);
      const again = await env.task('Rollback', 3, checksFor('1.0.0'));
      expectOutcome(again, 'Succeeded');
      assert.match(again.log, /This run already rolled production back to slot blue/);
      const next = await env.task('Rollback', 4, checksFor('2.0.0'));
      expectOutcome(next, 'Failed');
      assert.match(next.message, /never served production \(or was rolled back from\)/, 'the version rolled back from is not a rollback target');
    });
  });
}
