import * as assert from 'node:assert/strict';
import { encodeEnvelope, encodeField } from './protobuf';
import { startApiServer, type ApiServer } from './server';
import { request, watch } from './testclient';

const NS = '/api/v1/namespaces';
const deploymentBody = (name: string, image = 'app:1') => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { app: name } },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } } },
});

describe('API server', () => {
  let api: ApiServer;
  const get = (path: string) => request(api.url, 'GET', path);
  const post = (path: string, body: unknown, type?: string) => request(api.url, 'POST', path, body, type);
  const put = (path: string, body: unknown) => request(api.url, 'PUT', path, body);
  const patch = (path: string, body: unknown, type = 'application/merge-patch+json') => request(api.url, 'PATCH', path, body, type);
  const del = (path: string, body?: unknown) => request(api.url, 'DELETE', path, body);

  before(async () => {
    api = await startApiServer();
    for (const name of ['shop', 'lists', 'gc']) assert.equal((await post(NS, { metadata: { name } })).status, 201);
  });
  after(() => api.close());

  describe('discovery', () => {
    it('serves /version, /api and every group/version it advertises', async () => {
      assert.equal((await get('/version')).json.gitVersion, 'v1.33.0');
      assert.deepEqual((await get('/api')).json.versions, ['v1']);
      const groups = (await get('/apis')).json.groups as Array<{ name: string; versions: Array<{ groupVersion: string }> }>;
      const gateway = groups.find((g) => g.name === 'gateway.networking.k8s.io');
      assert.deepEqual(gateway?.versions.map((v) => v.groupVersion), ['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1']);
      for (const gv of ['/api/v1', ...groups.flatMap((g) => g.versions.map((v) => `/apis/${v.groupVersion}`))]) {
        const list = await get(gv);
        assert.equal(list.status, 200, gv);
        assert.ok(list.json.resources.length > 0, gv);
      }
      const core = (await get('/api/v1')).json.resources as Array<{ name: string; kind: string; namespaced: boolean }>;
      assert.deepEqual(core.find((r) => r.name === 'services/status'), { name: 'services/status', singularName: '', namespaced: true, kind: 'Service', verbs: ['get', 'patch', 'update'] });
    });

    it('serves an OpenAPI v3 document per group/version declaring PATCH with fieldValidation', async () => {
      const root = (await get('/openapi/v3')).json.paths as Record<string, { serverRelativeURL: string }>;
      assert.ok(root['apis/apps/v1']);
      const doc = (await get(root['apis/apps/v1'].serverRelativeURL)).json;
      const path = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
      assert.deepEqual(path.patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
      assert.ok(path.patch.parameters.some((p: { name: string }) => p.name === 'fieldValidation'));
      assert.equal((await get('/openapi/v2')).status, 404);
    });
  });

  describe('metadata and defaults', () => {
    it('stamps uid, creationTimestamp, a global resourceVersion, generation and Deployment defaults', async () => {
      const a = (await post('/apis/apps/v1/namespaces/shop/deployments', deploymentBody('a'))).json;
      const b = (await post('/apis/apps/v1/namespaces/shop/deployments', deploymentBody('b'))).json;
      assert.match(a.metadata.uid, /^[0-9a-f-]{36}$/);
      assert.match(a.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.ok(Number(b.metadata.resourceVersion) > Number(a.metadata.resourceVersion));
      assert.equal(a.metadata.generation, 1);
      assert.equal(a.spec.replicas, 1);
      assert.equal(a.spec.progressDeadlineSeconds, 600);
      assert.deepEqual(a.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    });

    it('names objects from generateName and turns Secret stringData into data', async () => {
      const s = (await post('/api/v1/namespaces/shop/secrets', { metadata: { generateName: 'cred-' }, stringData: { token: 'abc' } })).json;
      assert.match(s.metadata.name, /^cred-[a-z0-9]{5}$/);
      assert.deepEqual(s.data, { token: Buffer.from('abc').toString('base64') });
      assert.equal(s.stringData, undefined);
      assert.equal(s.type, 'Opaque');
    });

    it('answers Status errors: namespace not found, AlreadyExists, NotFound, Invalid', async () => {
      const missing = await post('/api/v1/namespaces/nope/configmaps', { metadata: { name: 'x' } });
      assert.deepEqual([missing.status, missing.json.reason, missing.json.message], [404, 'NotFound', 'namespaces "nope" not found']);
      const dup = await post('/apis/apps/v1/namespaces/shop/deployments', deploymentBody('a'));
      assert.deepEqual([dup.status, dup.json.reason, dup.json.message], [409, 'AlreadyExists', 'deployments.apps "a" already exists']);
      const gone = await get('/apis/apps/v1/namespaces/shop/deployments/zzz');
      assert.deepEqual([gone.status, gone.json.details], [404, { name: 'zzz', group: 'apps', kind: 'deployments' }]);
      assert.equal((await post('/api/v1/namespaces/shop/configmaps', { metadata: {} })).json.reason, 'Invalid');
    });

    it('PUT without resourceVersion is unconditional, with a stale one is a 409, and a no-op keeps the resourceVersion', async () => {
      const created = (await post('/api/v1/namespaces/shop/configmaps', { metadata: { name: 'state' }, data: { slot: 'blue' } })).json;
      const blind = (await put('/api/v1/namespaces/shop/configmaps/state', { metadata: { name: 'state' }, data: { slot: 'green' } })).json;
      assert.notEqual(blind.metadata.resourceVersion, created.metadata.resourceVersion);
      const stale = await put('/api/v1/namespaces/shop/configmaps/state', { ...created, data: { slot: 'red' } });
      assert.deepEqual([stale.status, stale.json.reason], [409, 'Conflict']);
      const same = (await put('/api/v1/namespaces/shop/configmaps/state', blind)).json;
      assert.equal(same.metadata.resourceVersion, blind.metadata.resourceVersion);
      assert.equal((await patch('/api/v1/namespaces/shop/configmaps/state', { metadata: { resourceVersion: created.metadata.resourceVersion }, data: { slot: 'x' } })).status, 409);
    });

    it('bumps generation on spec changes only, and ignores status outside /status', async () => {
      const path = '/apis/apps/v1/namespaces/shop/deployments/a';
      const labelled = (await patch(path, { metadata: { labels: { extra: '1' } }, status: { replicas: 7 } })).json;
      assert.equal(labelled.metadata.generation, 1);
      assert.equal(labelled.status?.replicas, undefined);
      const scaled = (await patch(path, { spec: { replicas: 3 } })).json;
      assert.equal(scaled.metadata.generation, 2);
      const status = (await patch(`${path}/status`, { status: { observedGeneration: 2, replicas: 3 }, spec: { replicas: 9 } })).json;
      assert.deepEqual([status.spec.replicas, status.status.replicas, status.metadata.generation], [3, 3, 2]);
    });

    it('keeps a Service clusterIP across a PUT that omits it', async () => {
      const svc = (await post('/api/v1/namespaces/shop/services', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } })).json;
      assert.match(svc.spec.clusterIP, /^10\.0\./);
      assert.deepEqual(svc.spec.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
      const replaced = (await put('/api/v1/namespaces/shop/services/web', { metadata: { name: 'web' }, spec: { selector: { app: 'web2' }, ports: [{ port: 80 }] } })).json;
      assert.equal(replaced.spec.clusterIP, svc.spec.clusterIP);
    });

    it('accepts a protobuf Secret the way helm sends it', async () => {
      const meta = Buffer.concat([encodeField(1, 'sh.helm.release.v1.web.v1'), encodeField(3, ''), encodeField(11, Buffer.concat([encodeField(1, 'owner'), encodeField(2, 'helm')]))]);
      const secret = Buffer.concat([encodeField(1, meta), encodeField(2, Buffer.concat([encodeField(1, 'release'), encodeField(2, Buffer.from('payload'))])), encodeField(3, 'helm.sh/release.v1')]);
      const created = await post('/api/v1/namespaces/shop/secrets', encodeEnvelope('v1', 'Secret', secret), 'application/vnd.kubernetes.protobuf');
      assert.equal(created.status, 201);
      assert.equal(created.headers['content-type'], 'application/json');
      const listed = (await get('/api/v1/namespaces/shop/secrets?labelSelector=owner%3Dhelm')).json;
      assert.deepEqual(listed.items.map((s: { data: { release: string } }) => Buffer.from(s.data.release, 'base64').toString()), ['payload']);
    });

    it('applies a YAML apply configuration', async () => {
      const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  a: "1"\n';
      const res = await request(api.url, 'PATCH', '/api/v1/namespaces/shop/configmaps/applied?fieldManager=kubectl', yaml, 'application/apply-patch+yaml');
      assert.equal(res.status, 201);
      assert.deepEqual(res.json.data, { a: '1' });
    });
  });

  describe('list and watch', () => {
    before(async () => {
      for (const [name, slot] of [['a', 'blue'], ['b', 'green'], ['c', 'blue'], ['d', 'none'], ['e', 'green']]) {
        await post('/api/v1/namespaces/lists/configmaps', { metadata: { name, labels: { slot, ...(slot === 'none' ? {} : { app: 'calc' }) } } });
      }
    });

    it('filters by label and field selectors', async () => {
      const names = async (query: string) => (await get(`/api/v1/namespaces/lists/configmaps?${query}`)).json.items.map((i: { metadata: { name: string } }) => i.metadata.name);
      assert.deepEqual(await names('labelSelector=slot%3Dblue'), ['a', 'c']);
      assert.deepEqual(await names('labelSelector=slot%20in%20(blue%2Cgreen)%2Capp'), ['a', 'b', 'c', 'e']);
      assert.deepEqual(await names('labelSelector=!app'), ['d']);
      assert.deepEqual(await names('fieldSelector=metadata.name%3Dc'), ['c']);
      assert.equal((await get('/api/v1/namespaces/lists/configmaps?labelSelector=a%20b')).status, 400);
    });

    it('pages with limit and continue', async () => {
      const seen: string[] = [];
      let query = 'limit=2';
      for (let page = 0; page < 10; page += 1) {
        const list = (await get(`/api/v1/namespaces/lists/configmaps?${query}`)).json;
        seen.push(...list.items.map((i: { metadata: { name: string } }) => i.metadata.name));
        if (!list.metadata.continue) break;
        query = `limit=2&continue=${encodeURIComponent(list.metadata.continue)}`;
      }
      assert.deepEqual(seen, ['a', 'b', 'c', 'd', 'e']);
    });

    it('watches from a resourceVersion a list returned', async () => {
      const rv = (await get('/api/v1/namespaces/lists/configmaps')).json.metadata.resourceVersion;
      await patch('/api/v1/namespaces/lists/configmaps/a', { data: { x: '1' } });
      await del('/api/v1/namespaces/lists/configmaps/e');
      const events = await watch(api.url, `/api/v1/namespaces/lists/configmaps?watch=true&resourceVersion=${rv}`, (e) => e.length >= 2);
      assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name, e.object.kind]), [['MODIFIED', 'a', 'ConfigMap'], ['DELETED', 'e', 'ConfigMap']]);
    });

    it('answers WatchList with the current objects, a BOOKMARK marking their end, then live events', async () => {
      const path = '/api/v1/namespaces/lists/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&labelSelector=slot%3Dblue';
      setTimeout(() => void post('/api/v1/namespaces/lists/configmaps', { metadata: { name: 'f', labels: { slot: 'blue' } } }), 100);
      const events = await watch(api.url, path, (e) => e.length >= 4);
      assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'a'], ['ADDED', 'c'], ['BOOKMARK', undefined], ['ADDED', 'f']]);
      assert.deepEqual(events[2]?.object.metadata.annotations, { 'k8s.io/initial-events-end': 'true' });
      assert.equal((await get('/api/v1/namespaces/lists/configmaps?watch=true&sendInitialEvents=true')).status, 422);
    });
    it('tells a selector watch about objects leaving (DELETED) and entering (ADDED) its selector', async () => {
      const rv = (await get('/api/v1/namespaces/lists/configmaps')).json.metadata.resourceVersion;
      setTimeout(() => {
        void patch('/api/v1/namespaces/lists/configmaps/c', { metadata: { labels: { slot: 'green' } } }).then(() =>
          patch('/api/v1/namespaces/lists/configmaps/b', { metadata: { labels: { slot: 'blue' } } }),
        );
      }, 50);
      const events = await watch(api.url, `/api/v1/namespaces/lists/configmaps?watch=true&resourceVersion=${rv}&labelSelector=slot%3Dblue`, (e) => e.length >= 2);
      assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name]), [['DELETED', 'c'], ['ADDED', 'b']]);
    });
  });

  describe('deletion', () => {
    const owned = (name: string, owner: { metadata: { name: string; uid: string } }) => ({
      metadata: { name, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner.metadata.name, uid: owner.metadata.uid, controller: true }] },
    });

    it('cascades through ownerReferences in the background, and orphans on request', async () => {
      const root = (await post('/api/v1/namespaces/gc/configmaps', { metadata: { name: 'root' } })).json;
      const child = (await post('/api/v1/namespaces/gc/configmaps', owned('child', root))).json;
      await post('/api/v1/namespaces/gc/configmaps', owned('grandchild', child));
      const res = await del('/api/v1/namespaces/gc/configmaps/root', { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
      assert.deepEqual([res.status, res.json.status, res.json.details.name], [200, 'Success', 'root']);
      for (const name of ['root', 'child', 'grandchild']) assert.equal((await get(`/api/v1/namespaces/gc/configmaps/${name}`)).status, 404, name);

      const keep = (await post('/api/v1/namespaces/gc/configmaps', { metadata: { name: 'keep' } })).json;
      await post('/api/v1/namespaces/gc/configmaps', owned('orphan', keep));
      await del('/api/v1/namespaces/gc/configmaps/keep?propagationPolicy=Orphan');
      const orphan = await get('/api/v1/namespaces/gc/configmaps/orphan');
      assert.equal(orphan.status, 200);
      assert.equal(orphan.json.metadata.ownerReferences, undefined);
    });

    it('deletes a collection by label selector', async () => {
      for (const [name, tier] of [['t1', 'temp'], ['t2', 'temp'], ['t3', 'keep']]) await post('/api/v1/namespaces/gc/configmaps', { metadata: { name, labels: { tier } } });
      const res = await del('/api/v1/namespaces/gc/configmaps?labelSelector=tier%3Dtemp');
      assert.deepEqual(res.json.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['t1', 't2']);
      const left = (await get('/api/v1/namespaces/gc/configmaps?labelSelector=tier')).json.items.map((i: { metadata: { name: string } }) => i.metadata.name);
      assert.deepEqual(left, ['t3']);
    });

    it('holds an object with finalizers until the last one is removed', async () => {
      await post('/api/v1/namespaces/gc/configmaps', { metadata: { name: 'held', finalizers: ['example.com/hold'] } });
      const res = await del('/api/v1/namespaces/gc/configmaps/held');
      assert.ok(res.json.metadata.deletionTimestamp);
      assert.equal((await get('/api/v1/namespaces/gc/configmaps/held')).status, 200);
      await request(api.url, 'PATCH', '/api/v1/namespaces/gc/configmaps/held', [{ op: 'remove', path: '/metadata/finalizers' }], 'application/json-patch+json');
      assert.equal((await get('/api/v1/namespaces/gc/configmaps/held')).status, 404);
    });

    it('deleting a namespace removes everything in it and nothing elsewhere', async () => {
      await post(NS, { metadata: { name: 'doomed' } });
      await post('/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'x' } });
      await post('/apis/apps/v1/namespaces/doomed/deployments', deploymentBody('web'));
      const res = await del('/api/v1/namespaces/doomed');
      assert.equal(res.json.status.phase, 'Terminating');
      assert.equal((await get('/api/v1/namespaces/doomed')).status, 404);
      assert.equal((await get('/api/v1/configmaps')).json.items.filter((c: { metadata: { namespace: string } }) => c.metadata.namespace === 'doomed').length, 0);
      assert.equal((await get('/apis/apps/v1/deployments')).json.items.filter((d: { metadata: { namespace: string } }) => d.metadata.namespace === 'doomed').length, 0);
      assert.ok((await get('/api/v1/namespaces/lists/configmaps')).json.items.length > 0);
    });
  });
});
