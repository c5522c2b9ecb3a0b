// The emulated ingress-nginx exports request metrics with ingress-nginx's labels, and pods can fail an
// exact share of requests under a path.
import * as assert from 'node:assert/strict';
import { Store } from '../store';
import { type DataPlane, startDataPlane } from './index';
import { get, ingress, pod, put, release, service } from './fixtures';

const NS = 'calc';
const HOST = 'calc.test';
const P = 'nginx.ingress.kubernetes.io/';

describe('data plane: ingress-nginx request metrics', () => {
  let store: Store;
  let plane: DataPlane;
  before(async () => {
    store = new Store();
    put(
      store,
      ...release(NS, 'calc-blue', '1.0.0'),
      ...release(NS, 'calc-green', '2.0.0'),
      ingress(NS, 'calc', { className: 'nginx', host: HOST, service: 'calc-blue', created: 10 }),
      ingress(NS, 'calc-preview', { className: 'nginx', host: HOST, service: 'calc-green', created: 20, annotations: { [`${P}canary`]: 'true', [`${P}canary-by-header`]: 'canary' } }),
    );
    plane = await startDataPlane(store, { controller: 'nginx' });
  });
  after(() => plane.close());

  it("labels a canary request with the primary location's Ingress and Service, and the canary upstream", async () => {
    await get(plane.url, HOST, '/api', { canary: 'always' });
    await get(plane.url, HOST, '/api');
    await get(plane.url, 'other.test', '/api');
    const base = { namespace: NS, ingress: 'calc', service: 'calc-blue', host: HOST, path: '/', method: 'GET', status: '200' };
    assert.equal(plane.metrics.count({ ...base, canary: 'calc-calc-green-80' }), 1);
    assert.equal(plane.metrics.count({ ...base, canary: '' }), 1);
    assert.equal(plane.metrics.count(), 2, 'the default backend (no server for the host) is not an Ingress location');
  });

  it('serves them on its own /metrics port in Prometheus text format', async () => {
    const text = await (await fetch(plane.metricsUrl!)).text();
    assert.match(text, /^# TYPE nginx_ingress_controller_requests counter$/m);
    assert.match(text, /^nginx_ingress_controller_requests\{canary="calc-calc-green-80",host="calc.test",ingress="calc",method="GET",namespace="calc",path="\/",service="calc-blue",status="200"\} 1$/m);
    assert.match(text, /^nginx_ingress_controller_request_duration_seconds_bucket\{canary="",.*le="\+Inf"\} 1$/m);
    assert.match(text, /^nginx_ingress_controller_request_duration_seconds_count\{canary="",.*\} 1$/m);
    assert.equal((await fetch(plane.metricsUrl!.replace('/metrics', '/other'))).status, 404);
  });
});

describe('data plane: a pod failing a share of its requests', () => {
  it('fails exactly FAIL_PERCENT % of the requests under FAIL_PATH, and none elsewhere', async () => {
    const store = new Store();
    const flaky = pod(NS, 'calc-green-pod-0', 'calc-green', { version: '2.0.0' });
    flaky.spec.containers[0].env.push({ name: 'FAIL_PERCENT', value: '20' }, { name: 'FAIL_PATH', value: '/api' });
    put(store, service(NS, 'calc-green', 'calc-green'), flaky, ingress(NS, 'calc', { className: 'nginx', host: HOST, service: 'calc-green' }));
    const plane = await startDataPlane(store, { controller: 'nginx' });
    try {
      const statuses = async (path: string) => {
        const out: number[] = [];
        for (let i = 0; i < 50; i++) out.push((await get(plane.url, HOST, path)).status);
        return out;
      };
      const api = await statuses('/api/orders');
      assert.equal(api.filter((s) => s === 500).length, 10, '20 % of 50');
      assert.deepEqual(api.slice(0, 5), [200, 200, 200, 200, 500], 'spread evenly, not in a burst');
      assert.ok((await statuses('/ping')).every((s) => s === 200), 'the health endpoint always answers');
      assert.equal(plane.metrics.count({ status: '500' }), 10);
    } finally {
      await plane.close();
    }
  });
});
