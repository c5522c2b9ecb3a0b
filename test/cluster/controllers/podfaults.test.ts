// The local cluster's kubelet failure modes (podfaults.ts, node.ts) and the pod log subresource
// (podlogs.ts), over the wire where a client would read them.
import * as assert from 'node:assert/strict';
import { startCluster, type LocalCluster } from '../cluster';
import { RESOURCES, type KubeObject } from '../store';
import { request } from '../apiserver/testclient';
import { BACKOFF, backoffMs, fullImage, invalidImageName } from './podfaults';
import { quantity, unschedulableMessage } from './node';

async function eventually<T>(probe: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

type Spec = { image?: string; env?: unknown[]; resources?: unknown };
const pod = (namespace: string, name: string, c: Spec): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace },
  spec: { containers: [{ name: 'app', image: c.image ?? 'app:1', ...(c.env ? { env: c.env } : {}), ...(c.resources ? { resources: c.resources } : {}) }] },
});

describe('local cluster kubelet: pods that do not start', function () {
  this.timeout(60_000);
  let cluster: LocalCluster;
  const get = (name: string) => cluster.store.ofKind('Pod', 'faults').find((p) => p.metadata.name === name);
  const container = (name: string) => get(name)?.status?.containerStatuses?.[0];
  const events = (name: string) => cluster.store.ofKind('Event', 'faults').filter((e) => e.involvedObject?.name === name);

  before(async () => {
    cluster = await startCluster({ readyDelayMs: 20, namespaces: ['faults'] });
  });
  after(() => cluster.close());

  it('a crashing container: Running, restarts that grow, CrashLoopBackOff with lastState.terminated, BackOff events, never Ready', async () => {
    cluster.seed(pod('faults', 'crash', { image: 'calc:crash' }));
    const first = await eventually(() => container('crash')?.state?.waiting?.reason === 'CrashLoopBackOff' && container('crash'), 'first crash');
    assert.equal(first.restartCount, 1);
    assert.deepEqual({ exitCode: first.lastState.terminated.exitCode, reason: first.lastState.terminated.reason }, { exitCode: 1, reason: 'Error' });
    assert.match(first.state.waiting.message, /^back-off 2s restarting failed container=app pod=crash_faults\(/);
    const third = await eventually(() => (container('crash')?.restartCount ?? 0) >= 2 && container('crash'), 'second crash');
    assert.equal(third.ready, false);
    assert.equal(get('crash')?.status?.phase, 'Running');
    const backoff = events('crash').find((e) => e.reason === 'BackOff');
    assert.equal(backoff?.type, 'Warning');
    assert.ok(Number(backoff?.count) >= 2, 'the repeated BackOff event is one event with a count');
  });

  it('an image that does not exist: ErrImagePull, then ImagePullBackOff, with the registry\'s answer in a Failed event', async () => {
    cluster.seed(pod('faults', 'pull', { image: 'calc:3.0.1-missing' }));
    const err = await eventually(() => container('pull')?.state?.waiting?.reason === 'ErrImagePull' && container('pull'), 'ErrImagePull');
    assert.match(err.state.waiting.message, /docker\.io\/library\/calc:3\.0\.1-missing: not found$/);
    await eventually(() => container('pull')?.state?.waiting?.reason === 'ImagePullBackOff', 'ImagePullBackOff');
    assert.equal(get('pull')?.status?.phase, 'Pending');
    assert.ok(events('pull').some((e) => e.type === 'Warning' && /^Failed to pull image "calc:3\.0\.1-missing": rpc error: code = NotFound/.test(e.message)));
  });

  it('a missing ConfigMap key reference: CreateContainerConfigError until the ConfigMap appears, then the pod starts', async () => {
    const env = [{ name: 'DB', valueFrom: { configMapKeyRef: { name: 'settings', key: 'db' } } }];
    cluster.seed(pod('faults', 'config', { env }));
    const waiting = await eventually(() => container('config')?.state?.waiting?.reason === 'CreateContainerConfigError' && container('config'), 'config error');
    assert.equal(waiting.state.waiting.message, 'configmap "settings" not found');
    cluster.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'faults' }, data: { other: 'x' } });
    await eventually(() => container('config')?.state?.waiting?.message === "couldn't find key db in ConfigMap faults/settings", 'missing key');
    const cm = cluster.store.ofKind('ConfigMap', 'faults').find((c) => c.metadata.name === 'settings')!;
    cluster.store.put(RESOURCES.find((r) => r.kind === 'ConfigMap')!, { ...cm, data: { db: 'postgres' } });
    await eventually(() => container('config')?.ready === true, 'the pod starts once the key exists', 10_000);
  });

  it('an invalid image name: InvalidImageName at once', async () => {
    cluster.seed(pod('faults', 'badname', { image: 'Calc:1.0' }));
    const c = await eventually(() => container('badname')?.state?.waiting?.reason === 'InvalidImageName' && container('badname'), 'InvalidImageName');
    assert.match(c.state.waiting.message, /couldn't parse image name "Calc:1\.0": invalid reference format/);
  });

  it('requests beyond the node: PodScheduled=False Unschedulable and a FailedScheduling event; no node, no start', async () => {
    cluster.seed(pod('faults', 'huge', { resources: { requests: { cpu: '8', memory: '1Gi' } } }));
    const p = await eventually(() => get('huge')?.status?.conditions?.find((c: { type: string }) => c.type === 'PodScheduled'), 'scheduling verdict');
    assert.deepEqual({ status: p.status, reason: p.reason }, { status: 'False', reason: 'Unschedulable' });
    assert.match(p.message, /^0\/1 nodes are available: 1 Insufficient cpu\./);
    assert.ok(events('huge').some((e) => e.reason === 'FailedScheduling' && e.source?.component === 'default-scheduler'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(get('huge')?.spec?.nodeName, undefined);
    assert.equal(get('huge')?.status?.containerStatuses, undefined);
  });

  it('ready-after-Ns: Running at once, Ready only after N seconds', async () => {
    cluster.seed(pod('faults', 'slow', { image: 'calc:ready-after-2s' }));
    await eventually(() => get('slow')?.status?.phase === 'Running', 'running');
    assert.equal(container('slow')?.ready, false);
    await eventually(() => container('slow')?.ready === true, 'ready after 2 s', 10_000);
  });

  it('the log subresource: a crashed run\'s lines with tailLines and previous; 400 for a container that never started', async () => {
    const base = `/api/v1/namespaces/faults/pods`;
    const crashed = await request(cluster.apiUrl, 'GET', `${base}/crash/log?container=app&previous=true&tailLines=1`);
    assert.equal(crashed.status, 200);
    assert.equal(crashed.text, 'fatal: cannot start: the local cluster makes images tagged "crash" exit with code 1\n');
    const pulling = await request(cluster.apiUrl, 'GET', `${base}/pull/log?container=app`);
    assert.equal(pulling.status, 400);
    assert.match(pulling.json.message, /^container "app" in pod "pull" is waiting to start: (ErrImagePull|ImagePullBackOff)$/);
    const other = await request(cluster.apiUrl, 'GET', `${base}/crash/log?container=sidecar`);
    assert.equal(other.status, 400);
  });

  it('helpers: back-off shape, image names, quantities, the scheduler\'s message', () => {
    assert.deepEqual([1, 2, 3, 4, 10].map(backoffMs), [2000, 4000, 8000, 16000, BACKOFF.maxMs]);
    assert.equal(fullImage('calc:1'), 'docker.io/library/calc:1');
    assert.equal(fullImage('contoso/calc:1'), 'docker.io/contoso/calc:1');
    assert.equal(fullImage('myacr.azurecr.io/calc:1'), 'myacr.azurecr.io/calc:1');
    assert.deepEqual(['calc:1', 'myacr.azurecr.io/team/calc:1.2.3', 'localhost:5000/calc', 'Calc:1', 'calc::1', 'calc:1 '].map(invalidImageName), [false, false, false, true, true, true]);
    assert.deepEqual(['500m', '2', '1Gi', '1.5G', 'x'].map(quantity), [0.5, 2, 2 ** 30, 1.5e9, NaN]);
    assert.equal(unschedulableMessage([{ resources: { requests: { cpu: '1', memory: '1Gi' } } }]), undefined);
    assert.match(unschedulableMessage([{ resources: { limits: { memory: '64Gi' } } }]) ?? '', /1 Insufficient memory/);
  });
});
