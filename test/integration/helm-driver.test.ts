// helm's release storage follows HELM_DRIVER: with the ConfigMap driver the tasks read the releases where
// helm keeps them (else every Deploy would look like a first deploy and upgrade production in place); a
// driver the tasks cannot read fails before anything changes.
import * as assert from 'node:assert/strict';
import type { TaskRun } from '../cluster/agent';
import { request } from '../../shared/checks/http';
import { type Env, HOST, startEnv, version } from './env';
import { activeRelease } from './expect';

const helmRecords = (env: Env, kind: 'Secret' | 'ConfigMap') =>
  env.cluster.store
    .ofKind(kind, 'calc')
    .filter((o) => o.metadata.labels?.owner === 'helm')
    .map((o) => `${o.metadata.labels?.name}.v${o.metadata.labels?.version}`)
    .sort();

for (const helm of ['v3', 'v4'] as const) {
  describe(`helm storage driver: managed nginx, helm ${helm}`, function () {
    this.timeout(300_000);
    let env: Env;
    const runs: Record<string, TaskRun> = {};
    let unsupported: { secrets: string[]; configMaps: string[] };

    before(async () => {
      env = await startEnv({ helm, router: 'nginx', ownership: 'managed', run: { env: { HELM_DRIVER: 'configmap' } } });
      runs.sql = await env.task('Deploy', 1, version('1.0.0'), { env: { HELM_DRIVER: 'sql' } });
      unsupported = { secrets: helmRecords(env, 'Secret'), configMaps: helmRecords(env, 'ConfigMap') };
      runs.first = await env.task('Deploy', 1, version('1.0.0'));
      runs.second = await env.task('Deploy', 2, version('2.0.0'));
    });
    after(() => env?.close());

    it('HELM_DRIVER=sql fails Deploy with a clear message, and nothing is installed', () => {
      assert.equal(runs.sql?.outcome, 'Failed');
      assert.match(runs.sql?.message, /^HELM_DRIVER=sql is not supported: .*unset HELM_DRIVER .* or set it to secret or configmap; nothing was changed\.$/);
      assert.deepEqual(unsupported, { secrets: [], configMaps: [] });
    });

    it('with HELM_DRIVER=configmap helm stores the releases in ConfigMaps', () => {
      assert.equal(runs.first?.outcome, 'Succeeded', `${runs.first?.message}\n${runs.first?.log}`);
      assert.equal(runs.first?.outputs.firstDeploy, 'true');
      assert.deepEqual(helmRecords(env, 'Secret'), []);
      assert.deepEqual(helmRecords(env, 'ConfigMap'), ['calc-blue.v1', 'calc-green.v1']);
    });

    it('the second Deploy sees the first and stages v2 in the other slot; production still answers v1', async () => {
      assert.equal(runs.second?.outcome, 'Succeeded', `${runs.second?.message}\n${runs.second?.log}`);
      assert.deepEqual([runs.second?.outputs.firstDeploy, runs.second?.outputs.stagingSlot, runs.second?.outputs.productionSlot], ['false', 'green', 'blue']);
      assert.equal(runs.second?.outputs.version, '2.0.0');
      assert.equal(activeRelease(env), 'calc-blue');
      const answer = await request({ label: 'production', baseUrl: env.dataplane.url, host: HOST, pathPrefix: '', headers: {} }, 'GET', '/ping', {}, 10_000);
      assert.equal(answer.status, 200);
      assert.match(answer.body, /"version":"1\.0\.0"/);
    });
  });
}
