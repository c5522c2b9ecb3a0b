import * as assert from 'node:assert/strict';
import { jsonMergePatch, jsonPatch, strategicMergePatch } from './patch';
import { ApiError } from './errors';
import type { JsonObject } from './schema';

const deployment = (): JsonObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' } },
  spec: {
    replicas: 2,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: {
      spec: {
        containers: [
          {
            name: 'app',
            image: 'app:1',
            args: ['--a', '--b'],
            ports: [{ containerPort: 8080, name: 'http' }, { containerPort: 9090, name: 'metrics' }],
            env: [{ name: 'VERSION', value: '1' }, { name: 'SLOT', value: 'blue' }],
            volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }],
          },
          { name: 'sidecar', image: 'proxy:1' },
        ],
        volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }],
      },
    },
  },
});

type Containers = Array<{ name: string; image?: string; env?: Array<{ name: string; value: string }>; ports?: Array<{ containerPort: number; name: string }>; args?: string[] }>;
const containersOf = (o: JsonObject) => (o as { spec: { template: { spec: { containers: Containers } } } }).spec.template.spec.containers;

describe('strategic merge patch', () => {
  it('merges containers by name and env by name, leaving the other items alone', () => {
    const out = strategicMergePatch(deployment(), { spec: { template: { spec: { containers: [{ name: 'app', image: 'app:2', env: [{ name: 'VERSION', value: '2' }] }] } } } }, 'Deployment');
    const [app, sidecar] = containersOf(out);
    assert.ok(app, 'the app container');
    assert.equal(app.image, 'app:2');
    assert.deepEqual(app.env, [{ name: 'VERSION', value: '2' }, { name: 'SLOT', value: 'blue' }]);
    assert.deepEqual(sidecar, { name: 'sidecar', image: 'proxy:1' });
  });

  it('merges container ports by containerPort and replaces lists without a merge key', () => {
    const out = strategicMergePatch(
      deployment(),
      { spec: { template: { spec: { containers: [{ name: 'app', args: ['--c'], ports: [{ containerPort: 9090, name: 'prom' }] }] } } } },
      'Deployment',
    );
    const [app] = containersOf(out);
    assert.ok(app, 'the app container');
    assert.deepEqual(app.ports, [{ containerPort: 8080, name: 'http' }, { containerPort: 9090, name: 'prom' }]);
    assert.deepEqual(app.args, ['--c']);
  });

  it('deletes map keys set to null and list items marked $patch: delete', () => {
    const out = strategicMergePatch(
      deployment(),
      { metadata: { labels: { tier: null } }, spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }, { name: 'app', env: [{ name: 'SLOT', $patch: 'delete' }] }] } } } },
      'Deployment',
    );
    assert.deepEqual((out.metadata as JsonObject).labels, { app: 'web' });
    assert.deepEqual(containersOf(out).map((c) => c.name), ['app']);
    assert.deepEqual(containersOf(out)[0]?.env, [{ name: 'VERSION', value: '1' }]);
  });

  it('orders items by $setElementOrder (what helm 3 three-way patches send)', () => {
    const out = strategicMergePatch(
      deployment(),
      {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }, { name: 'new' }],
              containers: [{ name: 'new', image: 'new:1' }],
            },
          },
        },
      },
      'Deployment',
    );
    assert.deepEqual(containersOf(out).map((c) => c.name), ['sidecar', 'app', 'new']);
  });

  it('keeps only $retainKeys (switching strategy to Recreate drops rollingUpdate)', () => {
    const out = strategicMergePatch(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, 'Deployment');
    assert.deepEqual((out.spec as JsonObject).strategy, { type: 'Recreate' });
  });

  it('replaces a map marked $patch: replace', () => {
    const out = strategicMergePatch(deployment(), { metadata: { labels: { $patch: 'replace', only: 'this' } } }, 'Deployment');
    assert.deepEqual((out.metadata as JsonObject).labels, { only: 'this' });
  });

  it('merges Service ports by port and merges the selector map', () => {
    const svc: JsonObject = { kind: 'Service', spec: { selector: { app: 'calc', slot: 'blue' }, ports: [{ port: 80, targetPort: 8080, name: 'http' }] } };
    const out = strategicMergePatch(svc, { spec: { selector: { slot: 'green' }, ports: [{ port: 443, name: 'https' }] } }, 'Service');
    assert.deepEqual(out.spec, {
      selector: { app: 'calc', slot: 'green' },
      ports: [{ port: 80, targetPort: 8080, name: 'http' }, { port: 443, name: 'https' }],
    });
  });

  it('removes values with $deleteFromPrimitiveList and merges finalizers as a set', () => {
    const obj: JsonObject = { metadata: { finalizers: ['a', 'b'] } };
    const out = strategicMergePatch(obj, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'], finalizers: ['c'] } }, 'ConfigMap');
    assert.deepEqual((out.metadata as JsonObject).finalizers, ['b', 'c']);
  });

  it('rejects a keyed item without its merge key', () => {
    assert.throws(() => strategicMergePatch(deployment(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, 'Deployment'), (e: ApiError) => e.code === 422);
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  it('merges maps, deletes nulls and replaces lists whole', () => {
    const out = jsonMergePatch(deployment(), { metadata: { labels: { tier: null, v: '2' } }, spec: { template: { spec: { containers: [{ name: 'only' }] } } } }) as JsonObject;
    assert.deepEqual((out.metadata as JsonObject).labels, { app: 'web', v: '2' });
    assert.deepEqual(containersOf(out), [{ name: 'only' }]);
  });
});

describe('JSON patch (RFC 6902)', () => {
  it('applies add, replace, remove, move, copy and test in order', () => {
    const out = jsonPatch({ metadata: { annotations: { 'a/b': '1' } }, list: [1, 2] }, [
      { op: 'test', path: '/metadata/annotations/a~1b', value: '1' },
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'add', path: '/list/0', value: 0 },
      { op: 'replace', path: '/metadata/annotations/a~1b', value: '2' },
      { op: 'copy', from: '/metadata/annotations/a~1b', path: '/copied' },
      { op: 'move', from: '/copied', path: '/moved' },
      { op: 'remove', path: '/list/1' },
    ]);
    assert.deepEqual(out, { metadata: { annotations: { 'a/b': '2' } }, list: [0, 2, 3], moved: '2' });
  });

  it('fails a test op and a replace of a missing key with 422', () => {
    assert.throws(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]), (e: ApiError) => e.code === 422 && /test failed/.test(e.message));
    assert.throws(() => jsonPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 2 }]), (e: ApiError) => e.code === 422);
  });
});
