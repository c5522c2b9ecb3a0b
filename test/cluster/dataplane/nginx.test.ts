// ingress-nginx routing table: one row per rule of docs/routing-semantics.md (plus path matching).
import * as assert from 'node:assert/strict';
import { get, ingress, put, release, type IngressSpec, routingTable, type RoutingRow } from './fixtures';

const NS = 'calc';
const HOST = 'calc.test';
const P = 'nginx.ingress.kubernetes.io/';
const slots = () => [...release(NS, 'calc-blue', '1.0.0', { replicas: 2 }), ...release(NS, 'calc-green', '2.0.0')];
const primary = (spec: Partial<IngressSpec> = {}) => ingress(NS, 'calc', { className: 'nginx', host: HOST, service: 'calc-blue', created: 10, ...spec });
const canary = (annotations: Record<string, string>, spec: Partial<IngressSpec> = {}, name = 'calc-canary') =>
  ingress(NS, name, { className: 'nginx', host: HOST, service: 'calc-green', created: 20, ...spec, annotations: { [`${P}canary`]: 'true', ...annotations } });
const cookie = (c: string) => ({ cookie: c });


const rows: RoutingRow[] = [
  { rule: 'primary alone serves the host', objects: [...slots(), primary()], status: 200, release: 'calc-blue' },
  { rule: 'canary-by-header: always -> canary', objects: [...slots(), primary(), canary({ [`${P}canary-by-header`]: 'canary' })], headers: { canary: 'always' }, status: 200, release: 'calc-green' },
  { rule: 'canary-by-header: never -> primary (even at weight 100)', objects: [...slots(), primary(), canary({ [`${P}canary-by-header`]: 'canary', [`${P}canary-weight`]: '100' })], headers: { canary: 'never' }, status: 200, release: 'calc-blue' },
  { rule: 'canary-by-header: other value falls through (to weight 100)', objects: [...slots(), primary(), canary({ [`${P}canary-by-header`]: 'canary', [`${P}canary-weight`]: '100' })], headers: { canary: 'maybe' }, status: 200, release: 'calc-green' },
  { rule: 'canary-by-header: header absent -> primary', objects: [...slots(), primary(), canary({ [`${P}canary-by-header`]: 'canary' })], status: 200, release: 'calc-blue' },
  { rule: 'canary-by-header-value: exact value -> canary', objects: [...slots(), primary(), canary({ [`${P}canary-by-header`]: 'x-slot', [`${P}canary-by-header-value`]: 'green' })], headers: { 'x-slot': 'green' }, status: 200, release: 'calc-green' },
  { rule: 'canary-by-header-value: case-sensitive', objects: [...slots(), primary(), canary({ [`${P}canary-by-header`]: 'x-slot', [`${P}canary-by-header-value`]: 'green' })], headers: { 'x-slot': 'Green' }, status: 200, release: 'calc-blue' },
  { rule: 'canary-by-header-value: `always` no longer selects the canary', objects: [...slots(), primary(), canary({ [`${P}canary-by-header`]: 'x-slot', [`${P}canary-by-header-value`]: 'green' })], headers: { 'x-slot': 'always' }, status: 200, release: 'calc-blue' },
  { rule: 'canary-by-header-value: `never` no longer excludes (falls through to weight 100)', objects: [...slots(), primary(), canary({ [`${P}canary-by-header`]: 'x-slot', [`${P}canary-by-header-value`]: 'green', [`${P}canary-weight`]: '100' })], headers: { 'x-slot': 'never' }, status: 200, release: 'calc-green' },
  { rule: 'canary-by-header-pattern: unanchored regex', objects: [...slots(), primary(), canary({ [`${P}canary-by-header`]: 'x-user', [`${P}canary-by-header-pattern`]: 'tester' })], headers: { 'x-user': 'qa-tester-7' }, status: 200, release: 'calc-green' },
  { rule: 'canary-by-header-pattern: ignored when -value is set', objects: [...slots(), primary(), canary({ [`${P}canary-by-header`]: 'x-user', [`${P}canary-by-header-value`]: 'exact', [`${P}canary-by-header-pattern`]: 'tester' })], headers: { 'x-user': 'qa-tester-7' }, status: 200, release: 'calc-blue' },
  { rule: 'canary-by-cookie: always -> canary', objects: [...slots(), primary(), canary({ [`${P}canary-by-cookie`]: 'slot' })], headers: cookie('a=1; slot=always'), status: 200, release: 'calc-green' },
  { rule: 'canary-by-cookie: never -> primary (even at weight 100)', objects: [...slots(), primary(), canary({ [`${P}canary-by-cookie`]: 'slot', [`${P}canary-weight`]: '100' })], headers: cookie('slot=never'), status: 200, release: 'calc-blue' },
  { rule: 'canary-by-cookie: other value falls through (to weight 100)', objects: [...slots(), primary(), canary({ [`${P}canary-by-cookie`]: 'slot', [`${P}canary-weight`]: '100' })], headers: cookie('slot=yes'), status: 200, release: 'calc-green' },
  { rule: 'precedence: header before cookie (header never, cookie always -> primary)', objects: [...slots(), primary(), canary({ [`${P}canary-by-header`]: 'canary', [`${P}canary-by-cookie`]: 'slot' })], headers: { canary: 'never', cookie: 'slot=always' }, status: 200, release: 'calc-blue' },
  { rule: 'precedence: cookie before weight (cookie never, weight 100 -> primary)', objects: [...slots(), primary(), canary({ [`${P}canary-by-cookie`]: 'slot', [`${P}canary-weight`]: '100' })], headers: cookie('slot=never'), status: 200, release: 'calc-blue' },
  { rule: 'canary-weight 30 -> 30 % canary', objects: [...slots(), primary(), canary({ [`${P}canary-weight`]: '30' })], share: { release: 'calc-green', percent: 30, n: 600 } },
  { rule: 'canary-weight 0 -> no canary traffic', objects: [...slots(), primary(), canary({ [`${P}canary-weight`]: '0' })], share: { release: 'calc-green', percent: 0, n: 200 } },
  { rule: 'canary-weight 300 of canary-weight-total 1000 -> 30 %', objects: [...slots(), primary(), canary({ [`${P}canary-weight`]: '300', [`${P}canary-weight-total`]: '1000' })], share: { release: 'calc-green', percent: 30, n: 600 } },
  { rule: 'canary-weight-total <= 100 is ignored (30 of "50" is still 30 %)', objects: [...slots(), primary(), canary({ [`${P}canary-weight`]: '30', [`${P}canary-weight-total`]: '50' })], share: { release: 'calc-green', percent: 30, n: 600 } },
  { rule: 'canary needs the same pathType: Prefix primary, ImplementationSpecific canary -> dropped', objects: [...slots(), primary(), canary({ [`${P}canary-by-header`]: 'canary' }, { pathType: 'ImplementationSpecific' })], headers: { canary: 'always' }, status: 200, release: 'calc-blue' },
  { rule: 'canary needs the same path: canary at /v2 -> dropped', objects: [...slots(), primary(), canary({ [`${P}canary-by-header`]: 'canary' }, { path: '/v2' })], path: '/v2', headers: { canary: 'always' }, status: 200, release: 'calc-blue' },
  { rule: 'canary without any primary for the host -> 404 (default backend)', objects: [...slots(), canary({ [`${P}canary-weight`]: '100' })], status: 404 },
  { rule: 'primary deleted while the canary remains -> 404, weight 100 does not help', objects: [...slots(), canary({ [`${P}canary-weight`]: '100', [`${P}canary-by-header`]: 'canary' })], headers: { canary: 'always' }, status: 404 },
  { rule: 'no primary for the host -> 404', objects: [...slots(), primary()], host: 'other.test', status: 404 },
  { rule: 'one canary per host+path: the older canary wins', objects: [...slots(), ...release(NS, 'calc-red', '3.0.0'), primary(), canary({ [`${P}canary-weight`]: '100' }, { service: 'calc-red', created: 30 }, 'calc-canary-late'), canary({ [`${P}canary-weight`]: '100' })], share: { release: 'calc-green', percent: 100, n: 50 } },
  { rule: 'two primaries for one host+path (no webhook): the oldest wins', objects: [...slots(), primary({ service: 'calc-green', created: 5 }), ingress(NS, 'calc-second', { className: 'nginx', host: HOST, service: 'calc-blue', created: 50 })], status: 200, release: 'calc-green' },
  { rule: 'canary: "false" with leftover annotations is a second primary (older -> it serves everyone)', objects: [...slots(), primary(), canary({ [`${P}canary`]: 'false', [`${P}canary-weight`]: '10' }, { created: 1 })], status: 200, release: 'calc-green' },
  { rule: 'canary: "false" with leftover annotations is a second primary (newer -> ignored, header has no effect)', objects: [...slots(), primary(), canary({ [`${P}canary`]: 'false', [`${P}canary-by-header`]: 'canary' })], headers: { canary: 'always' }, status: 200, release: 'calc-blue' },
  { rule: 'primary Service with zero ready endpoints -> 503', objects: [...release(NS, 'calc-blue', '1.0.0', { ready: false }), ...release(NS, 'calc-green', '2.0.0'), primary()], status: 503 },
  { rule: 'primary with zero ready endpoints -> 503 also for requests bound to the canary', objects: [...release(NS, 'calc-blue', '1.0.0', { ready: false }), ...release(NS, 'calc-green', '2.0.0'), primary(), canary({ [`${P}canary-by-header`]: 'canary' })], headers: { canary: 'always' }, status: 503 },
  { rule: 'primary Service missing -> 503', objects: [...release(NS, 'calc-green', '2.0.0'), primary()], status: 503 },
  { rule: 'canary with zero ready endpoints: the Lua balancer falls back to the primary', objects: [...release(NS, 'calc-blue', '1.0.0'), ...release(NS, 'calc-green', '2.0.0', { ready: false }), primary(), canary({ [`${P}canary-by-header`]: 'canary' })], headers: { canary: 'always' }, status: 200, release: 'calc-blue' },
  {
    rule: 'a Service that is a primary backend in the server cannot be its canary backend',
    objects: [...slots(), primary(), ingress(NS, 'calc-api', { className: 'nginx', host: HOST, path: '/api', service: 'calc-green', created: 11 }), canary({ [`${P}canary-by-header`]: 'canary' })],
    headers: { canary: 'always' }, status: 200, release: 'calc-blue',
  },
  { rule: 'Prefix /api matches /api/x', objects: [...slots(), primary({ path: '/api' })], path: '/api/x', status: 200, release: 'calc-blue' },
  { rule: 'Prefix /api does not match /apix', objects: [...slots(), primary({ path: '/api' })], path: '/apix', status: 404 },
  { rule: 'ImplementationSpecific /api is a string prefix: matches /apix', objects: [...slots(), primary({ path: '/api', pathType: 'ImplementationSpecific' })], path: '/apix', status: 200, release: 'calc-blue' },
  { rule: 'Exact /api does not match /api/x', objects: [...slots(), primary({ path: '/api', pathType: 'Exact' })], path: '/api/x', status: 404 },
  { rule: 'longest path wins', objects: [...slots(), primary(), ingress(NS, 'calc-v2', { className: 'nginx', host: HOST, path: '/v2', service: 'calc-green', created: 11 })], path: '/v2/ping', status: 200, release: 'calc-green' },
  { rule: 'legacy kubernetes.io/ingress.class: nginx is ours', objects: [...slots(), ingress(NS, 'calc', { host: HOST, service: 'calc-blue', annotations: { 'kubernetes.io/ingress.class': 'nginx' } })], status: 200, release: 'calc-blue' },
  { rule: 'an Ingress of another class is not ours -> 404', objects: [...slots(), primary({ className: 'azure-application-gateway' })], status: 404 },
  { rule: 'a pod told to fail (env FAIL=true) answers 500', objects: [...release(NS, 'calc-blue', '1.0.0', { fail: 'env' }), primary()], status: 500, release: 'calc-blue' },
  { rule: 'a pod told to fail (annotation) answers 500', objects: [...release(NS, 'calc-blue', '1.0.0', { fail: 'annotation' }), primary()], status: 500, release: 'calc-blue' },
];

describe('data plane: ingress-nginx routing semantics', () => {
  const { store, plane } = routingTable('nginx', rows, { seed: 7, host: HOST });

  it('answers from a pod: version from VERSION env else the image tag, round robin, debugging headers', async () => {
    put(store, ...release(NS, 'calc-blue', '1.0.0', { replicas: 2 }), ...release(NS, 'calc-green', 'unused', { image: 'acr.test:5000/calc:2.5.1' }).map((o) => {
      if (o.kind === 'Pod') o.spec.containers[0].env = [];
      return o;
    }), primary(), canary({ [`${P}canary-by-header`]: 'canary' }));
    const a = await get(plane().url, HOST, '/ping?x=1');
    const b = await get(plane().url, HOST, '/ping');
    assert.deepEqual([a.body.version, a.body.path, a.headers['x-dataplane-controller'], a.headers['x-dataplane-backend']], ['1.0.0', '/ping?x=1', 'nginx', 'calc/calc-blue']);
    assert.notEqual(a.body.pod, b.body.pod, 'two pods take turns');
    const c = await get(plane().url, HOST, '/', { canary: 'always' });
    assert.equal(c.body.version, '2.5.1');
    assert.match(String(c.headers['x-dataplane-route']), /calc-canary \(canary\)/);
  });
});
