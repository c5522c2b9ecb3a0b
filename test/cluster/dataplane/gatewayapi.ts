// Gateway API facts shared by routing and the status writer: whether an HTTPRoute attaches to a parent
// Gateway (listeners, allowedRoutes, hostnames), and whether each backendRef resolves (Service exists,
// cross-namespace references allowed by a ReferenceGrant in the backend's namespace).
import type { KubeObject } from '../store';
import { labelsMatch } from './backends';
import type { ServiceRef } from './types';
import type { ClusterView } from './view';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';

export interface ParentRef {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface BackendRef {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  port?: number;
  weight?: number;
}

export interface HTTPRouteMatch {
  path?: { type?: 'PathPrefix' | 'Exact' | 'RegularExpression'; value?: string };
  headers?: Array<{ type?: 'Exact' | 'RegularExpression'; name: string; value: string }>;
  queryParams?: Array<{ type?: 'Exact' | 'RegularExpression'; name: string; value: string }>;
  method?: string;
}

export interface HTTPRouteRule {
  matches?: HTTPRouteMatch[];
  backendRefs?: BackendRef[];
}

interface Listener {
  name: string;
  hostname?: string;
  port?: number;
  protocol?: string;
  allowedRoutes?: {
    namespaces?: { from?: 'Same' | 'All' | 'Selector'; selector?: { matchLabels?: Record<string, string> } };
    kinds?: Array<{ group?: string; kind: string }>;
  };
}

export interface GatewayScope {
  /** Only Gateways of this class are ours; all Gateways when unset. */
  gatewayClassName?: string;
}

export interface Verdict {
  ok: boolean;
  reason: string;
  message: string;
}

export interface Attachment {
  gateway?: KubeObject;
  /** False when the parent is another controller's Gateway: we neither route nor write its status. */
  ours: boolean;
  accepted: Verdict;
  /** Hostnames the route serves through this parent; undefined = any host. */
  hostnames?: string[];
}

export const routeRules = (route: KubeObject): HTTPRouteRule[] => route.spec?.rules ?? [];
export const parentRefs = (route: KubeObject): ParentRef[] => route.spec?.parentRefs ?? [];

const ok = (reason: string, message: string): Verdict => ({ ok: true, reason, message });
const refused = (reason: string, message: string): Verdict => ({ ok: false, reason, message });

/** `*.example.com` covers any name ending in `.example.com` (one or more labels), and narrower wildcards. */
export function hostnameCovers(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === host;
  return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
}

function intersect(listenerHost: string | undefined, routeHosts: readonly string[]): string[] | undefined {
  if (!listenerHost) return routeHosts.length ? [...routeHosts] : undefined;
  if (!routeHosts.length) return [listenerHost];
  const out: string[] = [];
  for (const h of routeHosts) {
    if (hostnameCovers(listenerHost, h) || h === listenerHost) out.push(h);
    else if (hostnameCovers(h, listenerHost)) out.push(listenerHost);
  }
  return out;
}

function namespaceAllowed(listener: Listener, gateway: KubeObject, routeNamespace: string, view: ClusterView): boolean {
  const from = listener.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Same') return routeNamespace === gateway.metadata.namespace;
  const ns = view.get('Namespace', undefined, routeNamespace);
  return labelsMatch(listener.allowedRoutes?.namespaces?.selector?.matchLabels, ns?.metadata.labels);
}

function kindAllowed(listener: Listener): boolean {
  const protocol = listener.protocol ?? 'HTTP';
  if (protocol !== 'HTTP' && protocol !== 'HTTPS') return false;
  const kinds = listener.allowedRoutes?.kinds;
  return !kinds?.length || kinds.some((k) => k.kind === 'HTTPRoute' && (k.group ?? GATEWAY_GROUP) === GATEWAY_GROUP);
}

export function attach(route: KubeObject, ref: ParentRef, view: ClusterView, scope: GatewayScope): Attachment {
  const routeNamespace = route.metadata.namespace as string;
  if ((ref.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (ref.kind ?? 'Gateway') !== 'Gateway') {
    return { ours: false, accepted: refused('NoMatchingParent', `parent kind ${ref.kind} is not a Gateway`) };
  }
  const gateway = view.get('Gateway', ref.namespace ?? routeNamespace, ref.name);
  if (!gateway) return { ours: true, accepted: refused('NoMatchingParent', `Gateway ${ref.namespace ?? routeNamespace}/${ref.name} does not exist`) };
  const ours = scope.gatewayClassName === undefined || gateway.spec?.gatewayClassName === scope.gatewayClassName;
  const declared: Listener[] = gateway.spec?.listeners ?? [];
  const listeners = declared
    .filter((l) => !ref.sectionName || l.name === ref.sectionName)
    .filter((l) => ref.port === undefined || l.port === ref.port);
  if (!listeners.length) return { gateway, ours, accepted: refused('NoMatchingParent', `Gateway ${gateway.metadata.name} has no listener ${ref.sectionName ?? ''}`.trim()) };
  const allowed = listeners.filter((l) => kindAllowed(l) && namespaceAllowed(l, gateway, routeNamespace, view));
  if (!allowed.length) return { gateway, ours, accepted: refused('NotAllowedByListeners', `no listener of Gateway ${gateway.metadata.name} allows HTTPRoutes from namespace ${routeNamespace}`) };
  const routeHosts: string[] = (route.spec?.hostnames ?? []).map((h: string) => h.toLowerCase());
  let hostnames: string[] | undefined = [];
  for (const l of allowed) {
    const hosts = intersect(l.hostname?.toLowerCase(), routeHosts);
    if (hosts === undefined) hostnames = undefined;
    else if (hostnames) hostnames.push(...hosts);
  }
  if (hostnames && !hostnames.length) return { gateway, ours, accepted: refused('NoMatchingListenerHostname', 'no listener hostname intersects the route hostnames') };
  return { gateway, ours, accepted: ok('Accepted', 'Route is accepted'), hostnames };
}

export type Resolution = { ok: true; service: ServiceRef } | { ok: false; reason: string; message: string };

function granted(view: ClusterView, routeNamespace: string, target: ServiceRef): boolean {
  return view.list('ReferenceGrant', target.namespace).some((grant) => {
    const from: Array<{ group?: string; kind?: string; namespace?: string }> = grant.spec?.from ?? [];
    const to: Array<{ group?: string; kind?: string; name?: string }> = grant.spec?.to ?? [];
    return (
      from.some((f) => f.group === GATEWAY_GROUP && f.kind === 'HTTPRoute' && f.namespace === routeNamespace) &&
      to.some((t) => (t.group ?? '') === '' && t.kind === 'Service' && (!t.name || t.name === target.name))
    );
  });
}

export function resolveBackend(route: KubeObject, ref: BackendRef, view: ClusterView): Resolution {
  const routeNamespace = route.metadata.namespace as string;
  if (!['', 'core'].includes(ref.group ?? '') || (ref.kind ?? 'Service') !== 'Service') {
    return { ok: false, reason: 'InvalidKind', message: `backendRef ${ref.name}: kind ${ref.group}/${ref.kind} is not supported` };
  }
  const service = { namespace: ref.namespace ?? routeNamespace, name: ref.name };
  if (service.namespace !== routeNamespace && !granted(view, routeNamespace, service)) {
    return { ok: false, reason: 'RefNotPermitted', message: `backendRef ${service.namespace}/${service.name} is not permitted by any ReferenceGrant` };
  }
  if (!view.get('Service', service.namespace, service.name)) {
    return { ok: false, reason: 'BackendNotFound', message: `Service ${service.namespace}/${service.name} not found` };
  }
  return { ok: true, service };
}

/** ResolvedRefs for the whole route: the first backendRef that does not resolve decides. */
export function resolvedRefs(route: KubeObject, view: ClusterView): Verdict {
  for (const rule of routeRules(route)) {
    for (const ref of rule.backendRefs ?? []) {
      const r = resolveBackend(route, ref, view);
      if (!r.ok) return refused(r.reason, r.message);
    }
  }
  return ok('ResolvedRefs', 'All references resolved');
}
