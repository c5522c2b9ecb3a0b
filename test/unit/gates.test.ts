import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readGateInputs } from '../../shared/gates/inputs';
import { instantQuery, type QueryResult, readAnswer } from '../../shared/gates/prometheus';
import { fillPlaceholders, meets, type Operator, parseGate, parseGates } from '../../shared/gates/syntax';
import { BreachCounter, evaluate, evaluationCount, failureMessage, watchGates, type WatchSettings } from '../../shared/gates/watch';
import type { ConnectionInputs } from '../../shared/inputs/read';
import { Reader } from '../../shared/inputs/source';
import { fakeSource } from './fake-inputs';
import { must } from '../must';

const VALUES = { app: 'calc', namespace: 'calc', slot: 'green', release: 'calc-green', productionSlot: 'blue', productionRelease: 'calc-blue' } as const;
const vector = (...values: Array<number | string>): QueryResult => ({ kind: 'values', series: values.map((v, i) => ({ labels: values.length > 1 ? `{pod="p${i}"}` : '{}', value: Number(v) })) });

describe('metric gates: syntax', () => {
  it('reads a named gate: the query, and the last comparison as the condition', () => {
    const g = parseGate('success-rate: sum(rate(x{status!~"5.."}[1m])) / sum(rate(x[1m])) >= 0.99');
    assert.deepEqual({ name: g.name, query: g.query, op: g.op, threshold: g.threshold }, { name: 'success-rate', query: 'sum(rate(x{status!~"5.."}[1m])) / sum(rate(x[1m]))', op: '>=', threshold: 0.99 });
  });
  it('names an unnamed gate by its position, and keeps recording-rule colons in the query', () => {
    const [a, b] = parseGates('# comment\n\njob:http_errors:rate5m < 0.01\nup{job="calc"} == 1');
    assert.deepEqual([a?.name, a?.query, a?.op, a?.threshold], ['gate-1', 'job:http_errors:rate5m', '<', 0.01]);
    assert.deepEqual([b?.name, b?.op, b?.threshold], ['gate-2', '==', 1]);
  });
  it('takes only the last comparison when the query compares too, and reads exponents and signs', () => {
    const g = parseGate('lat: max(x > 0) <= 2.5e-1');
    assert.deepEqual([g.query, g.op, g.threshold], ['max(x > 0)', '<=', 0.25]);
    assert.equal(parseGate('delta: x != -3').threshold, -3);
  });
  const bad: Array<[string, RegExp]> = [
    ['sum(rate(x[1m]))', /does not end with a condition/],
    ['rate: >= 0.9', /query is missing/],
    ['rate: sum(rate(x[1m]) >= 0.9', /do not pair up/],
    ['rate: x{a="}"}) >= 1', /do not pair up/],
    ['rate: x{service="{{service}}"} >= 1', /\{\{service\}\} is not a placeholder/],
    ['rate: x >= high', /does not end with a condition/],
  ];
  for (const [line, why] of bad) it(`refuses ${JSON.stringify(line)}`, () => assert.throws(() => parseGate(line), why));
  it('accepts brackets inside label values, and refuses two gates of one name', () => {
    assert.equal(parseGate('x{path="/a(b"} >= 1').query, 'x{path="/a(b"}');
    assert.throws(() => parseGates('a: x >= 1\na: y >= 1'), /"a" is used twice/);
  });
  it('fills placeholders with the watched slot', () => {
    const q = parseGate('x{namespace="{{namespace}}", service=~"{{ release }}.*", prod="{{productionRelease}}", app="{{app}}-{{slot}}-{{productionSlot}}"} > 0').query;
    assert.equal(fillPlaceholders(q, VALUES), 'x{namespace="calc", service=~"calc-green.*", prod="calc-blue", app="calc-green-blue"}');
  });
  it('evaluates every operator, and never meets NaN or infinities', () => {
    const cases: Array<[number, Operator, number, boolean]> = [
      [1, '>=', 1, true], [0.9, '>=', 0.95, false], [1, '<=', 1, true], [1, '<', 1, false],
      [0.96, '>', 0.95, true], [1, '==', 1, true], [1, '!=', 1, false], [2, '!=', 1, true],
    ];
    for (const [value, op, threshold, expected] of cases) assert.equal(meets(value, op, threshold), expected, `${value} ${op} ${threshold}`);
    for (const op of ['>=', '<=', '>', '<', '==', '!='] as Operator[]) {
      assert.equal(meets(NaN, op, 0), false);
      assert.equal(meets(Infinity, op, 0), false);
    }
  });
});

describe('metric gates: the Prometheus answer', () => {
  it('reads vectors and scalars, with NaN and infinities', () => {
    const v = readAnswer(200, JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { service: 'a' }, value: [1, '0.98'] }, { metric: {}, value: [1, 'NaN'] }, { metric: {}, value: [1, '+Inf'] }] } }));
    assert.deepEqual(v, { kind: 'values', series: [{ labels: '{service="a"}', value: 0.98 }, { labels: '{}', value: NaN }, { labels: '{}', value: Infinity }] });
    assert.deepEqual(readAnswer(200, JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '3'] } })), { kind: 'values', series: [{ labels: 'scalar', value: 3 }] });
  });
  it('says why an answer is not a number, and whether retrying could help', () => {
    const syntax = readAnswer(400, JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 5' }));
    assert.deepEqual(syntax, { kind: 'error', message: 'the metrics server answered 400: bad_data: parse error at char 5', permanent: true });
    const refused = readAnswer(403, 'Forbidden');
    assert.ok(refused.kind === 'error' && refused.permanent && /Monitoring Data Reader/.test(refused.message));
    const busy = readAnswer(503, JSON.stringify({ status: 'error', errorType: 'timeout', error: 'query timed out' }));
    assert.ok(busy.kind === 'error' && !busy.permanent);
    const range = readAnswer(200, JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }));
    assert.ok(range.kind === 'error' && range.permanent && /not a number/.test(range.message));
    assert.ok(readAnswer(200, '<html>').kind === 'error');
  });

  it('POSTs the query with the credentials, and gives up at its deadline', async () => {
    const seen: Array<{ path?: string; auth?: string; body: string }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ path: req.url, auth: req.headers.authorization, body });
        if (body.includes('slow')) return; // never answers
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [0, '1'] }] } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prom/`;
    const metrics = { url, describe: 'test', headers: async () => ({ authorization: 'Bearer abc' }) };
    try {
      assert.deepEqual(await instantQuery(metrics, 'sum(x{a="b"})', 2000), { kind: 'values', series: [{ labels: '{}', value: 1 }] });
      assert.deepEqual(seen[0], { path: '/prom/api/v1/query', auth: 'Bearer abc', body: 'query=sum%28x%7Ba%3D%22b%22%7D%29' });
      const slow = await instantQuery(metrics, 'slow', 300);
      assert.ok(slow.kind === 'error' && !slow.permanent && /no answer within 0.3 s/.test(slow.message), JSON.stringify(slow));
      const down = await instantQuery({ ...metrics, url: 'http://127.0.0.1:1' }, 'x', 2000);
      assert.ok(down.kind === 'error' && !down.permanent);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('metric gates: evaluation and breaches', () => {
  const gate = parseGate('rate: x >= 0.99');
  const q = (r: QueryResult) => async () => r;

  it('passes only when every series meets the condition', async () => {
    assert.equal((await evaluate(gate, q(vector(0.995)), VALUES, 'fail')).verdict, 'pass');
    const some = await evaluate(gate, q(vector(0.999, 0.5)), VALUES, 'fail');
    assert.equal(some.verdict, 'breach');
    assert.match(some.detail, /\{pod="p1"\} 0.5 \(>= 0.99 not met by 1 of 2 series\)/);
  });
  it('treats no series and NaN (0/0 without traffic) as no data, counted as gateNoData says', async () => {
    for (const r of [vector(), vector('NaN')]) {
      const fail = await evaluate(gate, q(r), VALUES, 'fail');
      assert.equal(fail.verdict, 'breach');
      assert.match(fail.detail, /^no data .*counted as a breach/);
      assert.equal((await evaluate(gate, q(r), VALUES, 'pass')).verdict, 'pass');
    }
  });
  it('counts an unanswered query as a breach, and a wrong setting as fatal', async () => {
    const transient = await evaluate(gate, q({ kind: 'error', message: 'timeout', permanent: false }), VALUES, 'pass');
    assert.deepEqual([transient.verdict, transient.fatal], ['breach', undefined]);
    const permanent = await evaluate(gate, q({ kind: 'error', message: 'bad_data', permanent: true }), VALUES, 'pass');
    assert.deepEqual([permanent.verdict, permanent.fatal], ['breach', 'bad_data']);
  });
  it('fills the placeholders before querying', async () => {
    let asked = '';
    await evaluate(parseGate('x{service="{{release}}"} > 0'), async (promql) => ((asked = promql), vector(1)), VALUES, 'fail');
    assert.equal(asked, 'x{service="calc-green"}');
  });
  it('counts breaches per gate up to the limit', () => {
    const other = parseGate('other: y < 1');
    const c = new BreachCounter(2);
    const e = (g = gate, verdict: 'pass' | 'breach' = 'breach') => ({ gate: g, verdict, detail: '' });
    assert.equal(c.add(e()), 1);
    assert.equal(c.failed(e()), false);
    assert.equal(c.add(e(gate, 'pass')), 1);
    assert.equal(c.add(e(other)), 1);
    assert.equal(c.add(e()), 2);
    assert.equal(c.failed(e()), true);
    assert.equal(c.failed(e(other)), false);
  });
});

describe('metric gates: watching', () => {
  const settings = (s: Partial<WatchSettings> = {}): WatchSettings => ({ intervalSeconds: 10, durationSeconds: 60, failureLimit: 2, noData: 'fail', ...s });
  /** Answers from a script per round; records the sleeps instead of waiting. */
  const scripted = (answers: QueryResult[]) => {
    let i = 0;
    const sleeps: number[] = [];
    const log: string[] = [];
    return { sleeps, log, o: { query: async () => must(answers[Math.min(i++, answers.length - 1)], 'a scripted answer'), values: VALUES, log: (l: string) => log.push(l), sleep: async (ms: number) => void sleeps.push(ms) } };
  };
  const gates = parseGates('rate: x >= 0.99');

  it('evaluates duration / interval times, an interval apart, and passes when the limit is never reached', async () => {
    const s = scripted([vector(1), vector(0.5), vector(1)]);
    const r = await watchGates(gates, settings(), s.o);
    assert.deepEqual([r.ok, r.evaluations, r.breaches.rate], [true, 6, 1]);
    assert.deepEqual(s.sleeps, Array(6).fill(10_000));
    assert.equal(evaluationCount({ intervalSeconds: 30, durationSeconds: 20 }), 1);
    assert.match(s.log[0] ?? '', /^PASS rate \[1\/6\]: 1 \(>= 0.99\)$/);
    assert.match(s.log[1] ?? '', /^BREACH rate \[2\/6\]: 0.5 \(>= 0.99 not met\) - breach 1; the gate fails at 2$/);
  });
  it('fails at the breach that reaches the limit, and stops watching there', async () => {
    const s = scripted([vector(0.5), vector(1), vector(0.98)]);
    const r = await watchGates(gates, settings(), s.o);
    assert.deepEqual([r.ok, r.evaluations, r.breaches.rate, r.failure?.gate.name], [false, 3, 2, 'rate']);
    assert.equal(s.sleeps.length, 3);
    assert.match(failureMessage(r, settings()), /^Metric gate rate failed: 2 breach\(es\) of ">= 0.99" in 3 evaluation\(s\) \(limit 2\); last value 0.98/);
  });
  it('with no data: fails by default, passes when told', async () => {
    assert.equal((await watchGates(gates, settings({ failureLimit: 1 }), scripted([vector()]).o)).ok, false);
    assert.equal((await watchGates(gates, settings({ failureLimit: 1, noData: 'pass' }), scripted([vector()]).o)).ok, true);
  });
  it('fails at once when a query cannot run as set up, whatever the limit', async () => {
    const r = await watchGates(gates, settings({ failureLimit: 5 }), scripted([{ kind: 'error', message: 'the metrics server answered 401', permanent: true }]).o);
    assert.deepEqual([r.ok, r.evaluations], [false, 1]);
    assert.match(failureMessage(r, settings()), /could not be evaluated: the metrics server answered 401/);
  });
});

describe('metric gates: inputs', () => {
  const k8s: ConnectionInputs = { type: 'Kubernetes Service Connection', endpoint: 'k8s', useClusterAdmin: false };
  const arm: ConnectionInputs = { type: 'Azure Resource Manager', endpoint: 'arm', resourceGroup: 'rg', cluster: 'aks', useClusterAdmin: false };
  const read = (inputs: Record<string, string>, connection = k8s) => {
    const src = fakeSource(inputs);
    return { src, gates: readGateInputs(new Reader(src), connection) };
  };
  const base = { gates: 'rate: x >= 0.99', metricsServer: 'http://prometheus:9090/' };

  it('is undefined without gates, and reads the defaults otherwise', () => {
    assert.equal(read({}).gates, undefined);
    assert.equal(read({ gates: '# none yet' }).gates, undefined);
    const { gates } = read(base);
    assert.deepEqual(gates?.server, { url: 'http://prometheus:9090', auth: 'none' });
    assert.deepEqual(gates?.settings, { intervalSeconds: 30, durationSeconds: 300, failureLimit: 1, noData: 'fail' });
  });
  it('reads secrets without echo and registers them', () => {
    const bearer = read({ ...base, metricsAuth: 'bearer', metricsToken: 's3cret' });
    assert.equal(bearer.gates?.server.token, 's3cret');
    assert.ok(bearer.src.readSecretly.has('metricsToken') && !bearer.src.read.has('metricsToken'));
    assert.deepEqual(bearer.src.secrets, ['s3cret']);
    const basic = read({ ...base, metricsAuth: 'basic', metricsUsername: 'ops', metricsPassword: 'pw' });
    assert.deepEqual([basic.gates?.server.username, basic.gates?.server.password, basic.src.secrets], ['ops', 'pw', ['pw']]);
  });
  it('takes the Azure Monitor identity from the cluster connection unless given', () => {
    const https = { ...base, metricsServer: 'https://ws.westeurope.prometheus.monitor.azure.com', metricsAuth: 'azureMonitor' };
    assert.equal(read(https, arm).gates?.server.azureConnection, 'arm');
    assert.equal(read({ ...https, metricsAzureConnection: 'mon' }, arm).gates?.server.azureConnection, 'mon');
  });
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ gates: 'x >= 1' }, /'metricsServer' .* is required with metric gates/],
    [{ ...base, metricsServer: 'prometheus:9090' }, /not an http\(s\) base URL/],
    [{ ...base, gates: 'x >= ' }, /Input 'gates': Gate "x >=" is not valid/],
    [{ ...base, gateInterval: '60', gateDuration: '30' }, /'gateInterval' \(60 s\) is longer than 'gateDuration'/],
    [{ ...base, gateFailureLimit: '0' }, /'gateFailureLimit' is '0'/],
    [{ ...base, gateNoData: 'maybe' }, /'gateNoData' is 'maybe', which is not one of: fail, pass/],
    [{ ...base, metricsAuth: 'bearer' }, /'metricsToken' .* is required with metricsAuth 'bearer'/],
    [{ ...base, metricsAuth: 'basic', metricsPassword: 'pw' }, /'metricsUsername' is required/],
    [{ ...base, metricsAuth: 'azureMonitor' }, /'metricsAzureConnection' .* is required/],
    [{ ...base, metricsAuth: 'azureMonitor', metricsAzureConnection: 'mon' }, /sent over https only/],
  ];
  for (const [inputs, why] of bad) it(`refuses ${JSON.stringify(inputs)}`, () => assert.throws(() => read(inputs), why));
});
