// ingress-nginx routing (see docs/routing-semantics.md). The model follows the controller's own
// structure: primary Ingresses build servers (one per host) and locations; a canary Ingress is merged
// into the *upstream* of the primary location with the same host, path and pathType (controller.go
// mergeAlternativeBackends); at request time the Lua balancer (balancer.lua route_to_alternative_balancer)
// decides between the upstream and its first alternative by header, then cookie, then weight.
import type { KubeObject } from '../store';
import { hasReadyPods } from './backends';
import { belongsToClass, byAge, findServerHost, ingressHosts, ingressName, ingressPaths, prefixMatches, type PathType } from './ingress';
import type { RandomSource } from './random';
import { statusDecision, type DataPlaneRequest, type MetricLocation, type RouteDecision, type ServiceRef } from './types';
import type { ClusterView } from './view';

export const NGINX_PREFIX = 'nginx.ingress.kubernetes.io/';

export interface CanaryPolicy {
  ingress: string;
  header?: string;
  headerValue?: string;
  headerPattern?: string;
  cookie?: string;
  weight: number;
  weightTotal: number;
}

interface Upstream {
  name: string;
  service: ServiceRef;
  /** Canary upstreams merged into this one; the Lua balancer only ever looks at the first. */
  alternatives: string[];
  policy?: CanaryPolicy;
}

interface Location {
  path: string;
  pathType: PathType;
  upstream: string;
  ingress: string;
}

export interface NginxConfig {
  servers: Map<string, Location[]>;
  upstreams: Map<string, Upstream>;
}

/** Go's strconv.ParseBool, which the annotation parser uses. */
const parseBool = (v: string | undefined) => ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v ?? '');
/** strconv.Atoi: anything but a plain integer is an error, and the annotation falls back to 0. */
const parseIntOr = (v: string | undefined, fallback: number) => (v !== undefined && /^[+-]?\d+$/.test(v.trim()) ? Number(v.trim()) : fallback);

export function isCanary(ingress: KubeObject): boolean {
  return parseBool(ingress.metadata.annotations?.[`${NGINX_PREFIX}canary`]);
}

function canaryPolicy(ingress: KubeObject): CanaryPolicy {
  const a = (name: string) => ingress.metadata.annotations?.[`${NGINX_PREFIX}${name}`];
  return {
    ingress: ingressName(ingress),
    header: a('canary-by-header') || undefined,
    headerValue: a('canary-by-header-value') || undefined,
    headerPattern: a('canary-by-header-pattern') || undefined,
    cookie: a('canary-by-cookie') || undefined,
    weight: parseIntOr(a('canary-weight'), 0),
    weightTotal: parseIntOr(a('canary-weight-total'), 100),
  };
}

const upstreamName = (s: ServiceRef & { port: string }) => `${s.namespace}-${s.name}-${s.port}`;

export function buildNginxConfig(view: ClusterView, className: string): NginxConfig {
  const ingresses = view
    .list('Ingress')
    .filter((ing) => !ing.metadata.deletionTimestamp && belongsToClass(view, ing, className, className))
    .sort(byAge);
  const servers = new Map<string, Location[]>();
  const upstreams = new Map<string, Upstream>();
  const upstreamFor = (s: ServiceRef & { port: string }) => {
    const name = upstreamName(s);
    if (!upstreams.has(name)) upstreams.set(name, { name, service: { namespace: s.namespace, name: s.name }, alternatives: [] });
    return upstreams.get(name) as Upstream;
  };

  for (const ing of ingresses.filter((i) => !isCanary(i))) {
    for (const host of ingressHosts(ing)) if (!servers.has(host)) servers.set(host, []);
    for (const p of ingressPaths(ing)) {
      if (!p.service) continue;
      const locations = servers.get(p.host) as Location[];
      // Without the admission webhook a second primary for the same host+path is accepted by the API,
      // and the controller keeps the location of the Ingress it processed first: the oldest.
      if (locations.some((l) => l.path === p.path && l.pathType === p.pathType)) continue;
      locations.push({ path: p.path, pathType: p.pathType, upstream: upstreamFor(p.service).name, ingress: ingressName(ing) });
    }
  }

  // createServers sorts each server's locations by path, descending; the canary merge walks them in that order.
  for (const locations of servers.values()) locations.sort((a, b) => (a.path < b.path ? 1 : a.path > b.path ? -1 : 0));
  for (const ing of ingresses.filter(isCanary)) {
    for (const p of ingressPaths(ing)) {
      const locations = servers.get(p.host);
      // A canary whose host has no server (no primary) is dropped: "cannot merge alternative backend".
      if (!locations || !p.service) continue;
      const alt = upstreamFor(p.service);
      alt.policy = canaryPolicy(ing);
      for (const loc of locations) {
        // A Service that is some location's primary backend cannot be a canary backend in that server.
        if (loc.upstream === alt.name) break;
        if (loc.path !== p.path || loc.pathType !== p.pathType) continue;
        const primary = upstreams.get(loc.upstream) as Upstream;
        if (!primary.alternatives.includes(alt.name)) primary.alternatives.push(alt.name);
      }
    }
  }
  return { servers, upstreams };
}

/**
 * nginx location choice: `location = /p` (Exact, and the exact half of Prefix) wins outright; otherwise
 * the longest prefix, where Prefix `/p` is rendered `location /p/` and ImplementationSpecific `/p` is a
 * plain string prefix (so it also matches `/pX`).
 */
function matchLocation(locations: readonly Location[], path: string): Location | undefined {
  const exact = locations.find((l) => (l.pathType === 'Exact' ? path === l.path : l.pathType === 'Prefix' && path === normalise(l.path)));
  if (exact) return exact;
  let best: Location | undefined;
  let bestLength = -1;
  for (const l of locations) {
    if (l.pathType === 'Exact') continue;
    const matched = l.pathType === 'Prefix' ? prefixMatches(l.path, path) : path.startsWith(l.path);
    const length = l.pathType === 'Prefix' ? normalise(l.path).length + 1 : l.path.length;
    if (matched && length > bestLength) [best, bestLength] = [l, length];
  }
  return best;
}

const normalise = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);

/** balancer.lua: header (value, pattern, always/never), then cookie (always/never), then weight. */
export function routesToCanary(policy: CanaryPolicy, req: DataPlaneRequest, random: RandomSource): boolean {
  const header = policy.header ? req.headers[policy.header.toLowerCase()] : undefined;
  if (header !== undefined) {
    if (policy.headerValue) {
      if (header === policy.headerValue) return true;
    } else if (policy.headerPattern) {
      let pattern: RegExp;
      try {
        pattern = new RegExp(policy.headerPattern);
      } catch {
        return false; // the Lua code logs the regex error and routes to the primary
      }
      if (pattern.test(header)) return true;
    } else if (header === 'always') {
      return true;
    } else if (header === 'never') {
      return false;
    }
  }
  const cookie = policy.cookie ? req.cookies[policy.cookie] : undefined;
  if (cookie === 'always') return true;
  if (cookie === 'never') return false;
  const total = policy.weightTotal > 100 ? policy.weightTotal : 100;
  return random.int1(total) <= policy.weight;
}

export function routeNginx(req: DataPlaneRequest, view: ClusterView, config: NginxConfig, random: RandomSource): RouteDecision {
  const host = findServerHost(config.servers.keys(), req.host);
  if (host === undefined) return statusDecision(404, 'default-backend', `no server for host ${req.host}: default backend`);
  const location = matchLocation(config.servers.get(host) as Location[], req.path);
  if (!location) return statusDecision(404, 'default-backend', `no location for ${req.host}${req.path}: default backend`);
  const primary = config.upstreams.get(location.upstream) as Upstream;
  const route = `ingress ${location.ingress}`;
  // The monitor's labels: the location's Ingress and Service (the primary's, whoever serves), the canary upstream if it served.
  const [namespace = '', ingress = ''] = location.ingress.split('/'); // location.ingress is namespace/name
  const metrics: MetricLocation = { host: req.host, path: location.path, namespace, ingress, service: primary.service.name, canary: '' };
  // Without endpoints the upstream has no Lua balancer, so the request never reaches the canary check.
  if (!hasReadyPods(view, primary.service)) {
    return { ...statusDecision(503, 'no-endpoints', `service ${primary.service.namespace}/${primary.service.name} has no ready endpoints`, route), metrics };
  }
  const [alternative] = primary.alternatives;
  const canary = alternative === undefined ? undefined : config.upstreams.get(alternative);
  // A canary upstream without endpoints has no balancer either: balancer.lua falls back to the primary.
  if (canary?.policy && hasReadyPods(view, canary.service) && routesToCanary(canary.policy, req, random)) {
    return { kind: 'service', service: canary.service, path: req.path, route: `ingress ${canary.policy.ingress} (canary)`, noEndpoints: { status: 503, error: 'no-endpoints' }, metrics: { ...metrics, canary: canary.name } };
  }
  return { kind: 'service', service: primary.service, path: req.path, route, noEndpoints: { status: 503, error: 'no-endpoints' }, metrics };
}
