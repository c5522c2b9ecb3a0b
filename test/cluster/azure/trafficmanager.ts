// The fake ARM for Azure Traffic Manager (api-version 2022-04-01): profiles and endpoints with the
// service's validation, a small registry of Public IPs (what AzureEndpoints point at), a write log, and
// fault hooks that make each ARM write a failure or crash point. Plug `handler` into startFakeAzure().
// The DNS model (dns.ts) reads the same state, so a write here changes what clients resolve.
import { armError, type AzureHandler, type AzureRequest, type AzureResponse } from './server';
import { TrafficManagerFaults, type TmWriteInfo } from './trafficmanager-faults';
import {
  endpointToArm,
  endpointTypeOf,
  profileFqdn,
  profileId,
  profileToArm,
  validateEndpoint,
  validateProfile,
  type ArmLookup,
  type EndpointHealth,
  type EndpointType,
  type PublicIp,
  type TmEndpoint,
  type TmProfile,
} from './trafficmanager-model';

export * from './trafficmanager-model';
export * from './trafficmanager-faults';

export const TRAFFIC_MANAGER_API_VERSION = '2022-04-01';

export interface FakeTrafficManagerOptions {
  /** Monitor status of new endpoints (default Online; the real service starts at CheckingEndpoint). */
  initialMonitorStatus?: EndpointHealth;
  /** api-versions accepted on Traffic Manager paths (default only 2022-04-01, what SDK 6.1.x sends). */
  apiVersions?: string[];
}

export interface TmWrite extends TmWriteInfo {
  /** 1-based count of write requests (PUT, PATCH, DELETE) this fake has received. */
  seq: number;
  at: number;
  status: number;
  /** applied: state changed; rejected: the service refused it; fault: a test hook answered instead. */
  outcome: 'applied' | 'rejected' | 'fault';
  body?: unknown;
}

const PROFILES = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/trafficManagerProfiles(?:\/([^/]+)(?:\/([^/]+)\/([^/]+))?)?\/?$/i;
const SUBSCRIPTION_PROFILES = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Network\/trafficManagerProfiles\/?$/i;
const PUBLIC_IP = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/publicIPAddresses\/([^/]+)\/?$/i;
const WRITE_METHODS = ['PUT', 'PATCH', 'DELETE'];

const key = (sub: string, rg: string, name: string) => `${sub}/${rg}/${name}`.toLowerCase();
const clone = <T>(v: T): T => structuredClone(v);

export class FakeTrafficManager {
  readonly writes: TmWrite[] = [];
  /** Fault hooks, as on the API server: failWrite, delayWrite, crashAfterWrite, failRead, clear; 'crash' event. */
  readonly faults = new TrafficManagerFaults();
  readonly handler: AzureHandler = (req) => this.handle(req);
  private readonly profilesByKey = new Map<string, TmProfile>();
  private readonly publicIps = new Map<string, PublicIp>();
  private readonly apiVersions: string[];
  private readonly lookup: ArmLookup;

  constructor(options: FakeTrafficManagerOptions = {}) {
    this.apiVersions = options.apiVersions ?? [TRAFFIC_MANAGER_API_VERSION];
    this.lookup = {
      publicIp: (id) => this.publicIp(id),
      profileById: (id) => [...this.profilesByKey.values()].find((p) => profileId(p).toLowerCase() === id.toLowerCase()),
      initialHealth: options.initialMonitorStatus ?? 'Online',
    };
  }

  addPublicIp(id: string, fqdn?: string, ip?: string): void {
    this.publicIps.set(id.toLowerCase(), { id, fqdn: fqdn?.toLowerCase(), ip });
  }

  removePublicIp(id: string): void {
    this.publicIps.delete(id.toLowerCase());
  }

  publicIp(id: string): PublicIp | undefined {
    return this.publicIps.get(id.toLowerCase());
  }

  /** The Public IP whose FQDN or address this is. */
  publicIpByAddress(address: string): PublicIp | undefined {
    const a = address.toLowerCase();
    return [...this.publicIps.values()].find((p) => p.fqdn === a || p.ip === a);
  }

  profiles(): TmProfile[] {
    return [...this.profilesByKey.values()].map(clone);
  }

  profile(resourceGroup: string, name: string, subscriptionId?: string): TmProfile | undefined {
    const found = [...this.profilesByKey.values()].find(
      (p) => p.resourceGroup.toLowerCase() === resourceGroup.toLowerCase() && p.name.toLowerCase() === name.toLowerCase() && (!subscriptionId || p.subscriptionId === subscriptionId),
    );
    return found && clone(found);
  }

  profileByFqdn(fqdn: string): TmProfile | undefined {
    const found = [...this.profilesByKey.values()].find((p) => profileFqdn(p) === fqdn.toLowerCase().replace(/\.$/, ''));
    return found && clone(found);
  }

  profileById(id: string): TmProfile | undefined {
    const found = this.lookup.profileById(id);
    return found && clone(found);
  }

  /** What DNS answers for an endpoint: its target, or for AzureEndpoints the Public IP's current FQDN. */
  targetOf(e: TmEndpoint): string | undefined {
    if (e.type === 'AzureEndpoints') return e.targetResourceId ? this.publicIp(e.targetResourceId)?.fqdn : undefined;
    return e.target?.toLowerCase();
  }

  /** What the health monitor says about an endpoint (Degraded endpoints stop receiving users). */
  setMonitorStatus(resourceGroup: string, profileName: string, endpointName: string, health: EndpointHealth): void {
    const p = this.live(resourceGroup, profileName);
    const e = p?.endpoints.find((x) => x.name.toLowerCase() === endpointName.toLowerCase());
    if (!e) throw new Error(`no endpoint ${endpointName} in Traffic Manager profile ${resourceGroup}/${profileName}`);
    e.health = health;
  }

  /** Test setup without the write log or faults: a profile PUT body (ARM shape). Throws on a 4xx. */
  createProfile(subscriptionId: string, resourceGroup: string, name: string, body: unknown): TmProfile {
    return this.seed(() => this.putProfile(subscriptionId, resourceGroup, name, body)) as TmProfile;
  }

  /** Test setup: an endpoint PUT body (`{ properties: {...} }`). Throws on a 4xx. */
  createEndpoint(subscriptionId: string, resourceGroup: string, profileName: string, type: EndpointType, name: string, body: unknown): void {
    this.seed(() => this.putEndpoint(subscriptionId, resourceGroup, profileName, type, name, body));
  }

  private seed(write: () => AzureResponse): unknown {
    const r = write();
    if (r.status >= 400) throw new Error(`fake Traffic Manager refused the setup: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  private live(resourceGroup: string, name: string): TmProfile | undefined {
    return [...this.profilesByKey.values()].find((p) => p.resourceGroup.toLowerCase() === resourceGroup.toLowerCase() && p.name.toLowerCase() === name.toLowerCase());
  }

  private async handle(req: AzureRequest): Promise<AzureResponse | undefined> {
    const ip = PUBLIC_IP.exec(req.path);
    const list = SUBSCRIPTION_PROFILES.exec(req.path);
    const m = PROFILES.exec(req.path);
    if (!ip && !list && !m) return undefined;
    if (this.faults.dark) return this.faults.park();
    if (!WRITE_METHODS.includes(req.method)) {
      const fault = this.faults.onRead();
      if (fault) return fault;
    }
    if (ip) {
      const [, ipSub = '', ipRg = '', ipName = ''] = ip; // required groups: '' is never used
      return req.method === 'GET' ? this.getPublicIp(ipSub, ipRg, decodeURIComponent(ipName)) : undefined;
    }
    const version = req.query.get('api-version');
    if (!version) return armError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
    if (!this.apiVersions.includes(version)) {
      return armError(400, 'InvalidApiVersionParameter', `The api-version '${version}' is invalid. The supported versions are '${this.apiVersions.join(',')}'.`);
    }
    if (list) return req.method === 'GET' ? { status: 200, body: { value: this.profiles().filter((p) => p.subscriptionId === list[1]).map((p) => this.toArm(p)) } } : undefined;
    const [, sub = '', rg = '', profile, typeSegment, endpoint] = (m as RegExpExecArray).map((s) => (s === undefined ? s : decodeURIComponent(s)));
    if (!WRITE_METHODS.includes(req.method)) return this.read(sub, rg, profile, typeSegment, endpoint);
    return this.write(req, sub, rg, profile, typeSegment, endpoint);
  }

  private async write(req: AzureRequest, sub: string, rg: string, profile: string | undefined, typeSegment: string | undefined, endpoint: string | undefined): Promise<AzureResponse | undefined> {
    if (!profile) return undefined;
    const info: TmWriteInfo = { method: req.method, path: req.path, resource: endpoint ? 'endpoint' : 'profile', profile, endpointType: typeSegment ? endpointTypeOf(typeSegment) : undefined, endpoint };
    const fault = this.faults.onWrite(info);
    const action = fault?.action;
    const body = req.json ?? (req.body || undefined);
    const entry = { ...info, seq: this.faults.writeCount, at: Date.now(), body };
    if (action?.type === 'fail') {
      this.writes.push({ ...entry, status: action.response.status, outcome: 'fault' });
      return action.response;
    }
    if (action?.type === 'delay') await new Promise((r) => setTimeout(r, action.ms));
    let response: AzureResponse | undefined;
    if (endpoint && typeSegment) {
      const type = endpointTypeOf(typeSegment);
      if (!type) response = armError(400, 'BadRequest', `'${typeSegment}' is not a Traffic Manager endpoint type; use AzureEndpoints, ExternalEndpoints or NestedEndpoints.`);
      else if (req.method === 'PUT') response = this.putEndpoint(sub, rg, profile, type, endpoint, body);
      else if (req.method === 'PATCH') response = this.patchEndpoint(sub, rg, profile, type, endpoint, body);
      else response = this.deleteEndpoint(sub, rg, profile, type, endpoint);
    } else if (!typeSegment) {
      if (req.method === 'PUT') response = this.putProfile(sub, rg, profile, body);
      else if (req.method === 'PATCH') response = this.patchProfile(sub, rg, profile, body);
      else response = this.deleteProfile(sub, rg, profile);
    }
    if (!response) return undefined;
    this.writes.push({ ...entry, status: response.status, outcome: response.status < 400 ? 'applied' : 'rejected' });
    if (fault && action?.type === 'crash') {
      this.faults.goDark({ ...info, index: fault.index });
      return this.faults.park();
    }
    return response;
  }

  private read(sub: string, rg: string, profileName: string | undefined, typeSegment: string | undefined, endpointName: string | undefined): AzureResponse {
    if (!profileName) return { status: 200, body: { value: this.profiles().filter((p) => p.subscriptionId === sub && p.resourceGroup.toLowerCase() === rg.toLowerCase()).map((p) => this.toArm(p)) } };
    const p = this.profilesByKey.get(key(sub, rg, profileName));
    if (!typeSegment || !endpointName) return p ? { status: 200, body: this.toArm(p) } : notFoundProfile(rg, profileName);
    if (!p) return parentNotFound(profileName);
    const type = endpointTypeOf(typeSegment);
    const e = p.endpoints.find((x) => x.type === type && x.name.toLowerCase() === endpointName.toLowerCase());
    return e ? { status: 200, body: endpointToArm(p, e, (x) => this.targetOf(x)) } : endpointNotFound(profileName, typeSegment, endpointName);
  }

  private toArm(p: TmProfile): Record<string, unknown> {
    return profileToArm(p, (e) => this.targetOf(e));
  }

  private putProfile(sub: string, rg: string, name: string, body: unknown): AzureResponse {
    const k = key(sub, rg, name);
    const existing = this.profilesByKey.get(k);
    const fqdnTaken = (fqdn: string) => [...this.profilesByKey.values()].some((p) => p !== existing && profileFqdn(p) === fqdn);
    const profile = validateProfile({ subscriptionId: sub, resourceGroup: rg, name }, body, undefined, fqdnTaken);
    if ('status' in profile) return profile;
    if (existing && existing.dnsConfig.relativeName !== profile.dnsConfig.relativeName) return armError(400, 'BadRequest', 'dnsConfig.relativeName cannot be changed after the profile is created.');
    // A PUT is a full replacement: the endpoints in the body become the profile's endpoints (none if absent).
    profile.endpoints = [];
    const items = (body as { properties?: { endpoints?: unknown } }).properties?.endpoints;
    for (const item of Array.isArray(items) ? items : []) {
      const { name: endpointName, type: typeName } = (item ?? {}) as { name?: string; type?: string };
      const type = typeName ? endpointTypeOf(typeName) : undefined;
      if (!endpointName || !type) return armError(400, 'BadRequest', 'Each endpoint in a profile needs a name and a type.');
      const e = validateEndpoint(profile, type, endpointName, item, this.lookup);
      if ('status' in e) return e;
      e.health = existing?.endpoints.find((x) => x.type === type && x.name.toLowerCase() === endpointName.toLowerCase())?.health ?? e.health;
      profile.endpoints.push(e);
    }
    this.profilesByKey.set(k, profile);
    return { status: existing ? 200 : 201, body: this.toArm(profile) };
  }

  private patchProfile(sub: string, rg: string, name: string, body: unknown): AzureResponse {
    const existing = this.profilesByKey.get(key(sub, rg, name));
    if (!existing) return notFoundProfile(rg, name);
    const profile = validateProfile({ subscriptionId: sub, resourceGroup: rg, name }, body, existing, () => false);
    if ('status' in profile) return profile;
    this.profilesByKey.set(key(sub, rg, name), profile);
    return { status: 200, body: this.toArm(profile) };
  }

  private deleteProfile(sub: string, rg: string, name: string): AzureResponse {
    return this.profilesByKey.delete(key(sub, rg, name)) ? { status: 200 } : { status: 204 };
  }

  private putEndpoint(sub: string, rg: string, profileName: string, type: EndpointType, name: string, body: unknown): AzureResponse {
    const p = this.profilesByKey.get(key(sub, rg, profileName));
    if (!p) return parentNotFound(profileName);
    const index = p.endpoints.findIndex((x) => x.type === type && x.name.toLowerCase() === name.toLowerCase());
    const e = validateEndpoint(p, type, name, body, this.lookup);
    if ('status' in e) return e;
    const old = p.endpoints[index];
    if (old) {
      e.health = old.health; // monitoring state belongs to the service, not to the PUT
      p.endpoints[index] = e;
    } else {
      p.endpoints.push(e);
    }
    return { status: old ? 200 : 201, body: endpointToArm(p, e, (x) => this.targetOf(x)) };
  }

  private patchEndpoint(sub: string, rg: string, profileName: string, type: EndpointType, name: string, body: unknown): AzureResponse {
    const p = this.profilesByKey.get(key(sub, rg, profileName));
    if (!p) return parentNotFound(profileName);
    const index = p.endpoints.findIndex((x) => x.type === type && x.name.toLowerCase() === name.toLowerCase());
    if (index < 0) return endpointNotFound(profileName, type, name);
    const e = validateEndpoint(p, type, name, body, this.lookup, p.endpoints[index]);
    if ('status' in e) return e;
    p.endpoints[index] = e;
    return { status: 200, body: endpointToArm(p, e, (x) => this.targetOf(x)) };
  }

  private deleteEndpoint(sub: string, rg: string, profileName: string, type: EndpointType, name: string): AzureResponse {
    const p = this.profilesByKey.get(key(sub, rg, profileName));
    if (!p) return parentNotFound(profileName);
    const index = p.endpoints.findIndex((x) => x.type === type && x.name.toLowerCase() === name.toLowerCase());
    if (index < 0) return { status: 204 };
    p.endpoints.splice(index, 1);
    return { status: 200 };
  }

  private getPublicIp(sub: string, rg: string, name: string): AzureResponse {
    const id = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/publicIPAddresses/${name}`;
    const ip = this.publicIp(id);
    if (!ip) return armError(404, 'ResourceNotFound', `The Resource 'Microsoft.Network/publicIPAddresses/${name}' under resource group '${rg}' was not found.`);
    const [label, region] = (ip.fqdn ?? '').split('.');
    return {
      status: 200,
      body: {
        id: ip.id, name, type: 'Microsoft.Network/publicIPAddresses', location: region || 'westeurope',
        properties: { ipAddress: ip.ip, publicIPAllocationMethod: 'Static', ...(ip.fqdn ? { dnsSettings: { domainNameLabel: label, fqdn: ip.fqdn } } : {}) },
      },
    };
  }
}

const notFoundProfile = (rg: string, name: string) =>
  armError(404, 'ResourceNotFound', `The Resource 'Microsoft.Network/trafficmanagerprofiles/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
const parentNotFound = (name: string) =>
  armError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${name}' not found.`);
const endpointNotFound = (profile: string, type: string, name: string) =>
  armError(404, 'NotFound', `Endpoint '${type}/${name}' was not found in Traffic Manager profile '${profile}'.`);
