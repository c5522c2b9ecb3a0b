// Gateway API routing table (HTTPRoute matches, weights, ReferenceGrant, precedence) and the route
// status the emulator writes back like a gateway controller.
import * as assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import type { KubeObject } from '../store';
import { gateway, httpRoute, put, referenceGrant, release, resource, routingTable, type RoutingRow } from './fixtures';

const NS = 'calc';
const HOST = 'calc.test';
const slots = (ns = NS) => [...release(ns, 'calc-blue', '1.0.0'), ...release(ns, 'calc-green', '2.0.0')];
const gw = (listeners?: Array<Record<string, unknown>>, ns = NS) => gateway(ns, 'gw', listeners);
const to = (name: string, weight?: number, namespace?: string) => ({ name, port: 80, ...(weight !== undefined ? { weight } : {}), ...(namespace ? { namespace } : {}) });
const headerRule = (backend = 'calc-green', value = 'always') => ({ matches: [{ headers: [{ name: 'canary', value }] }], backendRefs: [to(backend)] });
const defaultRule = (...backendRefs: object[]) => ({ backendRefs });
const route = (rules: object[], extra: Record<string, unknown> = {}, name = 'calc', ns = NS, created = 0) =>
  httpRoute(ns, name, { parentRefs: [{ name: 'gw', namespace: NS }], hostnames: [HOST], rules, ...extra }, created);


const standard = () => [...slots(), gw()];
const rows: RoutingRow[] = [
  { rule: 'header match (Exact) -> staging backend', objects: [...standard(), route([headerRule(), defaultRule(to('calc-blue'))])], headers: { canary: 'always' }, status: 200, release: 'calc-green' },
  { rule: 'header value is matched exactly (case-sensitive)', objects: [...standard(), route([headerRule(), defaultRule(to('calc-blue'))])], headers: { canary: 'Always' }, status: 200, release: 'calc-blue' },
  { rule: 'header names are case-insensitive', objects: [...standard(), route([{ matches: [{ headers: [{ name: 'X-Canary', value: 'on' }] }], backendRefs: [to('calc-green')] }, defaultRule(to('calc-blue'))])], headers: { 'x-canary': 'on' }, status: 200, release: 'calc-green' },
  { rule: 'no header -> the default rule', objects: [...standard(), route([headerRule(), defaultRule(to('calc-blue'))])], status: 200, release: 'calc-blue' },
  { rule: 'backendRef weights 70/30 -> 30 % to green', objects: [...standard(), route([defaultRule(to('calc-blue', 70), to('calc-green', 30))])], share: { release: 'calc-green', percent: 30, n: 600 } },
  { rule: 'weight 0 receives no traffic', objects: [...standard(), route([defaultRule(to('calc-blue', 1), to('calc-green', 0))])], share: { release: 'calc-green', percent: 0, n: 200 } },
  { rule: 'all weights 0 -> 500', objects: [...standard(), route([defaultRule(to('calc-blue', 0), to('calc-green', 0))])], status: 500 },
  { rule: 'a rule without backendRefs -> 500', objects: [...standard(), route([{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }])], status: 500 },
  { rule: 'cross-namespace backendRef without ReferenceGrant -> 500 (RefNotPermitted)', objects: [...standard(), ...slots('calc-green-ns'), route([defaultRule(to('calc-green', 1, 'calc-green-ns'))])], status: 500 },
  { rule: 'cross-namespace backendRef with a ReferenceGrant -> served', objects: [...standard(), ...slots('calc-green-ns'), referenceGrant('calc-green-ns', 'allow-calc', NS), route([defaultRule(to('calc-green', 1, 'calc-green-ns'))])], status: 200, release: 'calc-green' },
  { rule: 'a ReferenceGrant for another Service name does not allow it', objects: [...standard(), ...slots('calc-green-ns'), referenceGrant('calc-green-ns', 'allow-calc', NS, 'calc-blue'), route([defaultRule(to('calc-green', 1, 'calc-green-ns'))])], status: 500 },
  { rule: 'a ReferenceGrant from another namespace does not allow it', objects: [...standard(), ...slots('calc-green-ns'), referenceGrant('calc-green-ns', 'allow-other', 'other'), route([defaultRule(to('calc-green', 1, 'calc-green-ns'))])], status: 500 },
  { rule: 'an invalid backendRef gets its share answered 500', objects: [...standard(), ...slots('calc-green-ns'), route([defaultRule(to('calc-blue', 50), to('calc-green', 50, 'calc-green-ns'))])], share: { release: '500', percent: 50, n: 400 } },
  { rule: 'backend Service missing -> 500 (BackendNotFound)', objects: [...standard(), route([defaultRule(to('calc-red'))])], status: 500 },
  { rule: 'backend with no ready pod -> 503', objects: [...release(NS, 'calc-blue', '1.0.0', { ready: false }), gw(), route([defaultRule(to('calc-blue'))])], status: 503 },
  { rule: 'Exact path beats a longer-matching prefix', objects: [...standard(), route([{ matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [to('calc-blue')] }, { matches: [{ path: { type: 'Exact', value: '/api/ping' } }], backendRefs: [to('calc-green')] }])], path: '/api/ping', status: 200, release: 'calc-green' },
  { rule: 'longest PathPrefix wins', objects: [...standard(), route([{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [to('calc-blue')] }, { matches: [{ path: { type: 'PathPrefix', value: '/v2' } }], backendRefs: [to('calc-green')] }])], path: '/v2/x', status: 200, release: 'calc-green' },
  { rule: 'PathPrefix /v2 does not match /v2x', objects: [...standard(), route([{ matches: [{ path: { type: 'PathPrefix', value: '/v2' } }], backendRefs: [to('calc-green')] }])], path: '/v2x', status: 404 },
  { rule: 'more header matches win', objects: [...standard(), route([headerRule('calc-blue'), { matches: [{ headers: [{ name: 'canary', value: 'always' }, { name: 'x-team', value: 'qa' }] }], backendRefs: [to('calc-green')] }])], headers: { canary: 'always', 'x-team': 'qa' }, status: 200, release: 'calc-green' },
  { rule: 'equal precedence across routes: the oldest route wins', objects: [...standard(), route([defaultRule(to('calc-green'))], {}, 'calc-new', NS, 50), route([defaultRule(to('calc-blue'))], {}, 'calc-old', NS, 5)], status: 200, release: 'calc-blue' },
  { rule: 'an exact hostname beats a wildcard', objects: [...standard(), route([defaultRule(to('calc-green'))], { hostnames: ['*.test'] }, 'wild'), route([defaultRule(to('calc-blue'))], {}, 'exact', NS, 60)], status: 200, release: 'calc-blue' },
  { rule: 'a wildcard hostname matches subdomains', objects: [...standard(), route([defaultRule(to('calc-green'))], { hostnames: ['*.test'] })], host: 'a.b.test', status: 200, release: 'calc-green' },
  { rule: 'a host no route claims -> 404', objects: [...standard(), route([defaultRule(to('calc-blue'))])], host: 'other.test', status: 404 },
  { rule: 'parent Gateway missing -> not routed (404)', objects: [...slots(), route([defaultRule(to('calc-blue'))])], status: 404 },
  { rule: 'route in another namespace than the Gateway, listener allows Same (default) -> 404', objects: [...slots('shop'), gw(), route([defaultRule(to('calc-blue'))], {}, 'calc', 'shop')], status: 404 },
  { rule: 'route in another namespace, listener allows All -> served', objects: [...slots('shop'), gw([{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }]), route([defaultRule(to('calc-blue'))], {}, 'calc', 'shop')], status: 200, release: 'calc-blue' },
  { rule: 'listener hostname that does not intersect the route hostnames -> 404', objects: [...slots(), gw([{ name: 'http', port: 80, protocol: 'HTTP', hostname: 'shop.test' }]), route([defaultRule(to('calc-blue'))])], status: 404 },
];

describe('data plane: Gateway API routing semantics', () => {
  const { store } = routingTable('gateway', rows, { seed: 3, host: HOST });

  describe('route status written back like a gateway controller', () => {
    const conditions = (name = 'calc', parent = 0) => {
      const r = store.get(resource('HTTPRoute'), NS, name);
      const c: Array<{ type: string; status: string; reason: string; observedGeneration: number }> = r?.status?.parents?.[parent]?.conditions ?? [];
      return Object.fromEntries(c.map((x) => [x.type, `${x.status} ${x.reason} g${x.observedGeneration}`]));
    };

    it('Accepted and ResolvedRefs with the route generation', async () => {
      put(store, ...standard(), route([defaultRule(to('calc-blue'))]));
      await tick();
      assert.deepEqual(conditions(), { Accepted: 'True Accepted g1', ResolvedRefs: 'True ResolvedRefs g1' });
      const r = store.get(resource('HTTPRoute'), NS, 'calc') as KubeObject;
      assert.equal(r.status.parents[0].controllerName, 'bluegreen.test/gateway-emulator');
      put(store, { ...r, metadata: { ...r.metadata, generation: 2 }, spec: { ...r.spec, rules: [defaultRule(to('calc-green'))] } });
      await tick();
      assert.deepEqual(conditions(), { Accepted: 'True Accepted g2', ResolvedRefs: 'True ResolvedRefs g2' });
    });

    it('RefNotPermitted until a ReferenceGrant appears, then ResolvedRefs=True', async () => {
      put(store, ...standard(), ...slots('calc-green-ns'), route([defaultRule(to('calc-green', 1, 'calc-green-ns'))]));
      await tick();
      assert.deepEqual(conditions(), { Accepted: 'True Accepted g1', ResolvedRefs: 'False RefNotPermitted g1' });
      put(store, referenceGrant('calc-green-ns', 'allow-calc', NS));
      await tick();
      assert.deepEqual(conditions(), { Accepted: 'True Accepted g1', ResolvedRefs: 'True ResolvedRefs g1' });
    });

    it('Accepted=False NoMatchingParent when the Gateway does not exist; NotAllowedByListeners across namespaces', async () => {
      put(store, ...slots(), route([defaultRule(to('calc-blue'))]));
      await tick();
      assert.equal(conditions().Accepted, 'False NoMatchingParent g1');
      put(store, gateway('infra', 'gw'), httpRoute(NS, 'calc', { parentRefs: [{ name: 'gw', namespace: 'infra' }], rules: [defaultRule(to('calc-blue'))] }));
      await tick();
      assert.equal(conditions().Accepted, 'False NotAllowedByListeners g1');
    });

    it('does not rewrite an unchanged status (no write loop)', async () => {
      put(store, ...standard(), route([defaultRule(to('calc-blue'))]));
      await tick();
      const rv = store.get(resource('HTTPRoute'), NS, 'calc')?.metadata.resourceVersion;
      put(store, ...release(NS, 'calc-red', '3.0.0'));
      await tick();
      await tick();
      assert.equal(store.get(resource('HTTPRoute'), NS, 'calc')?.metadata.resourceVersion, rv);
    });
  });
});
