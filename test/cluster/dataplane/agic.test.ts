// AGIC routing table: one row per rule of docs/routing-semantics.md, plus App Gateway's path syntax.
import * as assert from 'node:assert/strict';
import { ingress, release, type IngressSpec, routingTable, type RoutingRow } from './fixtures';
import { appGatewayPath, rewritePath } from './agic';

const NS = 'calc';
const HOST = 'calc.test';
const CLASS = 'azure-application-gateway';
const PREFIX = 'appgw.ingress.kubernetes.io/backend-path-prefix';
const slots = () => [...release(NS, 'calc-blue', '1.0.0'), ...release(NS, 'calc-green', '2.0.0')];
const production = (spec: Partial<IngressSpec> = {}) => ingress(NS, 'calc', { className: CLASS, host: HOST, service: 'calc-blue', created: 10, ...spec });
const staging = (spec: Partial<IngressSpec> = {}) =>
  ingress(NS, 'calc-canary', { className: CLASS, host: HOST, path: '/canary/*', pathType: 'ImplementationSpecific', service: 'calc-green', created: 20, annotations: { [PREFIX]: '/' }, ...spec });


const rows: RoutingRow[] = [
  { rule: 'host + path: production at / answers', objects: [...slots(), production()], path: '/ping', status: 200, release: 'calc-blue', podPath: '/ping' },
  { rule: 'staging at /canary/* with backend-path-prefix / reaches the pod as /ping', objects: [...slots(), production(), staging()], path: '/canary/ping', status: 200, release: 'calc-green', podPath: '/ping' },
  { rule: 'staging at /canary Prefix with backend-path-prefix / reaches the pod as /ping', objects: [...slots(), production(), staging({ path: '/canary', pathType: 'Prefix' })], path: '/canary/ping', status: 200, release: 'calc-green', podPath: '/ping' },
  { rule: 'Prefix /canary becomes /canary*: also matches /canaryX', objects: [...slots(), production(), staging({ path: '/canary', pathType: 'Prefix' })], path: '/canaryX', status: 200, release: 'calc-green', podPath: '/X' },
  { rule: 'ImplementationSpecific /canary is exact in App Gateway: /canary/ping goes to production', objects: [...slots(), production(), staging({ path: '/canary', pathType: 'ImplementationSpecific' })], path: '/canary/ping', status: 200, release: 'calc-blue', podPath: '/canary/ping' },
  { rule: 'ImplementationSpecific /canary (exact) rewrites /canary to /', objects: [...slots(), production(), staging({ path: '/canary', pathType: 'ImplementationSpecific' })], path: '/canary', status: 200, release: 'calc-green', podPath: '/' },
  { rule: 'backend-path-prefix applies to every path of its Ingress', objects: [...slots(), production({ annotations: { [PREFIX]: '/app/' } })], path: '/ping', status: 200, release: 'calc-blue', podPath: '/app/ping' },
  { rule: 'no header routing: a canary header changes nothing', objects: [...slots(), production(), staging()], path: '/ping', headers: { canary: 'always' }, status: 200, release: 'calc-blue' },
  { rule: 'paths are case-insensitive', objects: [...slots(), production(), staging()], path: '/CANARY/ping', status: 200, release: 'calc-green', podPath: '/ping' },
  { rule: 'two Ingresses claim the same host+path: the oldest wins (our assumption)', objects: [...slots(), production({ created: 30 }), ingress(NS, 'calc-old', { className: CLASS, host: HOST, service: 'calc-green', created: 5 })], status: 200, release: 'calc-green' },
  { rule: 'unknown host (no listener) -> 404', objects: [...slots(), production()], host: 'other.test', status: 404 },
  { rule: 'no path rule matches on a known host -> 502 (empty default pool)', objects: [...slots(), staging()], path: '/ping', status: 502 },
  { rule: 'production Ingress deleted, staging remains: / -> 502 from the empty default pool', objects: [...slots(), staging()], path: '/', status: 502 },
  { rule: 'backend pool empty (no ready pod) -> 502', objects: [...release(NS, 'calc-blue', '1.0.0', { ready: false }), production()], status: 502 },
  { rule: 'backend Service missing -> 502', objects: [production()], status: 502 },
  { rule: 'legacy annotation value azure/application-gateway is ours', objects: [...slots(), ingress(NS, 'calc', { host: HOST, service: 'calc-blue', annotations: { 'kubernetes.io/ingress.class': 'azure/application-gateway' } })], status: 200, release: 'calc-blue' },
  { rule: 'IngressClass name azure/application-gateway is not ours (not a DNS subdomain class)', objects: [...slots(), production({ className: 'azure/application-gateway' })], status: 404 },
  { rule: 'an nginx Ingress is not ours', objects: [...slots(), production({ className: 'nginx' })], status: 404 },
];

describe('data plane: AGIC routing semantics', () => {
  routingTable('agic', rows, { host: HOST });

  it('translates Ingress paths to App Gateway path rules and rewrites the matched prefix', () => {
    assert.deepEqual(
      [appGatewayPath({ path: '/canary', pathType: 'Prefix' }), appGatewayPath({ path: '/canary/', pathType: 'Prefix' }), appGatewayPath({ path: '/canary/*', pathType: 'ImplementationSpecific' }), appGatewayPath({ path: '/x', pathType: 'Exact' })],
      ['/canary*', '/canary/*', '/canary/*', '/x'],
    );
    assert.equal(rewritePath('/canary/a/b', '/canary/', '/api/'), '/api/a/b');
    assert.equal(rewritePath('/canary/a', '/canary', '/'), '/a');
    assert.equal(rewritePath('/canary/a', '/canary/', undefined), '/canary/a');
  });
});
