import * as assert from 'node:assert/strict';
import { startApiServer, type ApiServer } from './server';
import type { CrashEvent } from './faults';
import { request } from './testclient';

const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });

describe('API server fault injection', () => {
  let api: ApiServer;
  const create = (name: string) => request(api.url, 'POST', '/api/v1/namespaces/calc/configmaps', cm(name));
  const exists = async (name: string) => (await request(api.url, 'GET', `/api/v1/namespaces/calc/configmaps/${name}`)).status === 200;

  beforeEach(async () => {
    api = await startApiServer();
    assert.equal((await request(api.url, 'POST', '/api/v1/namespaces', { metadata: { name: 'calc' } })).status, 201);
  });
  afterEach(() => api.close());

  it('fails the Nth write from now with a 500 Status and changes nothing', async () => {
    api.faults.failWrite(2);
    assert.equal((await create('a')).status, 201);
    const failed = await create('b');
    assert.equal(failed.status, 500);
    assert.equal(failed.json.kind, 'Status');
    assert.equal(failed.json.reason, 'InternalError');
    assert.equal(await exists('b'), false);
    assert.equal((await create('c')).status, 201, 'the fault fires once');
  });

  it('fails with another status, and counts only the writes a match selects', async () => {
    api.faults.failWrite(1, 503, { method: 'DELETE' });
    assert.equal((await create('a')).status, 201);
    const del = await request(api.url, 'DELETE', '/api/v1/namespaces/calc/configmaps/a');
    assert.equal(del.status, 503);
    assert.equal(await exists('a'), true);
  });

  it('does not count reads', async () => {
    api.faults.failWrite(1);
    await request(api.url, 'GET', '/api/v1/namespaces/calc/configmaps');
    assert.equal((await create('a')).status, 500);
  });

  it('delays the Nth write, then applies it', async () => {
    api.faults.delayWrite(1, 300);
    let answered = false;
    const pending = create('slow').then((r) => {
      answered = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(answered, false, 'still held');
    assert.equal(await exists('slow'), false, 'not applied while held');
    assert.equal((await pending).status, 201);
    assert.equal(await exists('slow'), true);
  });

  it('drops the connection of the Nth write without applying it', async () => {
    api.faults.dropConnection(1);
    await assert.rejects(create('dropped'), /socket hang up|ECONNRESET/);
    assert.equal(await exists('dropped'), false);
    assert.equal(api.writes.entries.at(-1)?.fault, 'drop');
  });

  it('crashAfterWrite applies the write, answers nothing until cleared, and says so', async () => {
    const crashes: CrashEvent[] = [];
    api.faults.on('crash', (e: CrashEvent) => crashes.push(e));
    api.faults.crashAfterWrite(1, { resource: 'configmaps' });
    await assert.rejects(create('last-words'), /socket hang up|ECONNRESET/);
    assert.deepEqual(crashes.map((c) => [c.method, c.path, c.name]), [['POST', '/api/v1/namespaces/calc/configmaps', 'last-words']]);
    assert.equal(api.faults.dark, true);
    await assert.rejects(request(api.url, 'GET', '/version'), /socket hang up|ECONNRESET/);
    api.faults.clear();
    assert.equal(await exists('last-words'), true, 'the crashed write was applied');
  });

  it('logs every write with its manager, so tests can count writes', async () => {
    const mark = api.writes.mark();
    await create('a');
    await request(api.url, 'PATCH', '/api/v1/namespaces/calc/configmaps/a?fieldManager=bluegreen', { data: { k: 'w' } }, 'application/merge-patch+json');
    await request(api.url, 'DELETE', '/api/v1/namespaces/calc/configmaps/a');
    assert.deepEqual(
      api.writes.since(mark).map((w) => [w.method, w.resource, w.namespace, w.name, w.manager, w.status]),
      [
        ['POST', 'configmaps', 'calc', 'a', 'apiserver-test', 201],
        ['PATCH', 'configmaps', 'calc', 'a', 'bluegreen', 200],
        ['DELETE', 'configmaps', 'calc', 'a', 'apiserver-test', 200],
      ],
    );
  });
});
