import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseCheck, parseChecks, runChecks } from '../../shared/checks';

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
      const next = answers.length > 1 ? answers.shift()! : answers[0];
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
    assert.match(results[0].detail, /without `2.0` in the body/);
  });

  it('reports a connection failure as a failed check, not a crash', async () => {
    const { ok, results } = await runChecks([{ check: parseCheck('GET / expect 200'), target: { ...target(), baseUrl: 'http://127.0.0.1:9' } }], { timeoutSeconds: 0, intervalSeconds: 1, log: () => {} });
    assert.equal(ok, false);
    assert.match(results[0].detail, /request failed/);
  });
});
