// The app lease (shared/core/lease.ts) on the in-memory cluster, with a clock the test moves: which writes take,
// hand over and give back a lease, and that a holder whose lease is gone refuses its next write before it
// reaches the cluster. The same rules against the emulated API server, with real time and skewed holder
// clocks: test/cluster/lease.test.ts.
import type { V1Lease } from '@kubernetes/client-node';
import * as assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { acquireLease, LeaseLostError } from '../../shared/core/lease';
import { Kube } from '../../shared/kubernetes/client';
import { captureStdout } from '../unit/capture';
import { FakeCluster, Journal, routeKubeTo } from './fake-cluster';

const LEASE = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'calc-bluegreen', namespace: 'calc' } };
const OTHER = 'OnSuccess of run build-9 on other-agent (pid 1)';

describe('app lease on the in-memory cluster', () => {
  let journal: Journal;
  let cluster: FakeCluster;
  let restore: () => void;
  let now: number;
  const clock = () => now;
  const options = (extra: Partial<Parameters<typeof acquireLease>[1]> = {}) => ({ namespace: 'calc', app: 'calc', holder: 'Deploy of run build-1 on this-agent (pid 1)', waitSeconds: 600, pollSeconds: 0.05, clock, ...extra });

  beforeEach(() => {
    journal = new Journal();
    cluster = new FakeCluster(journal);
    restore = routeKubeTo(cluster);
    now = 1_000_000;
  });
  afterEach(() => restore());

  it('is taken with one create and given back with one conditional delete; nothing is written after that', async () => {
    const lease = await acquireLease(new Kube(new KubeConfig()), options());
    assert.deepEqual(journal.since(0), ['kube create Lease calc/calc-bluegreen']);
    await lease.release();
    assert.deepEqual(journal.since(0), ['kube create Lease calc/calc-bluegreen', 'kube delete Lease calc/calc-bluegreen']);
    assert.throws(() => lease.assertHeld(), LeaseLostError);
  });

  it('a second task waits no longer than its lockTimeout, names the holder, and writes nothing', async () => {
    cluster.put({ ...LEASE, spec: { holderIdentity: OTHER, leaseDurationSeconds: 60 } }, undefined, 'create');
    const { value } = await captureStdout(() => acquireLease(new Kube(new KubeConfig()), options({ waitSeconds: 0 })).then(() => undefined, (err: Error) => err));
    assert.match(String(value?.message), /holds its lease \(OnSuccess of run build-9 on other-agent \(pid 1\)/);
    assert.deepEqual(journal.since(0), []);
  });

  it('a lease left unchanged for its whole duration on the waiter\'s own clock is taken over with a conditional replace', async () => {
    cluster.put({ ...LEASE, spec: { holderIdentity: OTHER, leaseDurationSeconds: 60, renewTime: '2099-01-01T00:00:00.000000Z' } }, undefined, 'create');
    // Each look at the clock moves it 10 s: the waiter sees the same record for longer than 60 s within a few polls.
    const moving = () => (now += 10_000);
    const { value: lease, out } = await captureStdout(() => acquireLease(new Kube(new KubeConfig()), options({ clock: moving })));
    assert.deepEqual(journal.since(0), ['kube replace Lease calc/calc-bluegreen']);
    assert.match(out, /Taking over the lease of app calc from OnSuccess of run build-9/);
    await captureStdout(() => lease.release());
  });

  it('a holder whose lease another run took refuses its next write; the write never reaches the cluster', async () => {
    const kube = new Kube(new KubeConfig());
    const lease = await acquireLease(kube, options());
    kube.setWriteGuard(() => lease.assertHeld());
    const mine = cluster.get<V1Lease>('coordination.k8s.io/v1', 'Lease', 'calc', 'calc-bluegreen')!;
    cluster.put({ ...mine, spec: { ...mine.spec, holderIdentity: OTHER } }, undefined, 'replace');
    now += 60_000; // no renewal for the whole duration, on the holder's own clock
    const mark = journal.entries.length;
    await captureStdout(async () => {
      await assert.rejects(kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'calc' } }), LeaseLostError);
      await assert.rejects(lease.release(), LeaseLostError);
    });
    assert.deepEqual(journal.since(mark), [], 'neither the ConfigMap nor a delete of the other run\'s lease was written');
  });
});
