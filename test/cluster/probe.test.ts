// The traffic probe: fixed-rate requests through the data plane, recorded per phase.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Store, type KubeObject } from './store';
import { startDataPlane, type DataPlane } from './dataplane/index';
import { ingress, put, release, resource, service } from './dataplane/fixtures';
import { startProbe, summarise, type ProbeRecord } from './probe';

const HOST = 'calc.test';
const active = (slot: string) => service('calc', 'calc-active', slot, { selector: { 'app.kubernetes.io/instance': slot } });

/** Waits (bounded) until the probe has recorded `n` more answers. */
async function answers(records: readonly ProbeRecord[], n: number): Promise<void> {
  const target = records.length + n;
  for (let i = 0; i < 200 && records.length < target; i++) await sleep(10);
}

describe('traffic probe', () => {
  const store = new Store();
  let dp: DataPlane;
  before(async () => {
    dp = await startDataPlane(store, { controller: 'nginx' });
    put(store, ...release('calc', 'calc-blue', '1.0.0'), ...release('calc', 'calc-green', '2.0.0'), active('calc-blue'), ingress('calc', 'calc', { className: 'nginx', host: HOST, service: 'calc-active' }));
  });
  after(() => dp.close());

  it('records versions per phase; a selector switch loses no request', async () => {
    const probe = startProbe({ url: `${dp.url}/ping`, host: HOST, ratePerSecond: 100, maxDurationMs: 10_000 });
    await answers(probe.records, 5);
    // Requests sent before the switch are all answered before it (on a loaded machine one may wait past
    // it); those sent while they finish may see either version.
    probe.mark('switching');
    await probe.answered();
    put(store, active('calc-green'));
    probe.mark('switch');
    await answers(probe.records, 5);
    const result = await probe.stop();
    const [before, switching, after] = result.phases;
    assert.ok(before && switching && after, `three phases, got ${JSON.stringify(result.phases.map((p) => p.phase))}`);
    assert.deepEqual([before.phase, Object.keys(before.versions), before.failures], ['start', ['1.0.0'], 0]);
    assert.deepEqual([switching.phase, switching.failures], ['switching', 0]);
    assert.deepEqual([after.phase, Object.keys(after.versions), after.failures], ['switch', ['2.0.0'], 0]);
    assert.equal(result.total.requests, result.records.length);
    assert.equal(result.stoppedBy, 'stop');
    put(store, active('calc-blue'));
  });

  it('sees an outage: Ingress deleted then recreated -> failures and a failure window', async () => {
    const probe = startProbe({ url: `${dp.url}/`, host: HOST, ratePerSecond: 100, maxDurationMs: 10_000 });
    await answers(probe.records, 3);
    probe.mark('gap');
    const removed = store.remove(resource('Ingress'), 'calc', 'calc') as KubeObject;
    await answers(probe.records, 3);
    probe.mark('restored');
    put(store, removed);
    await answers(probe.records, 3);
    const result = await probe.stop();
    const gap = result.phases.find((p) => p.phase === 'gap');
    assert.ok(gap && gap.failures > 0 && (gap.statuses['404'] ?? 0) > 0, JSON.stringify(gap));
    assert.ok(gap.longestFailureWindowMs > 0);
    assert.equal(gap.firstFailure?.error, 'default-backend');
    assert.equal(result.phases.find((p) => p.phase === 'restored')?.failures, 0);
  });

  it('stops by itself after maxRequests, and sends the client id and headers', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const server = http.createServer((req, res) => (seen.push(req.headers), res.end('{"version":"x"}')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const probe = startProbe({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, host: 'calc-prod.trafficmanager.net', clientId: 'alice', headers: { canary: 'always' }, ratePerSecond: 200, maxRequests: 4 });
      const result = await probe.done;
      assert.deepEqual([result.stoppedBy, result.records.length, result.total.versions], ['maxRequests', 4, { x: 4 }]);
      const [first] = seen;
      assert.ok(first, 'the server saw a request');
      assert.deepEqual([first.host, first['x-client-id'], first.canary], ['calc-prod.trafficmanager.net', 'alice', 'always']);
    } finally {
      server.close();
    }
  });

  it('records connection errors as failures', async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const result = await startProbe({ url: `http://127.0.0.1:${port}/`, ratePerSecond: 100, maxRequests: 2 }).done;
    assert.deepEqual(result.records.map((r) => [r.failed, /ECONNREFUSED/.test(r.error ?? '')]), [[true, true], [true, true]]);
  });

  // A server's idle keep-alive timer can close a connection just as the client sends its next request on
  // it: the request is reset (`read ECONNRESET`) through no fault of the routing. This server does that to
  // the second request of every connection; its first requests are answered.
  const resettingServer = async (resetNth: number) => {
    const server = net.createServer((socket) => {
      let requests = 0;
      socket.on('data', (chunk) => {
        requests += chunk.toString('latin1').split('\r\n\r\n').length - 1;
        if (requests >= resetNth) return void socket.resetAndDestroy();
        const body = '{"version":"1.0.0"}';
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n${body}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
  };

  it('a request reset on a reused keep-alive connection is sent again on another, as browsers do; it is not a failure', async () => {
    const { server, url } = await resettingServer(2);
    try {
      const result = await startProbe({ url, ratePerSecond: 20, maxRequests: 6 }).done;
      assert.deepEqual(result.records.map((r) => [r.status, r.error]), Array.from({ length: 6 }, () => [200, undefined]));
      assert.equal(result.total.failures, 0);
      assert.ok(result.records.some((r) => r.retried === 'read ECONNRESET'), 'the reset requests are marked as sent again');
    } finally {
      server.close();
    }
  });

  it('a reset on a new connection is a failure (only a reused connection is tried again)', async () => {
    const { server, url } = await resettingServer(1);
    try {
      const result = await startProbe({ url, ratePerSecond: 20, maxRequests: 2 }).done;
      assert.deepEqual(result.records.map((r) => [r.failed, r.error, r.retried]), [[true, 'read ECONNRESET', undefined], [true, 'read ECONNRESET', undefined]]);
    } finally {
      server.close();
    }
  });

  it('the data plane closing an idle connection as the next request is sent on it fails no request', async function () {
    this.timeout(20_000);
    // Node's server closes an idle connection 6 s after its last answer (keepAliveTimeout + 1 s). The probe
    // sends every 6 s, and the event loop is busy across the 6th second (a loaded machine): the request
    // and the server's idle timer fall due in the same turn, and the request is reset unread.
    const started = Date.now();
    const probe = startProbe({ url: `${dp.url}/ping`, host: HOST, ratePerSecond: 1 / 6 });
    setTimeout(() => {
      while (Date.now() < started + 6100); // blocks the event loop, as a loaded test process does
    }, 5950);
    while (probe.records.length < 2) await sleep(20);
    const result = await probe.stop();
    assert.deepEqual(result.records.map((r) => [r.status, r.error]), [[200, undefined], [200, undefined]]);
  });

  it('summarise: the failure window runs from the first failure to the next success', () => {
    const r = (seq: number, at: number, failed: boolean): ProbeRecord => ({ seq, at, phase: 'p', durationMs: 1, failed, status: failed ? 503 : 200 });
    const s = summarise('p', [r(1, 0, false), r(2, 10, true), r(3, 20, true), r(4, 30, false), r(5, 40, true), r(6, 50, false)]);
    assert.deepEqual([s.failures, s.longestFailureWindowMs, s.firstFailure?.seq, s.statuses], [3, 20, 2, { 200: 3, 503: 3 }]);
    assert.equal(summarise('p', [r(1, 0, false), r(2, 10, true)]).longestFailureWindowMs, 1, 'a trailing failure counts until its answer');
  });
});
