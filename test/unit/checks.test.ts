import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseCheck, parseChecks, request, runChecks } from '../../shared/checks/http';

describe('checks: syntax', () => {
  it('reads the canonical form', () => {
    const c = parseCheck('GET /ping expect 200 contains 3.0.379');
    assert.deepEqual({ role: c.role, method: c.method, path: c.path, expect: c.expect, contains: c.contains }, { role: 'staging', method: 'GET', path: '/ping', expect: { status: 200 }, contains: '3.0.379' });
  });
  it('reads role prefixes, status classes, headers and texts with spaces', () => {
    const c = parseCheck('production: get /api/health header X-Probe=1 header Accept=text/plain expect 2xx contains all good');
    assert.equal(c.role, 'production');
    assert.equal(c.method, 'GET');
    assert.deepEqual(c.headers, { 'X-Probe': '1', Accept: 'text/plain' });
    assert.deepEqual(c.expect, { statusClass: 2 });
    assert.equal(c.contains, 'all good');
  });
  it('keeps query strings and encoded characters in the path', () => {
    assert.equal(parseCheck('GET /search?q=a%2Fb&page=2 expect 200').path, '/search?q=a%2Fb&page=2');
  });
  it('skips blank lines and comments', () => {
    assert.equal(parseChecks('\n# comment\nGET / expect 200\n\n').length, 1);
  });
  const bad: Array<[string, RegExp]> = [
    ['FETCH /x expect 200', /unknown method "FETCH"/],
    ['GET ping expect 200', /path must start with \//],
    ['GET /ping 200', /"expect STATUS" is missing/],
    ['GET /ping expect ok', /not a status/],
    ['GET /ping header broken expect 200', /must be Name=value/],
    ['GET /ping expect 200 please', /unexpected "please"/],
    // Paths that a URL parser reads as another host: the check would send the staging header elsewhere.
    ['GET //evil.example/x expect 200', /would leave the app's host/],
    ['GET /\\evil.example/x expect 200', /would leave the app's host/],
    ['GET http://evil.example/x expect 200', /path must start with \//],
  ];
  for (const [line, why] of bad) {
    it(`rejects "${line}" with a message that shows the syntax`, () => {
      assert.throws(() => parseCheck(line), (err: Error) => why.test(err.message) && /Write checks as/.test(err.message));
    });
  }
});

describe('checks: runner', () => {
  let server: http.Server;
  let base: string;
  let answers: Array<{ status: number; body: string }>;
  const seen: Array<Record<string, unknown>> = [];
  before(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url, host: req.headers.host, canary: req.headers.canary });
      const next = answers.length > 1 ? answers.shift() : answers[0];
      if (!next) return void res.writeHead(500).end('checks test: no answer scripted');
      res.writeHead(next.status).end(next.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());
  beforeEach(() => (seen.length = 0));

  const target = () => ({ label: 'staging (slot green)', baseUrl: base, host: 'calc.example.test', pathPrefix: '/canary', headers: { canary: 'always' } });

  it('sends the Host header, the staging header and the path prefix', async () => {
    answers = [{ status: 200, body: '{"version":"2.0"}' }];
    const { ok } = await runChecks([{ check: parseCheck('GET /ping expect 200 contains 2.0'), target: target() }], { timeoutSeconds: 1, intervalSeconds: 1, log: () => {} });
    assert.equal(ok, true);
    assert.deepEqual(seen[0], { url: '/canary/ping', host: 'calc.example.test', canary: 'always' });
  });

  it('retries until the check passes', async () => {
    answers = [{ status: 503, body: '' }, { status: 200, body: 'v2' }];
    const lines: string[] = [];
    const { ok } = await runChecks([{ check: parseCheck('GET /ping expect 200'), target: target() }], { timeoutSeconds: 5, intervalSeconds: 0.05, log: (l) => lines.push(l) });
    assert.equal(ok, true);
    assert.equal(seen.length, 2);
    assert.match(lines.join('\n'), /FAIL .*answered 503, expected 200[\s\S]*PASS/);
  });

  it('fails with the last answer when the deadline passes', async () => {
    answers = [{ status: 200, body: 'version 1.0' }];
    const { ok, results } = await runChecks([{ check: parseCheck('GET /ping expect 200 contains 2.0'), target: target() }], { timeoutSeconds: 0.2, intervalSeconds: 0.05, log: () => {} });
    assert.equal(ok, false);
    assert.match(results[0]?.detail ?? '', /without `2.0` in the body/);
  });

  it('reports a connection failure as a failed check, not a crash', async () => {
    const { ok, results } = await runChecks([{ check: parseCheck('GET / expect 200'), target: { ...target(), baseUrl: 'http://127.0.0.1:9' } }], { timeoutSeconds: 1, intervalSeconds: 1, log: () => {} });
    assert.equal(ok, false);
    assert.match(results[0]?.detail ?? '', /request failed: connect ECONNREFUSED/);
  });

  it('sends a query string as written', async () => {
    answers = [{ status: 200, body: 'ok' }];
    const { ok } = await runChecks([{ check: parseCheck('GET /search?q=a%2Fb&page=2 expect 200'), target: target() }], { timeoutSeconds: 1, intervalSeconds: 1, log: () => {} });
    assert.equal(ok, true);
    assert.equal(seen[0]?.url, '/canary/search?q=a%2Fb&page=2');
  });

  it('refuses at request time a path that resolves to another origin, requesting nothing', async () => {
    const bare = { ...target(), pathPrefix: '' };
    await assert.rejects(request(bare, 'GET', '//127.0.0.2:1/x'), /resolves to http:\/\/127\.0\.0\.2:1, not to the target http:\/\/127\.0\.0\.1:\d+; nothing was requested/);
    assert.equal(seen.length, 0);
  });
});

describe('checks: deadlines', function () {
  // Generous bounds: they must hold on a loaded 2-core machine, and still fail without an overall deadline
  // (a socket-idle timeout never fires on a server that drips, and the old per-request 10 s exceeds them).
  this.timeout(30_000);
  let server: http.Server;
  let base: string;
  const sockets = new Set<import('node:net').Socket>();
  const timers = new Set<NodeJS.Timeout>();
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/silent') return; // accepts the request and never answers
      // Headers at once, then one byte every 500 ms, forever.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('.');
      const drip = setInterval(() => res.write('.'), 500);
      timers.add(drip);
      res.on('close', () => {
        clearInterval(drip);
        timers.delete(drip);
      });
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const target = () => ({ label: 'staging (slot green)', baseUrl: base, pathPrefix: '', headers: {} });

  it('a server dripping one byte every 500 ms fails a 2 s request at about 2 s', async () => {
    const started = Date.now();
    await assert.rejects(request(target(), 'GET', '/drip', {}, 2000), /no complete answer within 2 s/);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1900 && elapsed < 8000, `failed after ${elapsed} ms`);
  });

  it('a 2 s check step against a dripping server fails within its deadline', async () => {
    const started = Date.now();
    const { ok, results } = await runChecks([{ check: parseCheck('GET /drip expect 200'), target: target() }], { timeoutSeconds: 2, intervalSeconds: 1, log: () => {} });
    const elapsed = Date.now() - started;
    assert.equal(ok, false);
    assert.match(results[0]?.detail ?? '', /request failed: no complete answer within/);
    assert.ok(elapsed < 8000, `returned after ${elapsed} ms`);
  });

  it('a 2 s check step against a server that never answers returns within its deadline', async () => {
    const started = Date.now();
    const { ok, results } = await runChecks([{ check: parseCheck('GET /silent expect 200'), target: target() }], { timeoutSeconds: 2, intervalSeconds: 1, log: () => {} });
    const elapsed = Date.now() - started;
    assert.equal(ok, false);
    assert.match(results[0]?.detail ?? '', /no complete answer within 2 s/);
    assert.ok(elapsed < 8000, `returned after ${elapsed} ms`);
  });
});
