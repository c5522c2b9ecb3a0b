// The app lease is fenced (shared/core/lease.ts, docs/lease.md), against the local API server with 3 s
// leases: expiry is judged on the observer's own monotonic clock, whatever the holder's renewTime says;
// a holder that lost its lease (taken over, renewals failing, process paused) refuses every later
// Kubernetes and helm write, and none of them reaches the store.
import type { V1ConfigMap, V1Lease } from '@kubernetes/client-node';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { KubeConfig } from '@kubernetes/client-node';
import { Helm } from '../../shared/helm/cli';
import { Kube, type KubeObject } from '../../shared/kubernetes/client';
import { acquireLease, type HeldLease, type LeaseOptions, LeaseLostError } from '../../shared/core/lease';
import { repoRoot } from '../../scripts/fetch-helm';
import { startCluster, type LocalCluster } from './cluster';
import { helmBinary } from './helm';
import { captureStdout } from '../unit/capture';

const NS = 'calc';
const CHART = path.join(repoRoot, 'test', 'fixtures', 'charts', 'app');
const FAR_HOLDER = 'Deploy of run p1.build-7 on far-agent (pid 42)';
/** Short leases for tests: 3 s, renewed every second, counted lost by the holder after 2.5 s without renewal. */
const SHORT = { durationSeconds: 3, pollSeconds: 0.2 } satisfies Partial<LeaseOptions>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isoAgo = (ms: number) => new Date(Date.now() - ms).toISOString().replace(/\.(\d{3})\d*Z$/, '.$1000Z');


/** Polls `condition` every 50 ms, failing after `ms`. */
async function waitFor(what: string, condition: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`${what} did not happen within ${ms} ms`);
    await sleep(50);
  }
}

describe('app lease: fenced, expiry on the observer clock', function () {
  this.timeout(60_000);
  let cluster: LocalCluster;
  let config: KubeConfig;
  /** The test's own client, writing Lease records directly (no guard). */
  let admin: Kube;
  let temp: string;
  const held: HeldLease[] = [];

  const leaseRef = (app: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: NS, name: `${app}-bluegreen` });
  const readLease = async (app: string) => {
    const lease = await admin.get<V1Lease>(leaseRef(app));
    assert.ok(lease, `Lease ${app}-bluegreen exists`);
    return lease;
  };
  const writeLease = async (app: string, spec: Record<string, unknown>) => {
    const existing = await admin.get<V1Lease>(leaseRef(app));
    const base = { ...leaseRef(app), metadata: { name: `${app}-bluegreen`, namespace: NS } };
    return existing ? admin.replace({ ...existing, spec: { ...existing.spec, ...spec } }) : admin.create({ ...base, spec });
  };
  const configMap = (name: string, data: Record<string, string>): KubeObject<V1ConfigMap> => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data });
  const configMapData = (name: string) => cluster.store.ofKind('ConfigMap', NS).find((o) => o.metadata.name === name)?.data;
  const acquire = async (kube: Kube, options: Partial<LeaseOptions> & { app: string; holder: string }) => {
    const lease = await acquireLease(kube, { namespace: NS, waitSeconds: 20, ...SHORT, ...options });
    held.push(lease);
    return lease;
  };

  before(async () => {
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-lease-'));
    cluster = await startCluster({ namespaces: [NS] });
    config = new KubeConfig();
    config.loadFromFile(cluster.kubeconfigPath);
    admin = new Kube(config);
  });
  afterEach(async () => {
    cluster.faults.clear();
    // Stop every renewal timer; lost leases reject their release, which is the point of other tests.
    await Promise.all(held.splice(0).map((l) => l.release().catch(() => undefined)));
  });
  after(async () => {
    await cluster?.close();
    fs.rmSync(temp, { recursive: true, force: true });
  });

  it('does not take over a live lease whose holder clock is 90 s behind', async () => {
    await writeLease('skew-behind', { holderIdentity: FAR_HOLDER, leaseDurationSeconds: 3, acquireTime: isoAgo(90_000), renewTime: isoAgo(90_000) });
    // The far holder keeps renewing, stamping renewTime with its own clock, 90 s behind ours.
    let renewals = 0;
    const renewer = setInterval(() => {
      void writeLease('skew-behind', { renewTime: isoAgo(90_000) }).then(() => (renewals += 1), () => undefined);
    }, 1000);
    try {
      const started = performance.now();
      await assert.rejects(
        acquire(new Kube(config), { app: 'skew-behind', holder: 'second run', waitSeconds: 7 }),
        /Another lifecycle of app skew-behind holds its lease \(Deploy of run p1\.build-7 on far-agent \(pid 42\), renewed .*\) and did not finish within 7 s; nothing was changed/,
      );
      assert.ok(performance.now() - started >= 7000, 'it waited its whole lock timeout');
    } finally {
      clearInterval(renewer);
    }
    assert.ok(renewals >= 4, `the holder renewed all along (${renewals} renewals)`);
    assert.equal((await readLease('skew-behind')).spec?.holderIdentity, FAR_HOLDER);
  });

  for (const [label, skewMs] of [['90 s behind', 90_000], ['90 s ahead', -90_000]] as const) {
    it(`takes over a lease left unchanged for the duration, timed on its own clock (holder clock ${label})`, async () => {
      const app = `stale-${skewMs > 0 ? 'behind' : 'ahead'}`;
      await writeLease(app, { holderIdentity: FAR_HOLDER, leaseDurationSeconds: 3, acquireTime: isoAgo(skewMs), renewTime: isoAgo(skewMs) });
      const started = performance.now();
      const { out } = await captureStdout(() => acquire(new Kube(config), { app, holder: 'second run' }));
      const waited = performance.now() - started;
      assert.ok(waited >= 3000, `not before the 3 s duration had passed on the taker's clock (took it after ${Math.round(waited)} ms)`);
      assert.ok(waited < 15_000, `soon after the duration (${Math.round(waited)} ms)`);
      assert.equal((await readLease(app)).spec?.holderIdentity, 'second run');
      assert.match(out, /Taking over the lease of app stale-\w+ from Deploy of run p1\.build-7 on far-agent \(pid 42\), which has not renewed it for 3(\.\d)? s as seen from this agent/);
    });
  }

  it('takes over at once a lease whose holder died on this agent', async () => {
    const exited = spawnSync(process.execPath, ['-e', '0']);
    const deadHolder = `Deploy of run p1.build-8 on ${os.hostname()} (pid ${exited.pid})`;
    await writeLease('dead-here', { holderIdentity: deadHolder, leaseDurationSeconds: 3, renewTime: isoAgo(0) });
    const started = performance.now();
    await captureStdout(() => acquire(new Kube(config), { app: 'dead-here', holder: 'second run' }));
    assert.ok(performance.now() - started < 2000, 'without waiting for the duration');
    assert.equal((await readLease('dead-here')).spec?.holderIdentity, 'second run');
  });

  it('a holder whose lease another run took refuses its next Kubernetes and helm writes, and none reaches the store', async () => {
    const kube = new Kube(config);
    const helm = new Helm(helmBinary('v4'), { kubeconfig: cluster.kubeconfigPath, workDir: fs.mkdtempSync(path.join(temp, 'work-')) });
    const lease = await acquire(kube, { app: 'taken', holder: 'first run' });
    kube.setWriteGuard(() => lease.assertHeld());
    helm.setGuard(() => lease.assertHeld());
    await kube.apply(configMap('written-while-held', { v: '1' }));
    assert.deepEqual(configMapData('written-while-held'), { v: '1' }, 'writes pass while the lease is held');

    const other = 'Deploy of run p1.build-9 on other-agent (pid 7)';
    await writeLease('taken', { holderIdentity: other, renewTime: isoAgo(0) });
    await captureStdout(() => waitFor('the holder noticing at its next renewal', () => lease.lost, 3000));
    const taken = await readLease('taken');
    const mark = cluster.writes.mark();

    const refused = /^This task lost the lease of app taken \(now held by Deploy of run p1\.build-9 on other-agent \(pid 7\)\); it stopped before changing anything else\./;
    const refusedError = (err: unknown) => err instanceof LeaseLostError && refused.test(err.message);
    const cm = await admin.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'written-while-held' });
    await assert.rejects(kube.apply(configMap('written-after-loss', { v: '2' })), refusedError);
    await assert.rejects(kube.create(configMap('created-after-loss', { v: '2' })), refusedError);
    await assert.rejects(kube.mergePatch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'written-while-held' }, { data: { v: '2' } }), refusedError);
    await assert.rejects(kube.replace({ ...cm!, data: { v: '2' } }), refusedError);
    await assert.rejects(kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'written-while-held' }), refusedError);
    await assert.rejects(helm.run(['upgrade', '--install', 'taken-blue', CHART, '--namespace', NS]), refusedError);
    await assert.rejects(helm.run(['uninstall', 'taken-blue', '--namespace', NS]), refusedError);
    await assert.rejects(helm.run(['rollback', 'taken-blue', '1', '--namespace', NS]), refusedError);
    await assert.rejects(helm.run(['test', 'taken-blue', '--namespace', NS]), refusedError);
    // Reading helm commands still run.
    assert.match((await captureStdout(() => helm.version())).value, /^4\./);
    assert.deepEqual((await captureStdout(() => helm.json(['list', '--namespace', NS, '-o', 'json']))).value, []);

    await sleep(1500); // more than a renewal period: the holder's renewal loop has stopped too
    await assert.rejects(captureStdout(() => lease.release()), (err: unknown) => err instanceof LeaseLostError && /Its lease was left as it is/.test((err as Error).message));
    assert.deepEqual(cluster.writes.since(mark), [], 'nothing the lost holder attempted reached the API server');
    assert.deepEqual(configMapData('written-while-held'), { v: '1' });
    assert.equal(configMapData('written-after-loss'), undefined);
    assert.equal(cluster.store.ofKind('Secret', NS).filter((s) => s.metadata.labels?.owner === 'helm').length, 0, 'helm wrote no release');
    const after = await readLease('taken');
    assert.equal(after.spec?.holderIdentity, other);
    assert.equal(after.metadata.resourceVersion, taken.metadata.resourceVersion, "the other run's record is untouched");
  });

  it('a holder whose renewals fail stops writing before another run can take its lease over', async () => {
    const kube = new Kube(config);
    // 1 s margin: the test notices the loss by polling, and must clear the fault before the taker writes.
    const lease = await acquire(kube, { app: 'unrenewed', holder: 'first run', marginSeconds: 1, renewSeconds: 0.75 });
    kube.setWriteGuard(() => lease.assertHeld());
    let blocked = true;
    for (let n = 1; n <= 20; n += 1) cluster.faults.failWrite(n, 500, (w) => blocked && w.resource === 'leases');
    const blockedAt = performance.now();
    const second = captureStdout(() => acquire(new Kube(config), { app: 'unrenewed', holder: 'second run' }));
    await captureStdout(() => waitFor('the holder counting its lease lost', () => lease.lost, 5000));
    const lostAt = performance.now();
    blocked = false;
    const mark = cluster.writes.mark();
    await assert.rejects(kube.apply(configMap('unrenewed-after-loss', { v: '1' })), /This task lost the lease of app unrenewed \(it was last renewed \d+(\.\d)? s ago(, and renewing failed: Cannot update Lease calc\/unrenewed-bluegreen: 500[^;]*)?; another run may hold it now\); it stopped/);
    assert.deepEqual(cluster.writes.since(mark), []);
    const { out } = await second;
    const takenAt = performance.now();
    assert.ok(lostAt - blockedAt < 3000, `the holder stopped within the duration (after ${Math.round(lostAt - blockedAt)} ms)`);
    assert.ok(takenAt - blockedAt >= 3000, `the second run waited the duration (${Math.round(takenAt - blockedAt)} ms)`);
    assert.ok(lostAt < takenAt);
    assert.match(out, /Taking over the lease of app unrenewed from first run/);
    assert.equal((await readLease('unrenewed')).spec?.holderIdentity, 'second run');
    await assert.rejects(captureStdout(() => lease.release()), LeaseLostError);
    assert.equal((await readLease('unrenewed')).spec?.holderIdentity, 'second run', 'the lost holder did not delete the new lease');
  });

  it('a holder paused longer than the lease refuses its next write before its renewal timer runs', async () => {
    let pausedMs = 0;
    const clock = () => performance.now() + pausedMs;
    const kube = new Kube(config);
    const lease = await acquire(kube, { app: 'paused', holder: 'first run', clock });
    kube.setWriteGuard(() => lease.assertHeld());
    await kube.apply(configMap('paused-before', { v: '1' }));
    const mark = cluster.writes.mark();
    // As if SIGSTOP'd for 4 s: the monotonic clock jumps, and the next thing the process does is a write.
    pausedMs = 4000;
    const { out } = await captureStdout(() => assert.rejects(kube.apply(configMap('paused-before', { v: '2' })), /This task lost the lease of app paused \(it was last renewed 4(\.\d)? s ago; another run may hold it now\)/));
    assert.match(out, /task\.issue type=warning.*This task lost the lease of app paused/);
    assert.deepEqual(cluster.writes.since(mark), [], 'the write was never sent');
    assert.deepEqual(configMapData('paused-before'), { v: '1' });
    assert.equal(lease.lost, true);
    // Nobody took it, so the release still frees it (conditionally on our last write) and says what happened.
    await assert.rejects(captureStdout(() => lease.release()), /Nobody had taken its lease yet: it was deleted/);
    assert.equal(await admin.get(leaseRef('paused')), undefined);
  });

  it('releases a held lease (a conditional delete) and fences writes after the release', async () => {
    const kube = new Kube(config);
    const lease = await acquire(kube, { app: 'released', holder: 'first run' });
    kube.setWriteGuard(() => lease.assertHeld());
    await sleep(1500); // at least one renewal
    assert.equal(lease.lost, false);
    await lease.release();
    assert.equal(await admin.get(leaseRef('released')), undefined);
    await assert.rejects(kube.apply(configMap('after-release', { v: '1' })), /already gave back the lease of app released/);
  });
});
