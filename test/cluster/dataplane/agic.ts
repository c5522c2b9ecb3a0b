// Application Gateway Ingress Controller routing. AGIC turns Ingresses into App Gateway listeners (one
// per host) and URL path maps; App Gateway itself routes by host and path only. Path rules follow App
// Gateway's syntax: `/x` is exact, `/x/*` or `/x*` a prefix (a trailing `*` only), case-insensitive.
import type { KubeObject } from '../store';
import { hasReadyPods } from './backends';
import { belongsToClass, byAge, findServerHost, ingressHosts, ingressName, ingressPaths, type IngressPath } from './ingress';
import { statusDecision, type DataPlaneRequest, type RouteDecision, type ServiceRef } from './types';
import type { ClusterView } from './view';

export const AGIC_CLASS = 'azure-application-gateway';
/** The pre-IngressClass string: only valid as the legacy kubernetes.io/ingress.class annotation value. */
export const AGIC_LEGACY_CLASS = 'azure/application-gateway';
export const BACKEND_PATH_PREFIX = 'appgw.ingress.kubernetes.io/backend-path-prefix';

interface PathRule {
  /** App Gateway path: `/x` exact or `/x*`, `/x/*` wildcard. */
  appGatewayPath: string;
  service?: ServiceRef;
  ingress: string;
  backendPathPrefix?: string;
}

export type AgicConfig = Map<string, PathRule[]>;

/** AGIC's translation of an Ingress path to an App Gateway path rule. */
export function appGatewayPath(p: Pick<IngressPath, 'path' | 'pathType'>): string {
  if (p.pathType === 'Exact' || p.path.endsWith('*')) return p.path;
  if (p.pathType === 'Prefix') return `${p.path}*`;
  return p.path;
}

export function buildAgicConfig(view: ClusterView, className: string): AgicConfig {
  const ingresses = view
    .list('Ingress')
    .filter((ing) => !ing.metadata.deletionTimestamp && belongsToClass(view, ing, className, AGIC_LEGACY_CLASS))
    .sort(byAge);
  const listeners: AgicConfig = new Map();
  for (const ing of ingresses) {
    for (const host of ingressHosts(ing)) if (!listeners.has(host)) listeners.set(host, []);
    for (const p of ingressPaths(ing)) {
      const rules = listeners.get(p.host) as PathRule[];
      const path = appGatewayPath(p);
      // Our assumption (AGIC does not document it): when two Ingresses claim the same host+path, the
      // oldest one (creationTimestamp, then namespace/name) keeps it.
      if (rules.some((r) => r.appGatewayPath.toLowerCase() === path.toLowerCase())) continue;
      rules.push({ appGatewayPath: path, service: p.service, ingress: ingressName(ing), backendPathPrefix: backendPathPrefix(ing) });
    }
  }
  return listeners;
}

const backendPathPrefix = (ing: KubeObject) => ing.metadata.annotations?.[BACKEND_PATH_PREFIX];

/** Exact rules first, then the longest wildcard prefix; App Gateway compares paths case-insensitively. */
function matchRule(rules: readonly PathRule[], path: string): { rule: PathRule; matched: string } | undefined {
  const lower = path.toLowerCase();
  const exact = rules.find((r) => !r.appGatewayPath.endsWith('*') && r.appGatewayPath.toLowerCase() === lower);
  if (exact) return { rule: exact, matched: path };
  let best: { rule: PathRule; matched: string } | undefined;
  for (const r of rules) {
    if (!r.appGatewayPath.endsWith('*')) continue;
    const prefix = r.appGatewayPath.slice(0, -1);
    if (lower.startsWith(prefix.toLowerCase()) && (!best || prefix.length > best.matched.length)) {
      best = { rule: r, matched: path.slice(0, prefix.length) };
    }
  }
  return best;
}

/**
 * backend-path-prefix replaces the part of the path the rule matched (`/canary/` of `/canary/*`, `/canary`
 * of `/canary*`). We join with exactly one slash, so `/canary/ping` reaches the pod as `/ping` for both.
 */
export function rewritePath(path: string, matched: string, prefix: string | undefined): string {
  if (prefix === undefined) return path;
  const rest = path.slice(matched.length);
  if (rest === '') return prefix;
  return `${prefix.replace(/\/+$/, '')}/${rest.replace(/^\/+/, '')}`;
}

export function routeAgic(req: DataPlaneRequest, view: ClusterView, config: AgicConfig): RouteDecision {
  const host = findServerHost(config.keys(), req.host);
  if (host === undefined) return statusDecision(404, 'no-listener', `no listener for host ${req.host}`);
  const match = matchRule(config.get(host) as PathRule[], req.path);
  // The URL path map's default is AGIC's empty "defaultaddresspool": App Gateway answers 502.
  if (!match) return statusDecision(502, 'default-pool', `no path rule for ${req.host}${req.path}: empty default backend pool`);
  const { rule, matched } = match;
  const route = `ingress ${rule.ingress} (${rule.appGatewayPath})`;
  if (!rule.service || !hasReadyPods(view, rule.service)) {
    return statusDecision(502, 'empty-backend-pool', `backend pool for ${rule.service ? `${rule.service.namespace}/${rule.service.name}` : 'a missing service'} is empty`, route);
  }
  return { kind: 'service', service: rule.service, path: rewritePath(req.path, matched, rule.backendPathPrefix), route, noEndpoints: { status: 502, error: 'empty-backend-pool' } };
}
