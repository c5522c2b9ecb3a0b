// Traffic Manager resources as the fake ARM keeps them, their ARM wire shapes (api-version 2022-04-01,
// properties under `properties`), and the service's validation rules for endpoints and profiles.
import { armError, type AzureResponse } from './server';

export type EndpointType = 'AzureEndpoints' | 'ExternalEndpoints' | 'NestedEndpoints';
export const ENDPOINT_TYPES: readonly EndpointType[] = ['AzureEndpoints', 'ExternalEndpoints', 'NestedEndpoints'];
export const ROUTING_METHODS = ['Weighted', 'Performance', 'Priority', 'Geographic', 'MultiValue', 'Subnet'] as const;
/** What the health monitor can say about an enabled endpoint; tests set it. */
export type EndpointHealth = 'CheckingEndpoint' | 'Online' | 'Degraded';

export interface TmEndpoint {
  name: string;
  type: EndpointType;
  endpointStatus: 'Enabled' | 'Disabled';
  weight: number;
  priority?: number;
  /** ExternalEndpoints: as given. AzureEndpoints: the Public IP's FQDN (resolved at read time). */
  target?: string;
  targetResourceId?: string;
  minChildEndpoints?: number;
  health: EndpointHealth;
  /** Other properties as sent (customHeaders, endpointLocation, geoMapping...), echoed back. */
  extra: Record<string, unknown>;
}

export interface TmProfile {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  tags?: Record<string, string>;
  profileStatus: 'Enabled' | 'Disabled';
  trafficRoutingMethod: string;
  dnsConfig: { relativeName: string; ttl: number };
  monitorConfig: Record<string, unknown>;
  endpoints: TmEndpoint[];
  extra: Record<string, unknown>;
}

export interface PublicIp {
  id: string;
  fqdn?: string;
  ip?: string;
}

export const TM_DOMAIN = 'trafficmanager.net';
export const profileFqdn = (p: TmProfile) => `${p.dnsConfig.relativeName}.${TM_DOMAIN}`.toLowerCase();
export const profileId = (p: Pick<TmProfile, 'subscriptionId' | 'resourceGroup' | 'name'>) =>
  `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroup}/providers/Microsoft.Network/trafficManagerProfiles/${p.name}`;
/** ARM spells the type segment in ids and `type` with a lower-case first letter: `azureEndpoints`. */
export const typeSegment = (t: EndpointType) => t.charAt(0).toLowerCase() + t.slice(1);
export const endpointId = (p: TmProfile, e: TmEndpoint) => `${profileId(p)}/${typeSegment(e.type)}/${e.name}`;

export function endpointTypeOf(segment: string): EndpointType | undefined {
  const found = ENDPOINT_TYPES.find((t) => t.toLowerCase() === segment.toLowerCase());
  if (found) return found;
  const last = segment.split('/').pop() ?? '';
  return ENDPOINT_TYPES.find((t) => t.toLowerCase() === last.toLowerCase());
}

export const badRequest = (message: string) => armError(400, 'BadRequest', message);

type Props = Record<string, unknown>;
const isObject = (v: unknown): v is Props => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const oneOf = <T extends string>(v: unknown, allowed: readonly T[]) => allowed.find((a) => typeof v === 'string' && a.toLowerCase() === v.toLowerCase());

/** What endpoint validation needs to know about the rest of ARM. */
export interface ArmLookup {
  publicIp(id: string): PublicIp | undefined;
  profileById(id: string): TmProfile | undefined;
  /** Monitor status of a new endpoint (the real service starts at CheckingEndpoint, then Online). */
  initialHealth: EndpointHealth;
}

const KNOWN_ENDPOINT_PROPS = ['targetResourceId', 'target', 'endpointStatus', 'weight', 'priority', 'minChildEndpoints', 'endpointMonitorStatus'];

/**
 * Validates an endpoint PUT (or a PATCH merged onto the existing endpoint) the way the service does and
 * returns the endpoint to store, or the ARM error to answer.
 */
export function validateEndpoint(profile: TmProfile, type: EndpointType, name: string, body: unknown, lookup: ArmLookup, existing?: TmEndpoint): TmEndpoint | AzureResponse {
  if (!isObject(body)) return badRequest('The request body must be a JSON object with endpoint properties.');
  if (body.type !== undefined && endpointTypeOf(String(body.type)) !== type) {
    return badRequest(`The endpoint type '${String(body.type)}' in the request body does not match the endpoint type '${type}' in the request URL.`);
  }
  const props = body.properties === undefined ? {} : body.properties;
  if (!isObject(props)) return badRequest('properties must be an object.');
  const clash = profile.endpoints.find((e) => e.name.toLowerCase() === name.toLowerCase() && e.type !== type);
  if (clash) return badRequest(`An endpoint named '${name}' of type '${clash.type}' already exists in profile '${profile.name}'.`);

  const endpointStatus = props.endpointStatus === undefined ? existing?.endpointStatus ?? 'Enabled' : oneOf(props.endpointStatus, ['Enabled', 'Disabled'] as const);
  if (!endpointStatus) return badRequest(`The value '${String(props.endpointStatus)}' of endpointStatus is invalid. Allowed values: Enabled, Disabled.`);
  const weight = props.weight === undefined ? existing?.weight ?? 1 : props.weight;
  if (!isInt(weight) || weight < 1 || weight > 1000) return badRequest(`The endpoint weight '${String(props.weight)}' is invalid. Weights must be integers between 1 and 1000.`);
  let priority = props.priority === undefined ? existing?.priority : props.priority;
  if (priority !== undefined && (!isInt(priority) || priority < 1 || priority > 1000)) {
    return badRequest(`The endpoint priority '${String(priority)}' is invalid. Priorities must be integers between 1 and 1000.`);
  }
  const others = profile.endpoints.filter((e) => e.name.toLowerCase() !== name.toLowerCase());
  if (profile.trafficRoutingMethod === 'Priority') {
    priority ??= Math.max(0, ...others.map((e) => e.priority ?? 0)) + 1;
    if (others.some((e) => e.priority === priority)) return badRequest(`Another endpoint of profile '${profile.name}' already has priority ${String(priority)}.`);
  }
  const headers = props.customHeaders ?? existing?.extra.customHeaders;
  if (Array.isArray(headers) && headers.length > 8) return badRequest('An endpoint can have at most 8 custom headers.');

  const merged = { ...(existing ? { targetResourceId: existing.targetResourceId, target: existing.target } : {}), ...props };
  const targetResourceId = typeof merged.targetResourceId === 'string' && merged.targetResourceId ? merged.targetResourceId : undefined;
  let target = typeof merged.target === 'string' && merged.target ? merged.target : undefined;
  if (type === 'AzureEndpoints') {
    if (!targetResourceId) return badRequest('targetResourceId is required for endpoints of type AzureEndpoints.');
    const ip = lookup.publicIp(targetResourceId);
    if (!ip) return badRequest(`The target resource '${targetResourceId}' was not found or is not a supported Azure endpoint resource.`);
    if (!ip.fqdn) return badRequest(`The public IP address '${targetResourceId}' has no DNS name; Traffic Manager requires one for Azure endpoints.`);
    target = ip.fqdn;
  } else if (type === 'ExternalEndpoints') {
    if (targetResourceId) return badRequest('targetResourceId is not allowed for endpoints of type ExternalEndpoints; use target.');
    if (!target) return badRequest('target is required for endpoints of type ExternalEndpoints.');
  } else {
    const child = targetResourceId ? lookup.profileById(targetResourceId) : undefined;
    if (!child) return badRequest(`targetResourceId must name an existing Traffic Manager profile for endpoints of type NestedEndpoints.`);
    if (child === profile) return badRequest('A profile cannot be nested in itself.');
    target = profileFqdn(child);
  }
  const location = props.endpointLocation ?? existing?.extra.endpointLocation;
  if (profile.trafficRoutingMethod === 'Performance' && type !== 'AzureEndpoints' && !location) {
    return badRequest('endpointLocation is required for external and nested endpoints of a profile with Performance routing.');
  }
  const extra: Props = { ...(existing?.extra ?? {}) };
  for (const [k, v] of Object.entries(props)) if (!KNOWN_ENDPOINT_PROPS.includes(k)) extra[k] = v;
  const minChild = props.minChildEndpoints ?? existing?.minChildEndpoints;
  return {
    name: existing?.name ?? name,
    type,
    endpointStatus,
    weight,
    priority: priority as number | undefined,
    target,
    targetResourceId,
    minChildEndpoints: type === 'NestedEndpoints' ? (isInt(minChild) ? minChild : 1) : undefined,
    health: existing?.health ?? lookup.initialHealth,
    extra,
  };
}

const KNOWN_PROFILE_PROPS = ['profileStatus', 'trafficRoutingMethod', 'dnsConfig', 'monitorConfig', 'endpoints'];
const DEFAULT_MONITOR = { protocol: 'HTTP', port: 80, path: '/', intervalInSeconds: 30, timeoutInSeconds: 10, toleratedNumberOfFailures: 3 };

/** Validates a profile PUT (or a PATCH merged onto the profile); endpoints are handled by the caller. */
export function validateProfile(ids: Pick<TmProfile, 'subscriptionId' | 'resourceGroup' | 'name'>, body: unknown, existing: TmProfile | undefined, fqdnTaken: (fqdn: string) => boolean): TmProfile | AzureResponse {
  if (!isObject(body)) return badRequest('The request body must be a JSON object with profile properties.');
  if (!existing && body.location === undefined) return armError(400, 'LocationRequired', 'The location property is required for this definition.');
  if (body.location !== undefined && String(body.location).toLowerCase() !== 'global') {
    return armError(400, 'LocationNotAvailableForResourceType', `The provided location '${String(body.location)}' is not available for resource type 'Microsoft.Network/trafficManagerProfiles'. List of available regions for the resource type is 'global'.`);
  }
  const props = body.properties ?? {};
  if (!isObject(props)) return badRequest('properties must be an object.');
  const method = props.trafficRoutingMethod === undefined ? existing?.trafficRoutingMethod : oneOf(props.trafficRoutingMethod, ROUTING_METHODS);
  if (!method) return badRequest(`The traffic routing method '${String(props.trafficRoutingMethod)}' is invalid. Allowed values: ${ROUTING_METHODS.join(', ')}.`);
  const status = props.profileStatus === undefined ? existing?.profileStatus ?? 'Enabled' : oneOf(props.profileStatus, ['Enabled', 'Disabled'] as const);
  if (!status) return badRequest(`The value '${String(props.profileStatus)}' of profileStatus is invalid.`);
  const dns = isObject(props.dnsConfig) ? props.dnsConfig : {};
  const relativeName = typeof dns.relativeName === 'string' && dns.relativeName ? dns.relativeName.toLowerCase() : existing?.dnsConfig.relativeName;
  if (!relativeName) return badRequest('dnsConfig.relativeName is required.');
  if (existing && relativeName !== existing.dnsConfig.relativeName) return badRequest('dnsConfig.relativeName cannot be changed after the profile is created.');
  if (!existing && fqdnTaken(`${relativeName}.${TM_DOMAIN}`)) return armError(409, 'Conflict', `The DNS name '${relativeName}.${TM_DOMAIN}' is already in use.`);
  const ttl = dns.ttl ?? existing?.dnsConfig.ttl ?? 60;
  if (!isInt(ttl) || ttl < 0 || ttl > 2147483647) return badRequest(`The DNS TTL '${String(dns.ttl)}' is invalid.`);
  const extra: Props = { ...(existing?.extra ?? {}) };
  for (const [k, v] of Object.entries(props)) if (!KNOWN_PROFILE_PROPS.includes(k)) extra[k] = v;
  const { profileMonitorStatus: _ignored, ...monitor } = isObject(props.monitorConfig) ? props.monitorConfig : {};
  return {
    ...ids,
    name: existing?.name ?? ids.name,
    tags: isObject(body.tags) ? (body.tags as Record<string, string>) : existing?.tags,
    profileStatus: status,
    trafficRoutingMethod: method,
    dnsConfig: { relativeName, ttl },
    monitorConfig: { ...DEFAULT_MONITOR, ...(existing?.monitorConfig ?? {}), ...monitor },
    endpoints: existing?.endpoints ?? [],
    extra,
  };
}

export function monitorStatusOf(profile: TmProfile, e: TmEndpoint): string {
  if (profile.profileStatus === 'Disabled') return 'Inactive';
  return e.endpointStatus === 'Disabled' ? 'Disabled' : e.health;
}

function profileMonitorStatus(profile: TmProfile): string {
  if (profile.profileStatus === 'Disabled') return 'Disabled';
  const enabled = profile.endpoints.filter((e) => e.endpointStatus === 'Enabled');
  if (!enabled.length) return 'Inactive';
  if (enabled.some((e) => e.health === 'Online')) return 'Online';
  return enabled.every((e) => e.health === 'Degraded') ? 'Degraded' : 'CheckingEndpoints';
}

export function endpointToArm(profile: TmProfile, e: TmEndpoint, targetOf: (e: TmEndpoint) => string | undefined): Props {
  const properties: Props = {
    ...(e.targetResourceId ? { targetResourceId: e.targetResourceId } : {}),
    target: targetOf(e),
    endpointStatus: e.endpointStatus,
    weight: e.weight,
    ...(e.priority !== undefined ? { priority: e.priority } : {}),
    ...(e.minChildEndpoints !== undefined ? { minChildEndpoints: e.minChildEndpoints } : {}),
    endpointMonitorStatus: monitorStatusOf(profile, e),
    ...e.extra,
  };
  return { id: endpointId(profile, e), name: e.name, type: `Microsoft.Network/trafficManagerProfiles/${typeSegment(e.type)}`, properties };
}

export function profileToArm(p: TmProfile, targetOf: (e: TmEndpoint) => string | undefined): Props {
  return {
    id: profileId(p),
    name: p.name,
    type: 'Microsoft.Network/trafficManagerProfiles',
    location: 'global',
    tags: p.tags ?? {},
    properties: {
      profileStatus: p.profileStatus,
      trafficRoutingMethod: p.trafficRoutingMethod,
      dnsConfig: { relativeName: p.dnsConfig.relativeName, fqdn: profileFqdn(p), ttl: p.dnsConfig.ttl },
      monitorConfig: { ...p.monitorConfig, profileMonitorStatus: profileMonitorStatus(p) },
      endpoints: p.endpoints.map((e) => endpointToArm(p, e, targetOf)),
      trafficViewEnrollmentStatus: 'Disabled',
      ...p.extra,
    },
  };
}
