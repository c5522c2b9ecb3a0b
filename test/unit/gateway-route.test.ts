// The HTTPRoute a blue/green state maps to, the state a live route says, and what its status means
// (shared/routers/gateway/route.ts).
import * as assert from 'node:assert/strict';
import type { GatewayInputs } from '../../shared/inputs/read';
import type { KubeObject } from '../../shared/kubernetes/client';
import type { HTTPRoute, ParentRef } from '../../shared/routers/gateway/models';
import type { App, Routing } from '../../shared/core/model';
import {
  type RoutePlan,
  acceptingParents,
  desiredRoute,
  parentRefOf,
  percentOf,
  preflightProblem,
  referenceGrant,
  referencedSlots,
  routeVerdict,
  routingOf,
  sameParent,
  weightsFor,
} from '../../shared/routers/gateway/route';

const shared: App = { name: 'calc', namespace: 'calc', layout: 'shared' };
const perSlot: App = { name: 'calc', namespace: 'calc', layout: 'perSlot' };
const gw: GatewayInputs = { name: 'public', namespace: 'infra', sectionName: 'http', hostnames: ['calc.contoso.com'] };
const match = { path: '/', header: 'canary', headerValue: 'always' };
const ports = { blue: 80, green: 8080 };

const route = (app: App, plan: RoutePlan, gateway = gw) => desiredRoute(app, gateway, match, plan, ports);

/** The route as the API server returns it: generation and the controller's status. */
function live(object: KubeObject<HTTPRoute>, generation: number, parents: Array<{ ref?: ParentRef; accepted?: [string, string, number?]; resolved?: [string, string, number?] }>): KubeObject<HTTPRoute> {
  const cond = (type: string, c: [string, string, number?] | undefined) =>
    c ? [{ type, status: c[0], reason: c[1], message: `${type} says ${c[1]}`, observedGeneration: c[2] ?? generation }] : [];
  return {
    ...object,
    metadata: { ...object.metadata, generation },
    status: { parents: parents.map((p) => ({ parentRef: p.ref ?? parentRefOf(gw), controllerName: 'x', conditions: [...cond('Accepted', p.accepted), ...cond('ResolvedRefs', p.resolved)] })) },
  };
}
const ok = { accepted: ['True', 'Accepted'] as [string, string], resolved: ['True', 'ResolvedRefs'] as [string, string] };

describe('Gateway API router: the HTTPRoute', () => {
  describe('percent -> weights', () => {
    for (const [percent, production, staging] of [[0, 100, 0], [1, 99, 1], [30, 70, 30], [50, 50, 50], [100, 0, 100]] as const) {
      it(`${percent} % -> production ${production}, staging ${staging}, and back`, () => {
        assert.deepEqual(weightsFor(percent), { production, staging });
        assert.equal(percentOf(staging, production), percent);
      });
    }
    it('refuses what is not a whole percentage', () => {
      for (const bad of [-1, 101, 2.5, NaN]) assert.throws(() => weightsFor(bad), /whole number from 0 to 100/);
    });
    it('reads foreign weights as a share (1:3 -> 25 %), nothing weighted -> 0 %', () => {
      assert.equal(percentOf(1, 3), 25);
      assert.equal(percentOf(0, 0), 0);
    });
  });

  describe('the route a state maps to', () => {
    it('production only: the header rule reaches production too, the default rule carries production alone', () => {
      const spec = route(shared, { production: 'blue', percent: 0 }).spec;
      assert.deepEqual(spec.parentRefs, [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name: 'public', sectionName: 'http' }]);
      assert.deepEqual(spec.hostnames, ['calc.contoso.com']);
      assert.deepEqual(spec.rules[0]?.matches, [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'canary', value: 'always' }] }]);
      assert.deepEqual(spec.rules[0]?.backendRefs, [{ group: '', kind: 'Service', namespace: 'calc', name: 'calc-slot-blue', port: 80, weight: 1 }]);
      assert.deepEqual(spec.rules[1]?.matches, [{ path: { type: 'PathPrefix', value: '/' } }]);
      assert.deepEqual(spec.rules[1]?.backendRefs, [{ group: '', kind: 'Service', namespace: 'calc', name: 'calc-slot-blue', port: 80, weight: 100 }]);
    });
    it('staged at 30 %: testers to staging, users split 70/30 across both slots', () => {
      const spec = route(shared, { production: 'blue', staging: 'green', percent: 30 }).spec;
      assert.deepEqual(spec.rules[0]?.backendRefs?.map((b) => b.name), ['calc-slot-green']);
      assert.deepEqual(spec.rules[1]?.backendRefs?.map((b) => [b.name, b.weight, b.port]), [['calc-slot-blue', 70, 80], ['calc-slot-green', 30, 8080]]);
    });
    it('per-slot namespaces: each backendRef names its slot namespace; the route lives in the home namespace', () => {
      const r = route(perSlot, { production: 'blue', staging: 'green', percent: 0 });
      assert.equal(r.metadata.namespace, 'blue-calc');
      assert.deepEqual(r.spec.rules[1]?.backendRefs?.map((b) => b.namespace), ['blue-calc', 'green-calc']);
    });
    it('a percentage without a staged slot is ignored (weights stay 100)', () => {
      assert.equal(route(shared, { production: 'green', percent: 40 }).spec.rules[1]?.backendRefs?.[0]?.weight, 100);
    });
    it('the ReferenceGrant allows exactly the route namespace to reach exactly the slot Service', () => {
      const g = referenceGrant(perSlot, 'green');
      assert.equal(g.metadata.namespace, 'green-calc');
      assert.deepEqual(g.spec, {
        from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'blue-calc' }],
        to: [{ group: '', kind: 'Service', name: 'calc-slot-green' }],
      });
    });
  });

  describe('the state a route says (observe)', () => {
    const rows: Array<{ plan: RoutePlan; want: Routing }> = [
      { plan: { production: 'blue', percent: 0 }, want: { production: 'blue', staging: undefined, stagingPercent: 0 } },
      { plan: { production: 'blue', staging: 'green', percent: 0 }, want: { production: 'blue', staging: 'green', stagingPercent: 0 } },
      { plan: { production: 'green', staging: 'blue', percent: 30 }, want: { production: 'green', staging: 'blue', stagingPercent: 30 } },
      { plan: { production: 'blue', staging: 'green', percent: 50 }, want: { production: 'blue', staging: 'green', stagingPercent: 50 } },
      { plan: { production: 'blue', staging: 'green', percent: 100 }, want: { production: 'blue', staging: 'green', stagingPercent: 100 } },
    ];
    for (const app of [shared, perSlot]) {
      for (const { plan, want } of rows) {
        it(`${app.layout}: production ${plan.production}, staging ${plan.staging ?? '-'} at ${plan.percent} % reads back the same`, () => {
          assert.deepEqual(routingOf(app, route(app, plan)), want);
        });
      }
    }
    it('no route: nothing serves', () => assert.deepEqual(routingOf(shared, undefined), { production: undefined, staging: undefined, stagingPercent: 0 }));
    it('without a header rule: the heavier backend is production; a tie names none', () => {
      const r = route(shared, { production: 'blue', staging: 'green', percent: 30 });
      const noHeader = (weights: [number, number]) => ({ ...r, spec: { ...r.spec, rules: [{ ...r.spec.rules[1], backendRefs: (r.spec.rules[1]?.backendRefs ?? []).map((b, i) => ({ ...b, weight: weights[i] })) }] } });
      assert.equal(routingOf(shared, noHeader([70, 30])).production, 'blue');
      assert.equal(routingOf(shared, noHeader([20, 80])).production, 'green');
      assert.equal(routingOf(shared, noHeader([50, 50])).production, undefined);
    });
    it('backendRefs that are not our slot Services are ignored', () => {
      const r = route(shared, { production: 'blue', percent: 0 });
      const defaults = r.spec.rules[1];
      assert.ok(defaults?.backendRefs);
      defaults.backendRefs.push({ name: 'calc-blue', port: 80, weight: 100 }, { name: 'calc-slot-green', namespace: 'elsewhere', weight: 100 });
      assert.equal(routingOf(shared, r).production, 'blue');
      assert.deepEqual(referencedSlots(shared, r), ['blue']);
    });
    it('referencedSlots names every slot the route sends to, testers included', () => {
      assert.deepEqual(referencedSlots(shared, route(shared, { production: 'green', percent: 0 })), ['green']);
      assert.deepEqual(referencedSlots(shared, route(shared, { production: 'green', staging: 'blue', percent: 0 })), ['blue', 'green']);
    });
  });

  describe('route status', () => {
    const base = route(shared, { production: 'blue', percent: 0 });
    const parent = parentRefOf(gw);
    it('Accepted and ResolvedRefs True for the current generation -> accepted', () => {
      assert.deepEqual(routeVerdict(live(base, 3, [ok]), parent), { state: 'accepted' });
    });
    it('conditions of an older generation say nothing yet', () => {
      const v = routeVerdict(live(base, 3, [{ accepted: ['True', 'Accepted', 2], resolved: ['True', 'ResolvedRefs', 2] }]), parent);
      assert.equal(v.state, 'pending');
    });
    it('no entry for our parent -> pending; an entry for another parent does not count', () => {
      assert.equal(routeVerdict(live(base, 1, []), parent).state, 'pending');
      assert.equal(routeVerdict(live(base, 1, [{ ...ok, ref: { name: 'other', namespace: 'infra' } }]), parent).state, 'pending');
    });
    it('Accepted False -> refused with its reason; ResolvedRefs False too', () => {
      assert.deepEqual(routeVerdict(live(base, 2, [{ accepted: ['False', 'NotAllowedByListeners'], resolved: ['True', 'ResolvedRefs'] }]), parent), {
        state: 'refused',
        condition: 'Accepted',
        reason: 'NotAllowedByListeners',
        message: 'Accepted says NotAllowedByListeners',
      });
      const v = routeVerdict(live(base, 2, [{ accepted: ['True', 'Accepted'], resolved: ['False', 'RefNotPermitted'] }]), parent);
      assert.equal(v.state === 'refused' && v.reason, 'RefNotPermitted');
    });
    it('a refusal of an older generation is history, not a verdict', () => {
      assert.equal(routeVerdict(live(base, 4, [{ accepted: ['False', 'NotAllowedByListeners', 3], resolved: ['True', 'ResolvedRefs', 3] }]), parent).state, 'pending');
    });
    it('parentRefs compare with the API defaults applied', () => {
      assert.ok(sameParent({ name: 'public', namespace: 'infra', sectionName: 'http' }, parent, 'calc'));
      assert.ok(sameParent({ name: 'gw' }, { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'calc', name: 'gw' }, 'calc'));
      assert.ok(!sameParent({ name: 'public', namespace: 'infra' }, parent, 'calc'), 'another listener is another parent');
      assert.deepEqual(acceptingParents(live(base, 1, [ok, { ref: { name: 'old', namespace: 'infra' }, accepted: ['False', 'NoMatchingParent'] }])), [parent]);
    });
  });

  describe('preflight: what a lifecycle task refuses before changing anything', () => {
    const serving = live(route(shared, { production: 'blue', percent: 0 }), 1, [ok]);
    it('no route yet, or a serving route with the same Gateway and hosts: go on', () => {
      assert.equal(preflightProblem(undefined, gw), undefined);
      assert.equal(preflightProblem(serving, gw), undefined);
      assert.equal(preflightProblem(serving, { ...gw, hostnames: ['calc.contoso.com', 'www.calc.contoso.com'] }), undefined, 'adding a host name is fine');
    });
    it('another Gateway (or listener) than the one production flows through: refused, naming both', () => {
      assert.match(preflightProblem(serving, { ...gw, name: 'pubilc' }) ?? '', /serves the app through Gateway infra\/public \(listener http\), but this run names Gateway infra\/pubilc.*Nothing was changed/);
      assert.match(preflightProblem(serving, { ...gw, sectionName: undefined }) ?? '', /this run names Gateway infra\/public;/);
    });
    it('dropping a host name production answers on: refused', () => {
      assert.match(preflightProblem(serving, { ...gw, hostnames: ['calc.fabrikam.com'] }) ?? '', /serves host name\(s\) calc.contoso.com.*leave out/);
    });
    it('a route its Gateway refuses: refused with the reason, unless the inputs change what the Gateway judges', () => {
      const refused = live(route(shared, { production: 'blue', percent: 0 }), 2, [{ accepted: ['False', 'NotAllowedByListeners'], resolved: ['True', 'ResolvedRefs'] }]);
      assert.match(preflightProblem(refused, gw) ?? '', /Gateway infra\/public \(listener http\) refuses HTTPRoute calc\/calc: Accepted is False \(NotAllowedByListeners: .*allowedRoutes/);
      assert.equal(preflightProblem(refused, { ...gw, name: 'internal' }), undefined, 'nothing is served, so another Gateway may be tried');
      assert.equal(preflightProblem(refused, { ...gw, hostnames: ['calc.fabrikam.com'] }), undefined);
    });
    it('unresolved backends are not a reason to refuse here: the router restores the Services and grants it owns', () => {
      const unresolved = live(route(shared, { production: 'blue', percent: 0 }), 2, [{ accepted: ['True', 'Accepted'], resolved: ['False', 'RefNotPermitted'] }]);
      assert.equal(preflightProblem(unresolved, gw), undefined);
    });
  });
});
