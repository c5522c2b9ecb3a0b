// The HTTPRoute the Gateway API router owns, as pure functions: the route a blue/green state maps to,
// the state a live route says, and what the route's status conditions mean. No I/O here.
//
// Shape (always two rules, so every write is a complete, atomic description of who serves):
//   rule 0  path prefix + staging header  -> the staging slot's Service (production's when nothing is staged)
//   rule 1  path prefix                   -> production (weight 100 - p) [+ staging (weight p)]
// A slot is referenced only while it is routed: a backendRef to a Service that does not resolve turns
// ResolvedRefs False and its share of requests into 500s, even at weight 0 on some implementations.
import type { GatewayInputs } from '../../inputs/types';
import type { KubeObject } from '../../kubernetes/client';
import type { BackendRef, Condition, HTTPRoute, HTTPRouteSpec, ParentRef, ReferenceGrant, RouteParentStatus, Rule } from './models';
import { type App, type Routing, type Slot, SLOTS, homeNamespace, locate } from '../../core/model';
import { ownedMetadata } from '../objects';

export type { Condition, HTTPRoute, ParentRef } from './models';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const GATEWAY_API = `${GATEWAY_GROUP}/v1`;
export const HTTPROUTE_API = `${GATEWAY_GROUP}/v1`;
export const REFERENCEGRANT_API = `${GATEWAY_GROUP}/v1beta1`;

/** Who the route sends where: the router's whole state. */
export interface RoutePlan {
  production: Slot;
  staging?: Slot;
  /** Share of real users on staging, 0-100 (0 without staging). */
  percent: number;
}

/** What the route matches on, from the inputs. */
export interface RouteMatch {
  path: string;
  header: string;
  headerValue: string;
}

/** The route lives with the app's other task-owned objects: `<namespace>` (shared) or `blue-<namespace>` (perSlot). */
export const routeName = (app: App) => app.name;
export const routeNamespace = (app: App) => homeNamespace(app);
/** Stable per-slot Service, never a chart's name: `calc-slot-blue` cannot collide with release `calc-blue`'s Service. */
export const slotServiceName = (app: App, slot: Slot) => `${app.name}-slot-${slot}`;
export const grantName = (app: App) => `${app.name}-httproute`;

export function parentRefOf(gateway: GatewayInputs): ParentRef {
  return { group: GATEWAY_GROUP, kind: 'Gateway', namespace: gateway.namespace, name: gateway.name, ...(gateway.sectionName ? { sectionName: gateway.sectionName } : {}) };
}

export const describeParent = (ref: ParentRef, routeNs?: string) =>
  `Gateway ${ref.namespace ?? routeNs}/${ref.name}${ref.sectionName ? ` (listener ${ref.sectionName})` : ''}`;

/** Same parent once the API's defaults are applied (controllers echo parentRefs with or without them). */
export function sameParent(a: ParentRef, b: ParentRef, routeNs: string): boolean {
  const norm = (r: ParentRef) => [r.group ?? GATEWAY_GROUP, r.kind ?? 'Gateway', r.namespace ?? routeNs, r.name, r.sectionName ?? '', r.port ?? ''].join('|');
  return norm(a) === norm(b);
}

/** Percent of users on staging -> backendRef weights (integers, summing to 100). */
export function weightsFor(percent: number): { production: number; staging: number } {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new Error(`A traffic percentage is a whole number from 0 to 100, not ${percent}.`);
  return { production: 100 - percent, staging: percent };
}

/** backendRef weights -> percent on staging (rounded); 0 when nothing has weight. */
export function percentOf(stagingWeight: number, productionWeight: number): number {
  const total = stagingWeight + productionWeight;
  return total > 0 ? Math.round((100 * stagingWeight) / total) : 0;
}

function backendRef(app: App, slot: Slot, port: number, weight?: number): BackendRef {
  return { group: '', kind: 'Service', namespace: locate(app, slot).namespace, name: slotServiceName(app, slot), port, ...(weight !== undefined ? { weight } : {}) };
}

/** The HTTPRoute for a plan; `ports` holds the port of each referenced slot's Service. */
export function desiredRoute(app: App, gateway: GatewayInputs, match: RouteMatch, plan: RoutePlan, ports: Partial<Record<Slot, number>>): KubeObject<HTTPRoute> & { spec: Required<HTTPRouteSpec> } {
  const port = (slot: Slot) => {
    const p = ports[slot];
    if (p === undefined) throw new Error(`internal: no port for slot ${slot}`);
    return p;
  };
  const path = { type: 'PathPrefix', value: match.path };
  const weights = weightsFor(plan.staging ? plan.percent : 0);
  const tester = plan.staging ?? plan.production;
  const users = [backendRef(app, plan.production, port(plan.production), weights.production)];
  if (plan.staging) users.push(backendRef(app, plan.staging, port(plan.staging), weights.staging));
  return {
    apiVersion: HTTPROUTE_API,
    kind: 'HTTPRoute',
    metadata: ownedMetadata(app, routeNamespace(app), routeName(app)),
    spec: {
      parentRefs: [parentRefOf(gateway)],
      hostnames: gateway.hostnames,
      rules: [
        { matches: [{ path, headers: [{ type: 'Exact', name: match.header, value: match.headerValue }] }], backendRefs: [backendRef(app, tester, port(tester), 1)] },
        { matches: [{ path }], backendRefs: users },
      ],
    },
  };
}

/** The ReferenceGrant that lets the route (in the home namespace) reach a slot's Service in another namespace. */
export function referenceGrant(app: App, slot: Slot): KubeObject<ReferenceGrant> {
  const namespace = locate(app, slot).namespace;
  return {
    apiVersion: REFERENCEGRANT_API,
    kind: 'ReferenceGrant',
    metadata: ownedMetadata(app, namespace, grantName(app)),
    spec: {
      from: [{ group: GATEWAY_GROUP, kind: 'HTTPRoute', namespace: routeNamespace(app) }],
      to: [{ group: '', kind: 'Service', name: slotServiceName(app, slot) }],
    },
  };
}

const rulesOf = (route: KubeObject<HTTPRoute> | undefined): Rule[] => route?.spec?.rules ?? [];
const isHeaderRule = (rule: Rule) => (rule.matches ?? []).some((m) => (m.headers ?? []).length > 0);

function slotOf(app: App, ref: BackendRef | undefined): Slot | undefined {
  if (!ref || !['', 'core'].includes(ref.group ?? '') || (ref.kind ?? 'Service') !== 'Service') return undefined;
  const namespace = ref.namespace ?? routeNamespace(app);
  return SLOTS.find((s) => ref.name === slotServiceName(app, s) && namespace === locate(app, s).namespace);
}

/** Every slot the route sends anything to (testers included). */
export function referencedSlots(app: App, route: KubeObject<HTTPRoute> | undefined): Slot[] {
  const slots = rulesOf(route).flatMap((r) => (r.backendRefs ?? []).map((b) => slotOf(app, b)));
  return SLOTS.filter((s) => slots.includes(s));
}

/**
 * Who serves, as the route says. Production is the default rule's backend that the header rule does not
 * point at (so a 50 % or even 100 % canary still has a production to fall back to); without that clue,
 * the backend with the highest weight (a tie: none). Staging is the header rule's target when it is not
 * production; its percent is its share of the default rule's weights.
 */
export function routingOf(app: App, route: KubeObject<HTTPRoute> | undefined): Routing {
  const rules = rulesOf(route);
  const header = rules.find(isHeaderRule);
  const defaults = rules.find((r) => !isHeaderRule(r));
  const tester = slotOf(app, header?.backendRefs?.[0]);
  const users = (defaults?.backendRefs ?? []).flatMap((b) => {
    const slot = slotOf(app, b);
    return slot ? [{ slot, weight: b.weight ?? 1 }] : [];
  });
  let production: Slot | undefined;
  if (users.length === 1) production = users[0]?.slot;
  else if (users.length > 1) {
    const others = users.filter((u) => u.slot !== tester);
    if (others.length === 1) production = others[0]?.slot;
    else {
      const [heaviest, next] = [...users].sort((a, b) => b.weight - a.weight);
      production = heaviest && next && heaviest.weight > next.weight ? heaviest.slot : undefined;
    }
  }
  const staging = tester !== undefined && tester !== production ? tester : undefined;
  const weightOf = (slot: Slot | undefined) => users.filter((u) => u.slot === slot).reduce((sum, u) => sum + u.weight, 0);
  return { production, staging, stagingPercent: staging ? percentOf(weightOf(staging), weightOf(production)) : 0 };
}

export type RouteVerdict =
  | { state: 'accepted' }
  | { state: 'pending'; why: string }
  | { state: 'refused'; condition: 'Accepted' | 'ResolvedRefs'; reason: string; message: string };

const parentsOf = (route: KubeObject<HTTPRoute>): RouteParentStatus[] => route.status?.parents ?? [];

/** A condition speaks for the route's current spec only when it observed the current generation. */
function current(condition: Condition | undefined, generation: number): condition is Condition {
  return !!condition && (condition.observedGeneration === undefined || condition.observedGeneration >= generation);
}

/** What the Gateway's controller says about the route's current generation through `parent`. */
export function routeVerdict(route: KubeObject<HTTPRoute>, parent: ParentRef): RouteVerdict {
  const routeNs = route.metadata.namespace ?? '';
  const generation = route.metadata.generation ?? 0;
  const entries = parentsOf(route).filter((p) => sameParent(p.parentRef, parent, routeNs));
  if (!entries.length) return { state: 'pending', why: `no controller has reported on ${describeParent(parent, routeNs)} yet` };
  for (const entry of entries) {
    const accepted = entry.conditions?.find((c) => c.type === 'Accepted');
    const resolved = entry.conditions?.find((c) => c.type === 'ResolvedRefs');
    for (const [name, c] of [['Accepted', accepted], ['ResolvedRefs', resolved]] as const) {
      if (current(c, generation) && c.status === 'False') return { state: 'refused', condition: name, reason: c.reason ?? 'Unknown', message: c.message ?? '' };
    }
    if (current(accepted, generation) && accepted.status === 'True' && current(resolved, generation) && resolved.status === 'True') return { state: 'accepted' };
  }
  return { state: 'pending', why: `the status of generation ${generation} is not reported yet` };
}

/** Parents whose controller accepts the route's current generation (the Gateways production flows through). */
export function acceptingParents(route: KubeObject<HTTPRoute>): ParentRef[] {
  const generation = route.metadata.generation ?? 0;
  return parentsOf(route)
    .filter((p) => p.conditions?.some((c) => c.type === 'Accepted' && c.status === 'True' && current(c, generation)))
    .map((p) => p.parentRef);
}

/**
 * Why writing the route for these inputs must not happen, read before anything changes (undefined: go on).
 * A route that serves production is never moved to another Gateway or off a host name by a lifecycle
 * task: that would move production in one step, with no check and no way back. A route its Gateway
 * refuses is refused again unless the inputs change what the Gateway judges (parent or host names).
 */
export function preflightProblem(route: KubeObject<HTTPRoute> | undefined, gateway: GatewayInputs): string | undefined {
  if (!route) return undefined;
  const routeNs = route.metadata.namespace ?? '';
  const name = `HTTPRoute ${routeNs}/${route.metadata.name}`;
  const wanted = parentRefOf(gateway);
  const serving = acceptingParents(route);
  if (serving.length && !serving.some((p) => sameParent(p, wanted, routeNs))) {
    return (
      `${name} serves the app through ${serving.map((p) => describeParent(p, routeNs)).join(', ')}, but this run names ${describeParent(wanted, routeNs)}; ` +
      'moving the route to another Gateway would move production at once. Nothing was changed. Check the gateway inputs; to move on purpose, see "Moving to another Gateway" in docs/gateway.md.'
    );
  }
  const liveHosts = route.spec?.hostnames ?? [];
  const dropped = liveHosts.filter((h) => !gateway.hostnames.includes(h.toLowerCase()));
  if (serving.length && dropped.length) {
    return `${name} serves host name(s) ${dropped.join(', ')}, which this run's hostnames (${gateway.hostnames.join(', ')}) leave out; production would stop answering there. Nothing was changed. Add them to the hostnames input, or remove them from the route by hand first.`;
  }
  const liveParents = route.spec?.parentRefs ?? [];
  const [onlyParent] = liveParents;
  const sameJudgement = liveParents.length === 1 && onlyParent !== undefined && sameParent(onlyParent, wanted, routeNs) && !dropped.length && gateway.hostnames.every((h) => liveHosts.includes(h));
  const verdict = routeVerdict(route, wanted);
  if (sameJudgement && verdict.state === 'refused' && verdict.condition === 'Accepted') {
    return `${describeParent(wanted, routeNs)} refuses ${name}: Accepted is False (${verdict.reason}: ${verdict.message}). ${advice(verdict.reason)} Nothing was changed.`;
  }
  return undefined;
}

/** What a user does about a refusal, by the Gateway API's condition reasons. */
export function advice(reason: string): string {
  switch (reason) {
    case 'NotAllowedByListeners':
      return "Let the Gateway's listener accept HTTPRoutes from the app's namespace (spec.listeners[].allowedRoutes.namespaces: from All, or a Selector matching it), or attach to another listener.";
    case 'NoMatchingParent':
      return 'Check the inputs gatewayName, gatewayNamespace and gatewaySection: the Gateway or its listener does not exist.';
    case 'NoMatchingListenerHostname':
      return "The route's host names must match a listener's hostname: check the hostnames (or host) input against the Gateway.";
    case 'RefNotPermitted':
      return "A ReferenceGrant in the slot's namespace must allow the route to reach its Service; the task creates it when it routes a slot: something removed it or refused it.";
    case 'BackendNotFound':
      return "A slot's Service is missing; the task creates it when it routes a slot: something removed it.";
    case 'NotAllowedByParent':
    case 'UnsupportedValue':
      return 'The Gateway implementation does not support part of the route; see its documentation.';
    default:
      return 'Fix the Gateway or the inputs and run the task again.';
  }
}
