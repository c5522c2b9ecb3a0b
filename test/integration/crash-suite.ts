// Crash safety: for every API write of Deploy and of OnSuccess, a run that dies right after
// that write (the API server applies it, then goes dark and the task is SIGKILLed with its helm child),
// followed by a re-run of the same task, ends consistent, and production never fails a request.
// The cases are in crash-nginx.test.ts, crash-appgw.test.ts and crash-appgw-chart.test.ts.
import * as assert from 'node:assert/strict';
import { crashAfter } from './crash';
import { checksFor, type Env, type RouterName, startEnv, version } from './env';
import { activeRelease, releasesIn } from './expect';

export interface CrashCase {
  helm: 'v3' | 'v4';
  router: RouterName;
  ownership: 'managed' | 'chart';
}

/** One suite per case; the crash-*.test.ts files pick the cases (one file each, so they run in parallel). */
export function crashSuite({ helm, router, ownership }: CrashCase): void {
  describe(`crash safety: ${ownership} ${router}, helm ${helm}`, function () {
    this.timeout(900_000);
    let env: Env;
    const writes = { Deploy: 0, OnSuccess: 0 };

    before(async () => {
      env = await startEnv({ helm, router, ownership, settleSeconds: 1 });
      assert.equal((await env.task('Deploy', 1, version('1.0.0'))).outcome, 'Succeeded');
      // One clean cycle counts the writes each task makes.
      for (const [task, inputs] of [['Deploy', version('2.0.0')], ['OnSuccess', checksFor('2.0.0')]] as const) {
        const mark = env.cluster.writes.mark();
        const run = await env.task(task, 2, inputs);
        assert.equal(run.outcome, 'Succeeded', run.log);
        writes[task] = env.cluster.writes.since(mark).length;
      }
    });
    after(() => env?.close());

    it('Deploy and OnSuccess: dying after any write, then re-running, ends consistent with production always up', async () => {
      const probe = env.probe();
      const rounds = Math.max(writes.Deploy, writes.OnSuccess);
      const seen: string[] = [];
      let production = 'calc-green';
      for (let i = 1; i <= rounds; i++) {
        const run = 100 + i;
        const v = `${i + 2}.0.0`;
        const staged = production === 'calc-green' ? 'calc-blue' : 'calc-green';

        probe.mark(`deploy crash ${i}`);
        const deployCrash = await crashAfter(env, 'Deploy', run, version(v), Math.min(i, writes.Deploy));
        seen.push(`Deploy#${Math.min(i, writes.Deploy)}: ${deployCrash.crash ? `${deployCrash.crash.method} ${deployCrash.crash.path}` : 'no crash'}`);
        const deploy = await env.task('Deploy', run, version(v));
        assert.equal(deploy.outcome, 'Succeeded', `re-run of Deploy after ${seen.at(-1)}: ${deploy.message}\n${deploy.log}`);
        if (ownership === 'managed') assert.equal(activeRelease(env), production, `production stays on ${production} after ${seen.at(-1)}`);
        assert.equal(deploy.outputs.releaseName, staged);

        probe.mark(`promote crash ${i}`);
        const promoteCrash = await crashAfter(env, 'OnSuccess', run, checksFor(v), Math.min(i, writes.OnSuccess));
        seen.push(`OnSuccess#${Math.min(i, writes.OnSuccess)}: ${promoteCrash.crash ? `${promoteCrash.crash.method} ${promoteCrash.crash.path}` : 'no crash'}`);
        const promote = await env.task('OnSuccess', run, checksFor(v));
        assert.equal(promote.outcome, 'Succeeded', `re-run of OnSuccess after ${seen.at(-1)}: ${promote.message}\n${promote.log}`);
        assert.equal(promote.outputs.productionVersion, v);
        production = staged;
        if (ownership === 'managed') assert.equal(activeRelease(env), production);
        assert.deepEqual(releasesIn(env, 'calc'), [production], `only production remains after ${seen.at(-1)}`);
        assert.equal(env.cluster.store.ofKind('Lease', 'calc').length, 0, 'the lease was released');
      }
      const result = await probe.stop();
      console.log(`      crash points (${seen.length}):\n${seen.map((s) => `        ${s}`).join("\n")}`);
      for (const p of result.phases) assert.equal(p.failures, 0, `${p.phase}: ${JSON.stringify(p.statuses)} ${JSON.stringify(p.firstFailure)}`);
    });
  });
}
