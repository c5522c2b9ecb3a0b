// Gateway API HTTPRoute routing, with the spec's precedence: most specific hostname, then Exact path,
// longest PathPrefix, method, most header matches, most query matches; ties go to the oldest route, then
// namespace/name, then the first rule. Invalid backendRefs get their share of traffic answered 500.
import type { KubeObject } from '../store';
import { byAge, prefixMatches } from './ingress';
import { attach, hostnameCovers, parentRefs, resolveBackend, routeRules, type GatewayScope, type HTTPRouteMatch, type HTTPRouteRule } from './gatewayapi';
import { pickWeighted, type RandomSource } from './random';
import { statusDecision, type DataPlaneRequest, type RouteDecision } from './types';
import type { ClusterView } from './view';

export interface GatewayRouting extends GatewayScope {
  /** Route only through this Gateway (all of ours when unset). */
  gateway?: { namespace: string; name: string };
}

interface Candidate {
  route: KubeObject;
  rule: HTTPRouteRule;
  ruleIndex: number;
  /** Larger is more specific, compared element by element. */
  score: number[];
}

/** [exact hostname length, matching hostname length] of the best hostname match; undefined = no match. */
function hostScore(hostnames: readonly string[] | undefined, host: string): number[] | undefined {
  if (hostnames === undefined) return [0, 0];
  let best: number[] | undefined;
  for (const h of hostnames) {
    if (!hostnameCovers(h, host)) continue;
    const score = h.startsWith('*.') ? [0, h.length - 1] : [h.length, h.length];
    if (!best || compare(score, best) > 0) best = score;
  }
  return best;
}

function matchScore(m: HTTPRouteMatch, req: DataPlaneRequest): number[] | undefined {
  const type = m.path?.type ?? 'PathPrefix';
  const value = m.path?.value ?? '/';
  let pathScore: number[];
  if (type === 'Exact') {
    if (req.path !== value) return undefined;
    pathScore = [2, value.length];
  } else if (type === 'PathPrefix') {
    if (!prefixMatches(value, req.path)) return undefined;
    pathScore = [1, value.length];
  } else {
    if (!safeRegex(value)?.test(req.path)) return undefined;
    pathScore = [0, value.length]; // precedence of regex matches is implementation-specific
  }
  if (m.method && m.method !== req.method) return undefined;
  for (const h of m.headers ?? []) {
    const actual = req.headers[h.name.toLowerCase()];
    if (actual === undefined || !(h.type === 'RegularExpression' ? safeRegex(h.value)?.test(actual) : actual === h.value)) return undefined;
  }
  const query = new URLSearchParams(req.search);
  for (const q of m.queryParams ?? []) {
    const actual = query.get(q.name);
    if (actual === null || !(q.type === 'RegularExpression' ? safeRegex(q.value)?.test(actual) : actual === q.value)) return undefined;
  }
  return [...pathScore, m.method ? 1 : 0, m.headers?.length ?? 0, m.queryParams?.length ?? 0];
}

function safeRegex(source: string): RegExp | undefined {
  try {
    return new RegExp(source);
  } catch {
    return undefined;
  }
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/** The hostnames a route serves through the parents it is accepted by; null when attached nowhere. */
function servedHostnames(route: KubeObject, view: ClusterView, routing: GatewayRouting): { any: boolean; hosts: string[] } | null {
  let attached = false;
  const hosts: string[] = [];
  let any = false;
  for (const ref of parentRefs(route)) {
    const a = attach(route, ref, view, routing);
    if (!a.ours || !a.accepted.ok || !a.gateway) continue;
    if (routing.gateway && (a.gateway.metadata.namespace !== routing.gateway.namespace || a.gateway.metadata.name !== routing.gateway.name)) continue;
    attached = true;
    if (a.hostnames === undefined) any = true;
    else hosts.push(...a.hostnames);
  }
  return attached ? { any, hosts } : null;
}

export function routeGateway(req: DataPlaneRequest, view: ClusterView, routing: GatewayRouting, random: RandomSource): RouteDecision {
  const candidates: Candidate[] = [];
  for (const route of view.list('HTTPRoute')) {
    if (route.metadata.deletionTimestamp) continue;
    const served = servedHostnames(route, view, routing);
    if (!served) continue;
    const host = hostScore(served.any ? undefined : served.hosts, req.host);
    if (!host) continue;
    routeRules(route).forEach((rule, ruleIndex) => {
      const matches = rule.matches?.length ? rule.matches : [{}];
      let best: number[] | undefined;
      for (const m of matches) {
        const s = matchScore(m, req);
        if (s && (!best || compare(s, best) > 0)) best = s;
      }
      if (best) candidates.push({ route, rule, ruleIndex, score: [...host, ...best] });
    });
  }
  const [best] = candidates.sort((a, b) => compare(b.score, a.score) || byAge(a.route, b.route) || a.ruleIndex - b.ruleIndex);
  if (!best) return statusDecision(404, 'no-route', `no HTTPRoute matches ${req.host}${req.path}`);
  const { route, rule, ruleIndex } = best;
  const label = `httproute ${route.metadata.namespace}/${route.metadata.name} rule ${ruleIndex}`;
  const refs = rule.backendRefs ?? [];
  if (!refs.length) return statusDecision(500, 'no-backend', 'the matching rule has no backendRefs', label);
  const chosen = pickWeighted(refs, (r) => r.weight ?? 1, random);
  if (!chosen) return statusDecision(500, 'all-weights-zero', 'every backendRef of the matching rule has weight 0', label);
  const resolved = resolveBackend(route, chosen, view);
  if (!resolved.ok) return statusDecision(500, resolved.reason, resolved.message, label);
  return {
    kind: 'service',
    service: resolved.service,
    path: req.path,
    route: `${label} -> ${resolved.service.namespace}/${resolved.service.name}`,
    noEndpoints: { status: 503, error: 'no-healthy-upstream' },
  };
}
