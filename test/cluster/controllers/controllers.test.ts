import * as assert from 'node:assert/strict';
import { startCluster, type LocalCluster } from '../cluster';
import { RESOURCES, type KubeObject } from '../store';

/** Polls `probe` until it returns a value (bounded), so tests wait for controllers without fixed sleeps. */
async function eventually<T>(probe: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const resource = (kind: string) => RESOURCES.find((r) => r.kind === kind)!;
const condition = (o: KubeObject | undefined, type: string) => (o?.status?.conditions ?? []).find((c: { type: string }) => c.type === type);

interface DeploymentOptions {
  replicas?: number;
  image?: string;
  annotations?: Record<string, string>;
  env?: Array<{ name: string; value: string }>;
  progressDeadlineSeconds?: number;
}

function deployment(namespace: string, name: string, options: DeploymentOptions = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: options.replicas ?? 1,
      ...(options.progressDeadlineSeconds ? { progressDeadlineSeconds: options.progressDeadlineSeconds } : {}),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, ...(options.annotations ? { annotations: options.annotations } : {}) },
        spec: { containers: [{ name: 'app', image: options.image ?? 'app:1', env: options.env ?? [], ports: [{ name: 'http', containerPort: 8080 }] }] },
      },
    },
  };
}

describe('local cluster controllers', () => {
  let cluster: LocalCluster;
  const get = (kind: string, namespace: string | undefined, name: string) => cluster.store.ofKind(kind, namespace).find((o) => o.metadata.name === name);
  const owned = (kind: string, owner: KubeObject) => cluster.store.ofKind(kind, owner.metadata.namespace).filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid && r.controller));

  before(async () => {
    cluster = await startCluster({ readyDelayMs: 20, namespaces: ['deploy', 'never', 'svc', 'hooks'], region: 'northeurope' });
  });
  after(() => cluster.close());

  it('rolls a Deployment out through an owned ReplicaSet to Ready pods, with the status helm reads', async () => {
    const d = cluster.seed(deployment('deploy', 'web', { replicas: 2 }));
    const done = await eventually(() => {
      const now = get('Deployment', 'deploy', 'web');
      return condition(now, 'Progressing')?.reason === 'NewReplicaSetAvailable' && now;
    }, 'rollout');
    assert.deepEqual(
      [done.status.observedGeneration, done.status.replicas, done.status.updatedReplicas, done.status.readyReplicas, done.status.availableReplicas],
      [1, 2, 2, 2, 2],
    );
    assert.equal(condition(done, 'Available')?.status, 'True');
    const [rs] = owned('ReplicaSet', d);
    assert.ok(rs, 'the ReplicaSet');
    const hash = rs.metadata.labels?.['pod-template-hash'];
    assert.ok(hash);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.equal(rs.spec.selector.matchLabels['pod-template-hash'], hash);
    const template = structuredClone(rs.spec.template);
    delete template.metadata.labels['pod-template-hash'];
    assert.deepEqual(template, d.spec.template, 'template equal apart from the hash label');
    const pods = owned('Pod', rs);
    assert.equal(pods.length, 2);
    for (const p of pods) {
      assert.equal(p.status.phase, 'Running');
      assert.equal(condition(p, 'Ready')?.status, 'True');
      assert.match(p.status.podIP, /^10\.244\./);
    }
  });

  it('rolls a new template out and scales the old ReplicaSet down once the new one is ready', async () => {
    const d = get('Deployment', 'deploy', 'web') as KubeObject;
    d.spec.template.spec.containers[0].image = 'app:2';
    d.metadata.generation = 2;
    cluster.store.put(resource('Deployment'), d);
    const done = await eventually(() => {
      const now = get('Deployment', 'deploy', 'web');
      const sets = owned('ReplicaSet', d);
      return now?.status?.observedGeneration === 2 && condition(now, 'Progressing')?.reason === 'NewReplicaSetAvailable' && sets.length === 2 && sets;
    }, 'second rollout');
    const byImage = new Map(done.map((rs) => [rs.spec.template.spec.containers[0].image, rs]));
    assert.equal(byImage.get('app:1')?.spec.replicas, 0);
    assert.equal(byImage.get('app:2')?.spec.replicas, 2);
    assert.equal(byImage.get('app:2')?.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    await eventually(() => owned('Pod', byImage.get('app:1')!).length === 0, 'old pods gone');
  });

  it('keeps pods Running but never Ready on demand (annotation, env, image tag) and reports ProgressDeadlineExceeded', async () => {
    const neverReady: Array<[string, DeploymentOptions]> = [
      ['by-annotation', { annotations: { 'bluegreen.test/never-ready': 'true' } }],
      ['by-env', { env: [{ name: 'NEVER_READY', value: 'true' }] }],
      ['by-image', { image: 'app:2.0-never-ready' }],
    ];
    for (const [name, options] of neverReady) cluster.seed(deployment('never', name, { ...options, progressDeadlineSeconds: 1 }));
    for (const [name] of neverReady) {
      const failed = await eventually(() => {
        const now = get('Deployment', 'never', name);
        return condition(now, 'Progressing')?.reason === 'ProgressDeadlineExceeded' && now;
      }, `progress deadline of ${name}`);
      assert.equal(condition(failed, 'Progressing')?.status, 'False');
      assert.equal(condition(failed, 'Available')?.status, 'False');
      assert.equal(failed.status.readyReplicas, undefined);
      const pod = cluster.store.ofKind('Pod', 'never').find((p) => p.metadata.name?.startsWith(`${name}-`));
      assert.equal(pod?.status.phase, 'Running', name);
      assert.equal(condition(pod, 'Ready')?.status, 'False', name);
    }
    cluster.seed(deployment('never', 'control', { progressDeadlineSeconds: 1 }));
    await eventually(() => condition(get('Deployment', 'never', 'control'), 'Available')?.status === 'True', 'the control deployment');
  });

  it('gives LoadBalancer Services an address, the DNS label as hostname, and honours a static IP', async () => {
    const lb = (name: string, annotations: Record<string, string> = {}, spec: Record<string, unknown> = {}) =>
      cluster.seed({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'svc', annotations }, spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80 }], ...spec } });
    lb('plain');
    lb('labelled', { 'service.beta.kubernetes.io/azure-dns-label-name': 'calc-green' });
    lb('static', { 'service.beta.kubernetes.io/azure-load-balancer-ipv4': '52.1.2.3' });
    lb('legacy', {}, { loadBalancerIP: '52.1.2.4' });
    const ingress = (name: string) => get('Service', 'svc', name)?.status?.loadBalancer?.ingress?.[0];
    await eventually(() => ['plain', 'labelled', 'static', 'legacy'].every((n) => ingress(n)), 'load balancers');
    assert.match(ingress('plain').ip, /^20\.50\.\d+\.\d+$/);
    assert.notEqual(ingress('plain').ip, ingress('labelled').ip);
    assert.equal(ingress('labelled').hostname, 'calc-green.northeurope.cloudapp.azure.com');
    assert.equal(ingress('static').ip, '52.1.2.3');
    assert.equal(ingress('legacy').ip, '52.1.2.4');
    cluster.seed({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'internal', namespace: 'svc' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } });
    assert.match(get('Service', 'svc', 'internal')?.spec.clusterIP, /^10\.0\./);
    assert.deepEqual(get('Service', 'svc', 'internal')?.status, { loadBalancer: {} });
  });

  it('lists ready pods in Endpoints, resolving named target ports', async () => {
    cluster.seed({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'deploy' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    const ep = await eventually(() => {
      const e = get('Endpoints', 'deploy', 'web');
      return e?.subsets?.[0]?.addresses?.length === 2 && e;
    }, 'endpoints');
    assert.deepEqual(ep.subsets[0].ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });

  it('runs helm test pods and Jobs to completion: Succeeded, or Failed with env FAIL=true', async () => {
    const testPod = (name: string, fail: boolean) =>
      cluster.seed({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'hooks', annotations: { 'helm.sh/hook': 'test' } },
        spec: { containers: [{ name: 't', image: 'busybox', env: fail ? [{ name: 'FAIL', value: 'true' }] : [] }] },
      });
    testPod('passes', false);
    testPod('fails', true);
    await eventually(() => get('Pod', 'hooks', 'passes')?.status?.phase === 'Succeeded', 'test pod success');
    await eventually(() => get('Pod', 'hooks', 'fails')?.status?.phase === 'Failed', 'test pod failure');

    cluster.seed({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', namespace: 'hooks' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'migrate:1' }] } } } });
    const job = await eventually(() => {
      const j = get('Job', 'hooks', 'migrate');
      return condition(j, 'Complete')?.status === 'True' && j;
    }, 'job completion');
    assert.equal(job.status.succeeded, 1);
  });

  it('sets a Namespace written without status to Active', async () => {
    cluster.store.put(resource('Namespace'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'raw', uid: 'raw-uid' } });
    await eventually(() => get('Namespace', undefined, 'raw')?.status?.phase === 'Active', 'namespace phase');
  });
});
