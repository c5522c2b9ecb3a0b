// Real helm 3.18.0 and 4.1.4 against the local cluster: the release lifecycle our tasks drive.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { repoRoot } from '../../scripts/fetch-helm';
import { startCluster, type LocalCluster } from './cluster';
import type { HelmMajor, RunResult } from './helm';
import type { KubeObject } from './store';

const CHART = path.join(repoRoot, 'test', 'fixtures', 'charts', 'app');

interface ReleaseInfo {
  name: string;
  namespace: string;
  revision: string;
  status: string;
}

function ok(result: RunResult, what: string): string {
  assert.equal(result.code, 0, `${what} failed:\n${result.stderr}`);
  return result.stdout;
}

const envOf = (d: KubeObject | undefined, name: string) =>
  (d?.spec?.template?.spec?.containers?.[0]?.env ?? []).find((e: { name: string }) => e.name === name)?.value;

for (const major of ['v3', 'v4'] as HelmMajor[]) {
  describe(`helm ${major === 'v3' ? '3.18.0' : '4.1.4'} against the local cluster`, () => {
    let cluster: LocalCluster;
    const helm = async (...args: string[]) => cluster.helm(major, args);
    const helmOk = async (...args: string[]) => ok(await helm(...args), `helm ${args.join(' ')}`);
    const releases = async (namespace: string): Promise<ReleaseInfo[]> => JSON.parse(await helmOk('list', '-n', namespace, '-o', 'json')) as ReleaseInfo[];
    const deployment = (namespace: string, name: string) => cluster.store.ofKind('Deployment', namespace).find((d) => d.metadata.name === name);

    before(async () => {
      cluster = await startCluster({ readyDelayMs: 50 });
    });
    after(() => cluster.close());

    it('upgrade --install without --wait creates the release, its objects and the namespace', async () => {
      await helmOk('upgrade', '--install', 'web', CHART, '-n', 'shop', '--create-namespace');
      assert.deepEqual(
        (await releases('shop')).map((r) => [r.name, r.revision, r.status]),
        [['web', '1', 'deployed']],
      );
      assert.ok(deployment('shop', 'web'));
      const svc = cluster.store.ofKind('Service', 'shop').find((s) => s.metadata.name === 'web');
      assert.match(svc?.spec?.clusterIP ?? '', /^10\.0\./);
      const secrets = cluster.store.ofKind('Secret', 'shop').map((s) => [s.metadata.name, s.type, s.metadata.labels?.status]);
      assert.deepEqual(secrets, [['sh.helm.release.v1.web.v1', 'helm.sh/release.v1', 'deployed']]);
    });

    it(`records ownership the way helm ${major} writes (${major === 'v4' ? 'server-side apply' : 'create + strategic merge patch'})`, async () => {
      const fields = deployment('shop', 'web')?.metadata.managedFields as Array<{ manager: string; operation: string }>;
      const helmEntry = fields.find((f) => f.manager === 'helm');
      assert.equal(helmEntry?.operation, major === 'v4' ? 'Apply' : 'Update');
      const deploymentWrites = cluster.writes.entries.filter((w) => w.resource === 'deployments');
      assert.deepEqual(
        deploymentWrites.map((w) => [w.method, w.contentType]),
        [major === 'v4' ? ['PATCH', 'application/apply-patch+yaml'] : ['POST', 'application/json']],
      );
    });

    it('upgrade --install --wait returns only once the Deployment is ready and the LoadBalancer has an address', async () => {
      cluster.setReadyDelay(400);
      try {
        await helmOk('upgrade', '--install', 'api', CHART, '-n', 'shop', '--set', 'service.type=LoadBalancer', '--wait', '--timeout', '60s');
      } finally {
        cluster.setReadyDelay(50);
      }
      const status = deployment('shop', 'api')?.status;
      assert.equal(status?.readyReplicas, 1);
      assert.equal(status?.availableReplicas, 1);
      const svc = cluster.store.ofKind('Service', 'shop').find((s) => s.metadata.name === 'api');
      assert.match(svc?.status?.loadBalancer?.ingress?.[0]?.ip ?? '', /^20\.50\./);
    });

    if (major === 'v4') {
      it("--wait=legacy (helm 3's poller inside helm 4) waits on the same status", async () => {
        cluster.setReadyDelay(400);
        try {
          await helmOk('upgrade', '--install', 'legacy', CHART, '-n', 'shop', '--wait=legacy', '--timeout', '60s');
        } finally {
          cluster.setReadyDelay(50);
        }
        assert.equal(deployment('shop', 'legacy')?.status?.readyReplicas, 1);
      });
    }

    it('upgrades an existing release: new revision, values, manifest and history', async () => {
      await helmOk('upgrade', '--install', 'web', CHART, '-n', 'shop', '--set', 'version=2.0.0', '--set', 'image.tag=2.0.0', '--wait', '--timeout', '60s');
      assert.equal(envOf(deployment('shop', 'web'), 'VERSION'), '2.0.0');
      assert.deepEqual(JSON.parse(await helmOk('get', 'values', 'web', '-n', 'shop', '-o', 'json')), { version: '2.0.0', image: { tag: '2.0.0' } });
      const manifest = await helmOk('get', 'manifest', 'web', '-n', 'shop');
      assert.match(manifest, /kind: Deployment/);
      assert.match(manifest, /image: "example\.azurecr\.io\/app:2\.0\.0"/);
      const history = JSON.parse(await helmOk('history', 'web', '-n', 'shop', '-o', 'json')) as Array<{ revision: number; status: string }>;
      assert.deepEqual(history.map((h) => [h.revision, h.status]), [[1, 'superseded'], [2, 'deployed']]);
      const owned = cluster.store.ofKind('ReplicaSet', 'shop').filter((rs) => rs.metadata.ownerReferences?.[0]?.name === 'web');
      assert.equal(owned.length, 2, 'the rollout made a second ReplicaSet');
      assert.deepEqual(owned.map((rs) => rs.spec?.replicas).sort(), [0, 1], 'the old one is scaled down');
    });

    it('rolls back to revision 1', async () => {
      await helmOk('rollback', 'web', '1', '-n', 'shop', '--wait', '--timeout', '60s');
      assert.equal(envOf(deployment('shop', 'web'), 'VERSION'), '1.0.0');
      const history = JSON.parse(await helmOk('history', 'web', '-n', 'shop', '-o', 'json')) as Array<{ revision: number; status: string }>;
      assert.deepEqual(history.map((h) => [h.revision, h.status]), [[1, 'superseded'], [2, 'superseded'], [3, 'deployed']]);
    });

    it('helm test passes, and fails when the test pod fails', async () => {
      await helmOk('test', 'web', '-n', 'shop');
      await helmOk('upgrade', 'web', CHART, '-n', 'shop', '--set', 'test.fail=true');
      const failed = await helm('test', 'web', '-n', 'shop');
      assert.notEqual(failed.code, 0);
      assert.match(failed.stderr, /r?web-test-ping.*failed|failed.*web-test-ping/);
    });

    it('--wait fails in time on pods that never become ready, and records the release failed', async () => {
      // helm 3 polls until its timeout; helm 4's watcher stops at ProgressDeadlineExceeded.
      const args = major === 'v3' ? ['--timeout', '3s'] : ['--timeout', '60s', '--set', 'progressDeadlineSeconds=1'];
      const result = await helm('upgrade', '--install', 'broken', CHART, '-n', 'shop', '--wait', '--set', 'neverReady=true', ...args);
      assert.notEqual(result.code, 0);
      if (major === 'v3') assert.match(result.stderr, /context deadline exceeded/);
      else assert.match(result.stderr, /Deployment\/shop\/broken not ready\. status: Failed, message: Progress deadline exceeded/);
      const broken = (await releases('shop')).find((r) => r.name === 'broken');
      assert.equal(broken?.status, 'failed');
    });

    it('leaves a release in another namespace alone, through upgrades and uninstall', async () => {
      await helmOk('upgrade', '--install', 'web', CHART, '-n', 'other', '--create-namespace', '--set', 'version=9.9.9');
      const before = deployment('other', 'web');
      await helmOk('upgrade', '--install', 'web', CHART, '-n', 'shop', '--set', 'version=3.0.0');
      await helmOk('uninstall', 'web', '-n', 'shop');

      assert.deepEqual((await releases('other')).map((r) => [r.name, r.revision, r.status]), [['web', '1', 'deployed']]);
      const after = deployment('other', 'web');
      assert.equal(after?.metadata.uid, before?.metadata.uid);
      assert.equal(after?.metadata.generation, 1, 'no write touched its spec');
      assert.equal(envOf(after, 'VERSION'), '9.9.9');
    });

    it('uninstall removes the objects, what they own, and the release history', async () => {
      assert.equal(deployment('shop', 'web'), undefined);
      const leftovers = ['Service', 'ReplicaSet', 'Pod', 'Secret']
        .flatMap((kind) => cluster.store.ofKind(kind, 'shop'))
        .filter((o) => o.metadata.name?.startsWith('web') || o.metadata.name?.startsWith('sh.helm.release.v1.web.'))
        // Test hook pods are not part of the release manifest: real helm leaves them too.
        .filter((o) => o.metadata.annotations?.['helm.sh/hook'] !== 'test');
      assert.deepEqual(leftovers.map((o) => `${o.kind}/${o.metadata.name}`), []);
      assert.deepEqual((await releases('shop')).map((r) => r.name).sort(), major === 'v4' ? ['api', 'broken', 'legacy'] : ['api', 'broken']);
    });
  });
}
