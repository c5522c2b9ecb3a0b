// Routing inputs: which router, who owns the routing objects, and each router's own settings. The rules
// here are the controllers' rules (see docs/routing-semantics.md), checked before anything is deployed;
// what a router can and cannot do is declared once, in routers/capabilities.ts.
import { type App, ROUTER_KINDS, type RouterKind, homeNamespace } from '../core/model';
import type { ConnectionInputs, GatewayInputs, RoutingInputs, TrafficManagerInputs, ValueKeys } from './types';
import { DEFAULT_INGRESS_CLASS, INPUT_DEFAULTS, OWNERSHIPS, Reader, TRAFFIC_MANAGER_ENDPOINT_TYPES } from './source';
import * as v from './rules';
import { capabilitiesOf, ownershipProblem } from '../routers/capabilities';

export function readRouting(r: Reader, app: App, connection: ConnectionInputs, valueKeys: ValueKeys): RoutingInputs {
  const router = r.choice('router', ROUTER_KINDS, INPUT_DEFAULTS.router);
  const ownership = r.choice('routingOwnership', OWNERSHIPS, INPUT_DEFAULTS.routingOwnership);
  // What each router can do is data (routers/capabilities.ts), read here and again by createRouter.
  const problem = ownershipProblem(router, ownership, app.layout);
  if (problem) throw new v.InputError(problem);
  const host = readHost(r, router);
  return {
    router,
    ownership,
    host,
    path: readPath(r),
    ingressClass: readIngressClass(r, router),
    stagingHeader: header(r, 'stagingHeader', INPUT_DEFAULTS.stagingHeader),
    stagingHeaderValue: headerValue(r, 'stagingHeaderValue', INPUT_DEFAULTS.stagingHeaderValue),
    stagingCookie: optionalToken(r, 'stagingCookie'),
    podSelectorLabel: labelKey(r, 'podSelectorLabel', INPUT_DEFAULTS.podSelectorLabel),
    servicePort: r.text('servicePort') === undefined ? undefined : r.integer('servicePort', 1, 65535),
    tlsSecret: optionalName(r, 'tlsSecret', 'a Secret name (DNS-1123 subdomain)'),
    valueKeys,
    gateway: router === 'gateway' ? readGateway(r, app, host) : undefined,
    trafficManager: router === 'trafficmanager' ? readTrafficManager(r, connection) : undefined,
    settleSeconds: r.text('settleSeconds') === undefined ? undefined : r.integer('settleSeconds', 0, 3600),
  };
}

function readHost(r: Reader, router: RouterKind): string | undefined {
  const host = r.text('host');
  if (host === undefined) {
    if (capabilitiesOf(router).hostRequired) {
      throw new v.InputError(`Input 'host' (the public host name of the app) is required with router '${router}'.`);
    }
    return undefined;
  }
  if (!v.isHostname(host.toLowerCase()) || host.includes('://')) {
    throw new v.InputError(`Input 'host' is '${host}', which is not a DNS host name such as calc.contoso.com.`);
  }
  return host.toLowerCase();
}

function readPath(r: Reader): string {
  const value = r.text('path') ?? INPUT_DEFAULTS.path;
  if (!/^\/[^\s?#]*$/.test(value)) {
    throw new v.InputError(`Input 'path' is '${value}'; a path prefix starts with '/' and has no spaces, '?' or '#'.`);
  }
  return value;
}

function readIngressClass(r: Reader, router: RouterKind): string {
  const fallback = DEFAULT_INGRESS_CLASS[router];
  if (fallback === undefined) return '';
  const value = r.text('ingressClass') ?? fallback;
  if (!v.isDnsSubdomain(value)) {
    throw new v.InputError(`Input 'ingressClass' is '${value}', which is not an IngressClass name (DNS-1123 subdomain, e.g. ${fallback}).`);
  }
  return value;
}

function header(r: Reader, name: string, fallback: string): string {
  const value = r.text(name) ?? fallback;
  if (!v.isToken(value)) throw new v.InputError(`Input '${name}' is '${value}', which is not a valid HTTP header name.`);
  return value;
}

function headerValue(r: Reader, name: string, fallback: string): string {
  const value = r.text(name) ?? fallback;
  if (!v.isHeaderValue(value)) {
    throw new v.InputError(`Input '${name}' has characters an HTTP header value cannot carry; use visible ASCII characters.`);
  }
  return value;
}

function optionalToken(r: Reader, name: string): string | undefined {
  const value = r.text(name);
  if (value !== undefined && !v.isToken(value)) {
    throw new v.InputError(`Input '${name}' is '${value}', which is not a valid cookie name.`);
  }
  return value;
}

function labelKey(r: Reader, name: string, fallback: string): string {
  const value = r.text(name) ?? fallback;
  if (!v.isLabelKey(value)) {
    throw new v.InputError(`Input '${name}' is '${value}', which is not a Kubernetes label key such as app.kubernetes.io/instance.`);
  }
  return value;
}

function optionalName(r: Reader, name: string, what: string): string | undefined {
  const value = r.text(name);
  if (value !== undefined && !v.isDnsSubdomain(value)) throw new v.InputError(`Input '${name}' is '${value}', which is not ${what}.`);
  return value;
}

function readGateway(r: Reader, app: App, host: string | undefined): GatewayInputs {
  const name = r.required('gatewayName', 'the Gateway the HTTPRoute attaches to', " with router 'gateway'");
  if (!v.isDnsSubdomain(name)) throw new v.InputError(`Input 'gatewayName' is '${name}', which is not a Gateway name (DNS-1123 subdomain).`);
  const namespace = r.text('gatewayNamespace') ?? homeNamespace(app);
  if (!v.isDnsLabel(namespace)) throw new v.InputError(`Input 'gatewayNamespace' is '${namespace}', which is not a namespace name (DNS-1123 label).`);
  const sectionName = optionalName(r, 'gatewaySection', 'a Gateway listener name (DNS-1123 subdomain)');
  const listed = (r.text('hostnames') ?? '').split(/[\s,]+/).filter((h) => h !== '');
  for (const hostname of listed) {
    if (!v.isHostname(hostname.toLowerCase(), true)) {
      throw new v.InputError(`Input 'hostnames' holds '${hostname}', which is not a host name such as calc.contoso.com or *.contoso.com.`);
    }
  }
  const hostnames = listed.length > 0 ? listed.map((h) => h.toLowerCase()) : host ? [host] : [];
  if (hostnames.length === 0) {
    throw new v.InputError("Router 'gateway' needs the host names of the HTTPRoute: set input 'hostnames' or 'host'.");
  }
  return { name, namespace, sectionName, hostnames };
}

/** Default of trafficManagerTtlMargin: resolvers and clients often keep an answer a little past its TTL. */
export const TRAFFIC_MANAGER_TTL_MARGIN = '10';

function readTrafficManager(r: Reader, connection: ConnectionInputs): TrafficManagerInputs {
  const endpoint =
    r.text('trafficManagerConnection') ?? (connection.type === 'Azure Resource Manager' ? connection.endpoint : undefined);
  if (endpoint === undefined) {
    throw new v.InputError(
      "Input 'trafficManagerConnection' (an Azure Resource Manager connection that can change the Traffic Manager profile) is required with router 'trafficmanager' when the cluster connection is not Azure Resource Manager.",
    );
  }
  const when = " with router 'trafficmanager'";
  const resourceGroup = r.required('trafficManagerResourceGroup', "the Traffic Manager profile's resource group", when);
  if (!v.isResourceGroupName(resourceGroup)) {
    throw new v.InputError(`Input 'trafficManagerResourceGroup' is '${resourceGroup}', which is not a valid Azure resource group name.`);
  }
  const profile = r.required('trafficManagerProfile', 'Traffic Manager profile name', when);
  if (!/^[A-Za-z0-9][-A-Za-z0-9.]{0,62}$/.test(profile)) {
    throw new v.InputError(`Input 'trafficManagerProfile' is '${profile}', which is not a Traffic Manager profile name.`);
  }
  const endpointType = r.choice('trafficManagerEndpointType', TRAFFIC_MANAGER_ENDPOINT_TYPES, INPUT_DEFAULTS.trafficManagerEndpointType);
  const address = (name: string): string | undefined => {
    const value = r.text(name);
    if (value === undefined) return undefined;
    const ok = endpointType === 'AzureEndpoints' ? v.isDns1035Label(value) && value.length >= 3 : v.isHostname(value.toLowerCase()) || v.isIP(value);
    if (!ok) {
      const expected = endpointType === 'AzureEndpoints' ? 'a Public IP DNS label such as calc-blue' : 'a DNS name or IP address';
      throw new v.InputError(`Input '${name}' is '${value}', which is not ${expected} (endpoint type ${endpointType}).`);
    }
    return value;
  };
  const publicIp = (name: string): string | undefined => {
    if (endpointType !== 'AzureEndpoints') return undefined;
    const value = r.text(name);
    if (value !== undefined && !v.isPublicIpResourceId(value)) {
      throw new v.InputError(`Input '${name}' is not a Public IP resource id (/subscriptions/…/providers/Microsoft.Network/publicIPAddresses/<name>).`);
    }
    return value;
  };
  const result: TrafficManagerInputs = {
    endpoint,
    resourceGroup,
    profile,
    endpointType,
    blueAddress: address('blueAddress'),
    greenAddress: address('greenAddress'),
    bluePublicIp: publicIp('bluePublicIp'),
    greenPublicIp: publicIp('greenPublicIp'),
    ...(r.text('trafficManagerTtlMargin') === undefined ? {} : { ttlMarginSeconds: r.integer('trafficManagerTtlMargin', 0, 3600) }),
  };
  if (result.blueAddress !== undefined && result.blueAddress === result.greenAddress) {
    throw new v.InputError("Inputs 'blueAddress' and 'greenAddress' are the same; each slot needs its own address so Traffic Manager can tell them apart.");
  }
  return result;
}
