// Traffic Manager as users meet it: the client resolves `<profile>.trafficmanager.net` (through its own
// TTL cache), then connects to the address it got, which is a slot's LoadBalancer Service. A request whose
// Host is a slot's own LB hostname or IP skips DNS: that is how checks reach the staging slot directly.
import type { KubeObject } from '../store';
import { TrafficManagerDns } from '../azure/dns';
import type { FakeTrafficManager } from '../azure/trafficmanager';
import { statusDecision, type DataPlaneRequest, type RouteDecision } from './types';
import type { ClusterView } from './view';

export const DNS_LABEL_ANNOTATION = 'service.beta.kubernetes.io/azure-dns-label-name';
const CLOUDAPP = /^([^.]+)\.[^.]+\.cloudapp\.azure\.com$/;

export interface TrafficManagerRouting {
  trafficManager: FakeTrafficManager;
  dns: TrafficManagerDns;
  /** The header that identifies a client (its DNS cache); default x-client-id. */
  clientIdHeader: string;
}

/**
 * The LoadBalancer Service an address reaches: by status.loadBalancer.ingress ip/hostname, by the Azure
 * DNS-label annotation (`<label>.<region>.cloudapp.azure.com`), or through the Public IP registry (a
 * Public IP's FQDN and its address reach the same Service).
 */
export function loadBalancerFor(view: ClusterView, address: string, tm?: FakeTrafficManager): KubeObject | undefined {
  const a = address.toLowerCase();
  const ip = tm?.publicIpByAddress(a);
  const names = new Set([a, ip?.fqdn, ip?.ip].filter((x): x is string => !!x));
  const label = [...names].map((n) => CLOUDAPP.exec(n)?.[1]).find((l) => l);
  return view.list('Service').find((svc) => {
    if (svc.spec?.type !== 'LoadBalancer' || svc.metadata.deletionTimestamp) return false;
    const ingress: Array<{ ip?: string; hostname?: string }> = svc.status?.loadBalancer?.ingress ?? [];
    if (ingress.some((i) => (i.ip && names.has(i.ip)) || (i.hostname && names.has(i.hostname.toLowerCase())))) return true;
    return !!label && svc.metadata.annotations?.[DNS_LABEL_ANNOTATION]?.toLowerCase() === label && ingress.length > 0;
  });
}

export function routeTrafficManager(req: DataPlaneRequest, view: ClusterView, routing: TrafficManagerRouting): RouteDecision {
  let address = req.host;
  let via = `address ${req.host}`;
  if (TrafficManagerDns.isTrafficManagerName(req.host)) {
    const clientId = req.headers[routing.clientIdHeader] ?? 'default';
    const answer = routing.dns.resolve(req.host, clientId);
    if (answer.kind === 'NXDOMAIN') return statusDecision(502, 'NXDOMAIN', `NXDOMAIN: ${answer.reason}`, `dns ${req.host}`);
    address = answer.target;
    via = `dns ${req.host} -> ${answer.endpoint} ${answer.target}${answer.cached ? ' (cached)' : ''}`;
  }
  const lb = loadBalancerFor(view, address, routing.trafficManager);
  // Nothing listens on that address any more (the slot's Service is gone): the client's connect fails.
  if (!lb) return statusDecision(502, 'ECONNREFUSED', `connection refused: no LoadBalancer Service at ${address}`, via);
  return {
    kind: 'service',
    service: { namespace: lb.metadata.namespace as string, name: lb.metadata.name as string },
    path: req.path,
    route: `${via} -> service ${lb.metadata.namespace}/${lb.metadata.name}`,
    // An Azure load balancer with no healthy backend drops the connection attempt: the client times out.
    noEndpoints: { status: 502, error: 'ETIMEDOUT' },
  };
}
