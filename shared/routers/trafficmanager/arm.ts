// Traffic Manager through Azure Resource Manager, with the real SDK (@azure/arm-trafficmanager 6.1.x)
// and the credential of the task's Azure Resource Manager connection. Throttling (429) and 5xx answers
// are retried with backoff by the SDK's retry policy; every other failure becomes one sentence that
// names the identity, the action and the scope (what a user needs to fix a missing role assignment).
import { TrafficManagerManagementClient, type Endpoint, type Profile } from '@azure/arm-trafficmanager';
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import { type AzureCredential, AzureSignInError, azureCredential } from '../../azure/credentials';
import type { TrafficManagerEndpointType, TrafficManagerInputs } from '../../inputs/types';
import type { EndpointState } from './weights';

/** Retries of throttled (429, honouring Retry-After) and failed (5xx, network) ARM calls. */
export const ARM_RETRY = { maxRetries: 5, retryDelayInMs: 800, maxRetryDelayInMs: 15_000 };
const NETWORK_API_VERSION = '2023-09-01';

export interface ProfileState {
  id: string;
  fqdn: string;
  ttl: number;
  routingMethod: string;
  enabled: boolean;
  monitor: { protocol?: string; port?: number; path?: string };
  endpoints: EndpointState[];
}

export interface PublicIpState {
  id: string;
  fqdn?: string;
  ip?: string;
}

/** What an endpoint write sets; omitted fields keep their value (PATCH). */
export interface EndpointChange {
  enabled?: boolean;
  weight?: number;
  target?: string;
  targetResourceId?: string;
}

interface ArmFailure {
  statusCode?: number;
  code?: string;
  message: string;
}

const isArmFailure = (err: unknown): err is ArmFailure & Error => err instanceof Error && typeof (err as ArmFailure).statusCode === 'number';

export class TrafficManagerArm {
  private azure?: AzureCredential;
  private sdk?: TrafficManagerManagementClient;

  constructor(
    readonly inputs: TrafficManagerInputs,
    /** Throws once the task lost the app's lease: no ARM write of such a task reaches Azure. */
    private readonly writeGuard: () => void = () => undefined,
  ) {}

  get type(): TrafficManagerEndpointType {
    return this.inputs.endpointType;
  }

  /** `<rg>/<profile>` for messages. */
  get profileName(): string {
    return `${this.inputs.resourceGroup}/${this.inputs.profile}`;
  }

  private get credential(): AzureCredential {
    this.azure ??= azureCredential(this.inputs.endpoint);
    return this.azure;
  }

  private get client(): TrafficManagerManagementClient {
    const az = this.credential;
    this.sdk ??= new TrafficManagerManagementClient(az.credential, az.subscriptionId, {
      endpoint: az.armUrl,
      credentialScopes: [az.armScope],
      retryOptions: ARM_RETRY,
      userAgentOptions: { userAgentPrefix: 'helm-bluegreen' },
      ...(az.armProxy ? { proxyOptions: az.armProxy } : {}),
    });
    return this.sdk;
  }

  private get profileScope(): string {
    return `/subscriptions/${this.credential.subscriptionId}/resourceGroups/${this.inputs.resourceGroup}/providers/Microsoft.Network/trafficManagerProfiles/${this.inputs.profile}`;
  }

  /** The profile and all its endpoints; undefined when it does not exist. */
  async profile(): Promise<ProfileState | undefined> {
    const p = await this.call('read', this.profileScope, () => this.client.profiles.get(this.inputs.resourceGroup, this.inputs.profile), true);
    return p && toProfile(p);
  }

  async endpoint(name: string): Promise<EndpointState | undefined> {
    const e = await this.call('read', this.endpointScope(name), () => this.client.endpoints.get(this.inputs.resourceGroup, this.inputs.profile, this.type, name), true);
    return e && toEndpoint(e, 0);
  }

  /** Creates the endpoint (PUT) or changes only the given fields (PATCH keeps custom headers and the like). */
  async writeEndpoint(name: string, change: EndpointChange, exists: boolean): Promise<EndpointState> {
    const body: Endpoint = {
      ...(change.enabled !== undefined ? { endpointStatus: change.enabled ? 'Enabled' : 'Disabled' } : {}),
      ...(change.weight !== undefined ? { weight: change.weight } : {}),
      ...(change.target !== undefined ? { target: change.target } : {}),
      ...(change.targetResourceId !== undefined ? { targetResourceId: change.targetResourceId } : {}),
    };
    const { resourceGroup: rg, profile } = this.inputs;
    const written = await this.call('write', this.endpointScope(name), () =>
      exists ? this.client.endpoints.update(rg, profile, this.type, name, body) : this.client.endpoints.createOrUpdate(rg, profile, this.type, name, body),
    );
    return toEndpoint(written as Endpoint, 0);
  }

  async deleteEndpoint(name: string): Promise<void> {
    await this.call('delete', this.endpointScope(name), () => this.client.endpoints.delete(this.inputs.resourceGroup, this.inputs.profile, this.type, name));
  }

  /** A Public IP resource (Azure endpoints point at one): its DNS name and address. */
  async publicIp(id: string): Promise<PublicIpState | undefined> {
    const response = await this.call('read', id, async () => {
      // The Network SDK is not a dependency for one GET: the Traffic Manager client's pipeline (auth,
      // retries, user agent) sends it.
      const r = await this.client.sendRequest(createPipelineRequest({ url: `${this.credential.armUrl}${id}?api-version=${NETWORK_API_VERSION}`, method: 'GET' }));
      if (r.status === 404) return undefined;
      const body = JSON.parse(r.bodyAsText || '{}') as { error?: { code?: string; message?: string }; properties?: { ipAddress?: string; dnsSettings?: { fqdn?: string } } };
      if (r.status >= 400) throw Object.assign(new Error(body.error?.message ?? `status ${r.status}`), { statusCode: r.status, code: body.error?.code });
      return body;
    }, true);
    return response && { id, fqdn: response.properties?.dnsSettings?.fqdn?.toLowerCase(), ip: response.properties?.ipAddress };
  }

  private endpointScope(name: string): string {
    return `${this.profileScope}/${this.type.charAt(0).toLowerCase()}${this.type.slice(1)}/${name}`;
  }

  /** Runs one ARM call; a 404 is `undefined` when `missingOk`, every other failure one actionable sentence. */
  private async call<T>(verb: 'read' | 'write' | 'delete', scope: string, run: () => Promise<T>, missingOk = false): Promise<T | undefined> {
    if (verb !== 'read') this.writeGuard();
    try {
      return await run();
    } catch (err) {
      if (err instanceof AzureSignInError) throw err;
      if (!isArmFailure(err)) throw err;
      if (err.statusCode === 404 && missingOk) return undefined;
      throw new Error(this.explain(err, verb, scope));
    }
  }

  private explain(err: ArmFailure, verb: 'read' | 'write' | 'delete', scope: string): string {
    const who = this.credential.describe;
    const reason = `${err.statusCode}${err.code ? ` ${err.code}` : ''}: ${firstSentence(err.message)}`;
    if (err.statusCode === 401) {
      return `Azure Resource Manager did not accept the token of ${who} (${reason}); check that the service connection's subscription and environment are right.`;
    }
    if (err.statusCode === 403) {
      // ARM's AuthorizationFailed message names the action and scope itself; say them once.
      const stated = /action '([^']+)' over scope '([^']+)'/.exec(err.message);
      const action = stated?.[1] ?? actionFor(verb, scope);
      return (
        `${who} may not perform ${action} on ${stated?.[2] ?? scope} (${stated ? `${err.statusCode} ${err.code}` : reason}). ` +
        `Assign it the Traffic Manager Contributor role on profile ${this.profileName} (or its resource group), or a role with that action.`
      );
    }
    if (err.statusCode === 404 && scope === this.profileScope) return this.missingProfile();
    return `Azure Resource Manager refused to ${verb} ${scope} (${reason}).`;
  }

  missingProfile(): string {
    return `Traffic Manager profile ${this.profileName} does not exist in subscription ${this.credential.subscriptionId}: check the resource group and profile inputs.`;
  }
}

/** The RBAC action of a call, as Azure names it in AuthorizationFailed errors. */
export function actionFor(verb: 'read' | 'write' | 'delete', scope: string): string {
  const tm = /\/providers\/Microsoft\.Network\/trafficManagerProfiles\/[^/]+(?:\/([^/]+)\/[^/]+)?$/i.exec(scope);
  const pip = /\/providers\/Microsoft\.Network\/publicIPAddresses\/[^/]+$/i.test(scope);
  const type = pip ? 'Microsoft.Network/publicIPAddresses' : `Microsoft.Network/trafficManagerProfiles${tm?.[1] ? `/${tm[1]}` : ''}`;
  return `${type}/${verb}`;
}

const firstSentence = (message: string) => (message.split(/\r?\n/)[0] ?? message).trim();

function toEndpoint(e: Endpoint, order: number): EndpointState {
  const type = (e.type ?? '').split('/').pop() ?? '';
  return {
    name: e.name ?? '',
    type: type ? type.charAt(0).toUpperCase() + type.slice(1) : '',
    enabled: e.endpointStatus === 'Enabled',
    weight: e.weight ?? 1,
    target: e.target?.toLowerCase(),
    targetResourceId: e.targetResourceId,
    monitorStatus: e.endpointMonitorStatus,
    order,
  };
}

function toProfile(p: Profile): ProfileState {
  return {
    id: p.id ?? '',
    fqdn: p.dnsConfig?.fqdn?.toLowerCase() ?? '',
    ttl: p.dnsConfig?.ttl ?? 0,
    routingMethod: p.trafficRoutingMethod ?? '',
    enabled: p.profileStatus !== 'Disabled',
    monitor: { protocol: p.monitorConfig?.protocol, port: p.monitorConfig?.port, path: p.monitorConfig?.path },
    endpoints: (p.endpoints ?? []).map((e, i) => toEndpoint(e, i)),
  };
}
