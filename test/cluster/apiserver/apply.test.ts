import * as assert from 'node:assert/strict';
import { RESOURCES, Store, type KubeObject } from '../store';
import { ApiError } from './errors';
import { Registry, type WriteContext } from './registry';
import type { JsonObject } from './schema';

const r = (kind: string) => RESOURCES.find((x) => x.kind === kind)!;
const as = (manager: string): WriteContext => ({ manager, dryRun: false });

const canaryIngress = (annotations: Record<string, string>): JsonObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'calc-canary', annotations },
  spec: { ingressClassName: 'nginx', rules: [{ host: 'calc.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'green', port: { number: 80 } } } }] } }] },
});

const managers = (o: KubeObject) => (o.metadata.managedFields as Array<{ manager: string; operation: string }>).map((f) => `${f.manager}/${f.operation}`);

describe('server-side apply', () => {
  let registry: Registry;
  const apply = (body: JsonObject, manager = 'helm', force = false, kind = 'Ingress') =>
    registry.patch(r(kind), 'calc', (body.metadata as { name: string }).name, 'apply', body, as(manager), force);

  beforeEach(() => {
    registry = new Registry(new Store(), []);
    registry.create(r('Namespace'), undefined, { metadata: { name: 'calc' } }, as('test'));
  });

  it('creates with 201 and records the manager as an Apply owner of exactly the fields it sent', () => {
    const created = apply(canaryIngress({ 'nginx.ingress.kubernetes.io/canary': 'true' }));
    assert.equal(created.status, 201);
    const [entry] = created.body.metadata.managedFields as Array<{ manager: string; operation: string; fieldsV1: JsonObject }>;
    assert.ok(entry, 'a managedFields entry');
    assert.equal(entry.manager, 'helm');
    assert.equal(entry.operation, 'Apply');
    assert.deepEqual(entry.fieldsV1, {
      'f:metadata': { 'f:annotations': { 'f:nginx.ingress.kubernetes.io/canary': {} } },
      'f:spec': { 'f:ingressClassName': {}, 'f:rules': {} },
    });
    assert.equal(apply(canaryIngress({ 'nginx.ingress.kubernetes.io/canary': 'true' })).body.metadata.resourceVersion, created.body.metadata.resourceVersion, 'a no-op apply keeps the resourceVersion');
  });

  it('removes fields the manager applied before and omits now (disabling a canary drops its annotations)', () => {
    apply(canaryIngress({ 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '20' }));
    const after = apply(canaryIngress({ 'nginx.ingress.kubernetes.io/canary': 'true' }));
    assert.deepEqual(after.body.metadata.annotations, { 'nginx.ingress.kubernetes.io/canary': 'true' });
    const none = apply({ ...canaryIngress({}), metadata: { name: 'calc-canary' } });
    assert.equal(none.body.metadata.annotations, undefined, 'the emptied annotations map goes too');
  });

  it('keeps an omitted field another manager also owns', () => {
    apply(canaryIngress({ team: 'a' }), 'helm');
    apply(canaryIngress({ team: 'a' }), 'other-tool');
    const after = apply({ ...canaryIngress({}), metadata: { name: 'calc-canary' } }, 'helm');
    assert.deepEqual(after.body.metadata.annotations, { team: 'a' });
  });

  it('conflicts with a field another manager wrote with a different value, unless forced', () => {
    apply(canaryIngress({ 'nginx.ingress.kubernetes.io/canary-weight': '0' }));
    registry.patch(r('Ingress'), 'calc', 'calc-canary', 'merge', { metadata: { annotations: { 'nginx.ingress.kubernetes.io/canary-weight': '30' } } }, as('kubectl-client-side-apply'), false);

    assert.throws(
      () => apply(canaryIngress({ 'nginx.ingress.kubernetes.io/canary-weight': '50' })),
      (e: ApiError) => {
        assert.equal(e.code, 409);
        assert.equal(e.reason, 'Conflict');
        assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using networking.k8s.io/v1: .metadata.annotations.nginx.ingress.kubernetes.io/canary-weight');
        return true;
      },
    );
    const forced = apply(canaryIngress({ 'nginx.ingress.kubernetes.io/canary-weight': '50' }), 'helm', true);
    assert.equal(forced.body.metadata.annotations?.['nginx.ingress.kubernetes.io/canary-weight'], '50');
    assert.deepEqual(managers(forced.body), ['helm/Apply'], 'force takes the field away from the other manager');
  });

  it('does not conflict when the other manager holds the same value', () => {
    apply(canaryIngress({ 'nginx.ingress.kubernetes.io/canary-weight': '10' }));
    registry.patch(r('Ingress'), 'calc', 'calc-canary', 'merge', { metadata: { annotations: { 'nginx.ingress.kubernetes.io/canary-weight': '30' } } }, as('kubectl'), false);
    const same = apply(canaryIngress({ 'nginx.ingress.kubernetes.io/canary-weight': '30' }));
    assert.equal(same.status, 200);
  });

  it('lists every conflict, grouped by manager, when there are several', () => {
    apply(canaryIngress({ a: '1', b: '1' }));
    registry.patch(r('Ingress'), 'calc', 'calc-canary', 'merge', { metadata: { annotations: { a: '2', b: '2' } } }, as('kubectl'), false);
    assert.throws(
      () => apply(canaryIngress({ a: '3', b: '3' })),
      (e: ApiError) => e.message === 'Apply failed with 2 conflicts: conflicts with "kubectl" using networking.k8s.io/v1:\n- .metadata.annotations.a\n- .metadata.annotations.b',
    );
  });

  it('merges keyed lists by item and removes the items the manager no longer applies', () => {
    const deployment = (containers: Array<{ name: string; image: string }>): JsonObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers } } },
    });
    apply(deployment([{ name: 'app', image: 'app:1' }, { name: 'proxy', image: 'proxy:1' }]), 'helm', false, 'Deployment');
    const after = apply(deployment([{ name: 'app', image: 'app:2' }]), 'helm', false, 'Deployment');
    const containers = after.body.spec.template.spec.containers as Array<{ name: string; image: string; imagePullPolicy?: string }>;
    assert.deepEqual(containers.map((c) => [c.name, c.image]), [['app', 'app:2']]);
    assert.equal(containers[0]?.imagePullPolicy, 'IfNotPresent', 'server defaults stay: nobody applied them');
    assert.equal(after.body.metadata.generation, 2);
  });

  it('replaces an atomic Service selector whole', () => {
    const svc = (selector: Record<string, string>): JsonObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'calc' }, spec: { selector, ports: [{ port: 80 }] } });
    apply(svc({ app: 'calc', slot: 'blue' }), 'helm', false, 'Service');
    const after = apply(svc({ app: 'calc' }), 'helm', false, 'Service');
    assert.deepEqual(after.body.spec.selector, { app: 'calc' });
  });

  it('requires a fieldManager', () => {
    assert.throws(() => apply(canaryIngress({}), ''), (e: ApiError) => e.code === 400);
  });
});

describe('ownership of non-apply writes', () => {
  it('gives changed fields to the writing manager and takes them from the others', () => {
    const registry = new Registry(new Store(), []);
    registry.create(r('Namespace'), undefined, { metadata: { name: 'calc' } }, as('test'));
    registry.create(r('ConfigMap'), 'calc', { metadata: { name: 'state' }, data: { slot: 'blue', owner: 'x' } }, as('helm'));
    const patched = registry.patch(r('ConfigMap'), 'calc', 'state', 'strategic', { data: { slot: 'green' } }, as('bluegreen'), false);
    const entries = patched.body.metadata.managedFields as Array<{ manager: string; operation: string; fieldsV1: JsonObject }>;
    assert.deepEqual(
      entries.map((e) => [e.manager, e.operation, Object.keys((e.fieldsV1['f:data'] ?? {}) as JsonObject)]),
      [['helm', 'Update', ['f:owner']], ['bluegreen', 'Update', ['f:slot']]],
    );
  });
});
