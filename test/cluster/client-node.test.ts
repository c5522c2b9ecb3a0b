// @kubernetes/client-node 1.4 (what the tasks ship) against the local API server: namespaces, patches
// of each content type, and a Lease renewed with resourceVersion preconditions.
import * as assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startCluster, type LocalCluster } from './cluster';

const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const strategic = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
const jsonPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);

async function rejects(promise: Promise<unknown>): Promise<k8s.ApiException<string>> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof k8s.ApiException) return err as k8s.ApiException<string>;
    throw err;
  }
  assert.fail('expected the call to fail');
}

describe('local cluster with @kubernetes/client-node', () => {
  let cluster: LocalCluster;
  let core: k8s.CoreV1Api;
  let networking: k8s.NetworkingV1Api;
  let coordination: k8s.CoordinationV1Api;

  before(async () => {
    cluster = await startCluster();
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    networking = kc.makeApiClient(k8s.NetworkingV1Api);
    coordination = kc.makeApiClient(k8s.CoordinationV1Api);
    await core.createNamespace({ body: { metadata: { name: 'calc' } } });
  });
  after(() => cluster.close());

  it('creates a namespace that reads back Active, and says AlreadyExists the second time', async () => {
    const ns = await core.readNamespace({ name: 'calc' });
    assert.equal(ns.status?.phase, 'Active');
    assert.ok(ns.metadata?.uid);
    const err = await rejects(core.createNamespace({ body: { metadata: { name: 'calc' } } }));
    assert.equal(err.code, 409);
    assert.equal(JSON.parse(err.body).reason, 'AlreadyExists');
  });

  it('answers 404 with a Status body for a missing object', async () => {
    const err = await rejects(core.readNamespacedService({ name: 'nope', namespace: 'calc' }));
    assert.equal(err.code, 404);
    assert.equal(JSON.parse(err.body).message, 'services "nope" not found');
  });

  it('merge-patches an Ingress: annotations added, a null removes one', async () => {
    await networking.createNamespacedIngress({
      namespace: 'calc',
      body: {
        metadata: { name: 'calc-canary', annotations: { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '10' } },
        spec: { ingressClassName: 'nginx', rules: [{ host: 'calc.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'green', port: { number: 80 } } } }] } }] },
      },
    });
    const patched = await networking.patchNamespacedIngress(
      { name: 'calc-canary', namespace: 'calc', body: { metadata: { annotations: { 'nginx.ingress.kubernetes.io/canary-weight': '30', 'nginx.ingress.kubernetes.io/canary': null } } } },
      merge,
    );
    assert.deepEqual(patched.metadata?.annotations, { 'nginx.ingress.kubernetes.io/canary-weight': '30' });
    assert.equal(patched.metadata?.generation, 1, 'annotations are metadata: generation stays');
  });

  it('patches a Service selector with a strategic merge patch and a json patch, keeping its clusterIP', async () => {
    const created = await core.createNamespacedService({
      namespace: 'calc',
      body: { metadata: { name: 'calc-active' }, spec: { selector: { app: 'calc', slot: 'blue' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    });
    const ip = created.spec?.clusterIP;
    assert.match(ip ?? '', /^10\.0\.\d+\.\d+$/);

    const viaStrategic = await core.patchNamespacedService(
      { name: 'calc-active', namespace: 'calc', body: { spec: { selector: { slot: 'green' }, ports: [{ port: 80, name: 'web' }] } } },
      strategic,
    );
    assert.deepEqual(viaStrategic.spec?.selector, { app: 'calc', slot: 'green' });
    assert.equal(viaStrategic.spec?.ports?.length, 1, 'ports merge by port');
    assert.equal(viaStrategic.spec?.ports?.[0]?.name, 'web');
    assert.equal(viaStrategic.spec?.clusterIP, ip);

    const viaJsonPatch = await core.patchNamespacedService(
      {
        name: 'calc-active',
        namespace: 'calc',
        body: [
          { op: 'test', path: '/metadata/resourceVersion', value: viaStrategic.metadata?.resourceVersion },
          { op: 'replace', path: '/spec/selector/slot', value: 'blue' },
        ],
      },
      jsonPatch,
    );
    assert.equal(viaJsonPatch.spec?.selector?.slot, 'blue');
    assert.equal(viaJsonPatch.spec?.clusterIP, ip);

    const stale = await rejects(
      core.patchNamespacedService({ name: 'calc-active', namespace: 'calc', body: [{ op: 'replace', path: '/metadata/resourceVersion', value: viaStrategic.metadata?.resourceVersion }] }, jsonPatch),
    );
    assert.equal(stale.code, 409);
  });

  it('creates and renews a Lease; a renewal from a stale resourceVersion gets 409', async () => {
    const now = new k8s.V1MicroTime();
    const lease = await coordination.createNamespacedLease({
      namespace: 'calc',
      body: { metadata: { name: 'calc-lifecycle' }, spec: { holderIdentity: 'run-1', leaseDurationSeconds: 60, acquireTime: now, renewTime: now } },
    });
    const renewed = await coordination.replaceNamespacedLease({
      name: 'calc-lifecycle',
      namespace: 'calc',
      body: { ...lease, spec: { ...lease.spec, renewTime: new k8s.V1MicroTime(Date.now() + 1000) } },
    });
    assert.notEqual(renewed.metadata?.resourceVersion, lease.metadata?.resourceVersion);

    const err = await rejects(
      coordination.replaceNamespacedLease({ name: 'calc-lifecycle', namespace: 'calc', body: { ...lease, spec: { ...lease.spec, holderIdentity: 'run-2' } } }),
    );
    assert.equal(err.code, 409);
    assert.equal(JSON.parse(err.body).reason, 'Conflict');
    const current = await coordination.readNamespacedLease({ name: 'calc-lifecycle', namespace: 'calc' });
    assert.equal(current.spec?.holderIdentity, 'run-1');
  });

  it('records client-node writes without a fieldManager under a manager taken from its user agent', async () => {
    const mark = cluster.writes.mark();
    await core.createNamespacedConfigMap({ namespace: 'calc', body: { metadata: { name: 'state' }, data: { slot: 'blue' } } });
    const [write] = cluster.writes.since(mark);
    assert.ok(write, 'the write was recorded');
    assert.equal(write.method, 'POST');
    assert.equal(write.resource, 'configmaps');
    assert.ok(write.manager.length > 0, `manager from user agent ${JSON.stringify(write.userAgent)}`);
    const cm = await core.readNamespacedConfigMap({ name: 'state', namespace: 'calc' });
    assert.equal(cm.metadata?.managedFields?.[0]?.manager, write.manager);
  });
});
