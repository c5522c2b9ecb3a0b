// Convergence delays: each controller applies store changes to its data plane after its own lag. The
// checks route in-process right after a write (synchronously, so no timer can fire in between), then
// wait for settled(): no assertion depends on how long anything took.
import * as assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { Store, type KubeObject } from '../store';
import { startDataPlane, type DataPlane, type DataPlaneRequest } from './index';
import { gateway, httpRoute, ingress, put, release, resource, service } from './fixtures';

const HOST = 'calc.test';
const request = (headers: Record<string, string> = {}): DataPlaneRequest => ({ method: 'GET', host: HOST, path: '/', search: '', headers, cookies: {} });
const releaseOf = (dp: DataPlane, headers?: Record<string, string>) => {
  const a = dp.handle(request(headers));
  return a.status === 200 ? (JSON.parse(a.body) as { release: string }).release : a.status;
};
/** The stable `calc-active` Service the managed routers patch, selecting one slot's pods. */
const active = (slot: string) => service('calc', 'calc-active', slot, { selector: { 'app.kubernetes.io/instance': slot } });
const slots = () => [...release('calc', 'calc-blue', '1.0.0'), ...release('calc', 'calc-green', '2.0.0')];

describe('data plane: convergence delays', () => {
  let store: Store;
  let dp: DataPlane | undefined;
  beforeEach(() => (store = new Store()));
  afterEach(async () => dp?.close());

  it('nginx: a selector switch reaches the data plane after syncDelayMs', async () => {
    dp = await startDataPlane(store, { controller: 'nginx', syncDelayMs: 30, reloadDelayMs: 30 });
    put(store, ...slots(), active('calc-blue'), ingress('calc', 'calc', { className: 'nginx', host: HOST, service: 'calc-active' }));
    await dp.settled();
    assert.equal(releaseOf(dp), 'calc-blue');
    put(store, active('calc-green'));
    assert.equal(releaseOf(dp), 'calc-blue', 'not synced yet');
    assert.equal(dp.pending, 1);
    await dp.settled();
    assert.equal(releaseOf(dp), 'calc-green');
  });

  it('nginx: a new Ingress waits for the reload while endpoint changes sync on their own delay', async () => {
    dp = await startDataPlane(store, { controller: 'nginx', syncDelayMs: 0, reloadDelayMs: 40 });
    put(store, ...slots(), ingress('calc', 'calc', { className: 'nginx', host: HOST, service: 'calc-blue' }));
    assert.equal(releaseOf(dp), 404, 'no server block before the reload');
    await dp.settled();
    assert.equal(releaseOf(dp), 'calc-blue');
    const [, ...bluePods] = release('calc', 'calc-blue', '1.0.0', { ready: false });
    put(store, ...bluePods);
    assert.equal(releaseOf(dp), 503, 'endpoint change applied at once (syncDelayMs 0)');
  });

  it('nginx: canary weight edits are a sync, path edits a reload; later edits never overtake earlier ones', async () => {
    dp = await startDataPlane(store, { controller: 'nginx', syncDelayMs: 0, reloadDelayMs: 40 });
    const canary = (weight: string, path = '/'): KubeObject =>
      ingress('calc', 'calc-canary', { className: 'nginx', host: HOST, path, service: 'calc-green', annotations: { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': weight } });
    put(store, ...slots(), ingress('calc', 'calc', { className: 'nginx', host: HOST, service: 'calc-blue' }), canary('0'));
    await dp.settled();
    put(store, canary('100'));
    assert.equal(dp.pending, 0, 'weight change applied without reload');
    assert.equal(releaseOf(dp), 'calc-green');
    put(store, canary('100', '/v2'));
    put(store, canary('0', '/v2'));
    assert.equal(dp.pending, 2, 'the path change waits for a reload and the weight edit queues behind it');
    assert.equal(releaseOf(dp), 'calc-green');
    await dp.settled();
    assert.equal(releaseOf(dp), 'calc-blue');
  });

  it('the order is global: a later write to another object never serves before an earlier one', async () => {
    // A reload-class change (a new Ingress) then a sync-class change (a selector patch, delay 0): per
    // object the patch would apply at once; the data plane applies them in the order it received them.
    dp = await startDataPlane(store, { controller: 'nginx', syncDelayMs: 0, reloadDelayMs: 60 });
    put(store, ...slots(), active('calc-blue'), ingress('calc', 'calc', { className: 'nginx', host: HOST, service: 'calc-active' }));
    await dp.settled();
    const fence = ingress('calc', 'calc-fence', { className: 'nginx', host: HOST, path: '/fence', pathType: 'Exact', service: 'calc-green' });
    put(store, fence);
    put(store, active('calc-green'));
    assert.equal(dp.pending, 2, 'the selector patch queues behind the Ingress');
    assert.equal(releaseOf(dp), 'calc-blue', 'the later selector patch is not served before the earlier Ingress');
    await dp.settled();
    assert.equal(releaseOf(dp), 'calc-green');
  });

  it('the order is global: what is served at any instant is a prefix of the writes', async () => {
    dp = await startDataPlane(store, { controller: 'agic', armDelayMs: 0 });
    put(store, ...slots(), active('calc-blue'), ingress('calc', 'calc', { className: 'azure-application-gateway', host: HOST, service: 'calc-active' }));
    // Decreasing delays: each later write would be due before the earlier ones without the global order.
    const writes = [40, 30, 20, 10, 0].map((delay, i) => ({ delay, object: service('calc', `calc-s${i}`, 'calc-blue', { selector: { 'app.kubernetes.io/instance': 'calc-blue' } }) }));
    for (const { delay, object } of writes) {
      dp.setDelays({ armDelayMs: delay });
      put(store, object);
    }
    const served = () => writes.map(({ object }) => dp?.view.get('Service', 'calc', object.metadata.name ?? '') !== undefined);
    const seen: boolean[][] = [];
    while (dp.pending > 0) {
      seen.push(served());
      await new Promise((r) => setTimeout(r, 2));
    }
    seen.push(served());
    for (const state of seen) assert.deepEqual(state, [...state].sort((a, b) => Number(b) - Number(a)), `a later write served before an earlier one: ${JSON.stringify(state)}`);
    assert.deepEqual(seen[seen.length - 1], [true, true, true, true, true]);
  });

  it('AGIC: every change waits armDelayMs; setDelays changes it at run time', async () => {
    dp = await startDataPlane(store, { controller: 'agic', armDelayMs: 30 });
    put(store, ...slots(), active('calc-blue'), ingress('calc', 'calc', { className: 'azure-application-gateway', host: HOST, service: 'calc-active' }));
    assert.equal(releaseOf(dp), 404);
    await dp.settled();
    assert.equal(releaseOf(dp), 'calc-blue');
    dp.setDelays({ armDelayMs: 0 });
    put(store, active('calc-green'));
    assert.equal(releaseOf(dp), 'calc-green');
  });

  it('Gateway: route status is written at once, traffic follows after propagationDelayMs', async () => {
    dp = await startDataPlane(store, { controller: 'gateway', propagationDelayMs: 30 });
    const route = (backend: string, generation: number) =>
      httpRoute('calc', 'calc', { parentRefs: [{ name: 'gw' }], hostnames: [HOST], rules: [{ backendRefs: [{ name: backend, port: 80 }] }] }, 0, generation);
    put(store, ...slots(), gateway('calc', 'gw'), route('calc-blue', 1));
    await dp.settled();
    assert.equal(releaseOf(dp), 'calc-blue');
    put(store, route('calc-green', 2));
    await tick();
    const status = store.get(resource('HTTPRoute'), 'calc', 'calc')?.status?.parents?.[0]?.conditions?.[0];
    assert.deepEqual([status?.type, status?.status, status?.observedGeneration], ['Accepted', 'True', 2]);
    assert.equal(releaseOf(dp), 'calc-blue', 'data plane not converged yet');
    await dp.settled();
    assert.equal(releaseOf(dp), 'calc-green');
  });
});
