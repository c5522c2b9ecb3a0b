// The playground for the Traffic Manager router: the local cluster, the fake Azure (Entra ID, the ARM
// Traffic Manager with its Public IP registry, and an authorisation gate in front of it), the data plane
// resolving `<profile>.trafficmanager.net` through the DNS model with per-client TTL caches, and the
// tasks run with an agent-style Azure Resource Manager service connection for each auth scheme.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AgentEndpoint } from '../cluster/agent';
import { fakeEntra, type FakeEntra } from '../cluster/azure/aad';
import { TrafficManagerDns } from '../cluster/azure/dns';
import { armError, type AzureHandler, type FakeAzureServer, startFakeAzure, TEST_CA_CERT, TLS_DIR } from '../cluster/azure/server';
import { FakeTrafficManager, type EndpointType, type TmWrite } from '../cluster/azure/trafficmanager';
import type { WriteRecord } from '../cluster/apiserver/faults';
import type { HelmMajor } from '../cluster/helm';
import type { Probe, ProbeOptions } from '../cluster/probe';
import { type Env, startEnv } from './env';

export const SUB = '5e5e5e5e-0000-4000-8000-00000000a2a2';
export const TENANT = '7e7e7e7e-0000-4000-8000-00000000b3b3';
export const RG = 'rg-calc';
export const PROFILE = 'calc-prod';
export const PROFILE_FQDN = `${PROFILE}.trafficmanager.net`;
export const pipId = (name: string) => `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/publicIPAddresses/${name}`;
/** Azure endpoints: the Public IP each slot's load balancer uses. */
export const PUBLIC_IPS = {
  blue: { id: pipId('calc-blue-pip'), fqdn: 'calc-blue.westeurope.cloudapp.azure.com', ip: '52.10.0.1' },
  green: { id: pipId('calc-green-pip'), fqdn: 'calc-green.westeurope.cloudapp.azure.com', ip: '52.10.0.2' },
};

export type AuthScheme = 'secret' | 'certificate' | 'workload' | 'managed';
export const IDENTITIES: Record<AuthScheme, string> = {
  secret: 'c1c1c1c1-0000-4000-8000-000000000001',
  certificate: 'c2c2c2c2-0000-4000-8000-000000000002',
  workload: 'c3c3c3c3-0000-4000-8000-000000000003',
  managed: 'c4c4c4c4-0000-4000-8000-000000000004',
};
const SECRET = 'tm-test-client-secret-value';
const JOB_TOKEN = 'tm-test-job-access-token';
/** The service connection id a task input names, per scheme. */
export const connectionId = (scheme: AuthScheme) => `tm-${scheme}`;

/** One ARM request to Microsoft.Network as the gate saw it. */
export interface ArmCall {
  method: string;
  path: string;
  clientId?: string;
  userAgent: string;
  status: number;
}

export interface TmEnvOptions {
  helm: HelmMajor;
  ownership: 'managed' | 'chart';
  layout?: 'shared' | 'perSlot';
  endpointType?: EndpointType;
  /** The profile's DNS TTL (s); short so tests stay fast. */
  ttl?: number;
  /** trafficManagerTtlMargin input (s). */
  margin?: number;
  routingMethod?: string;
  /** Create the profile (default true). */
  profile?: boolean;
  settleSeconds?: number;
  inputs?: Record<string, string>;
}

export interface TmEnv extends Env {
  azure: FakeAzureServer;
  tm: FakeTrafficManager;
  entra: FakeEntra;
  dns: TrafficManagerDns;
  /** Every Microsoft.Network call that reached the gate. */
  armCalls: ArmCall[];
  /** Refuse (403 AuthorizationFailed) what this returns false for; default: everything allowed. */
  authorize: (clientId: string, method: string, path: string) => boolean;
  /** When set, ARM answers every call 401 InvalidAuthenticationToken with this reason (a revoked or foreign token). */
  rejectTokens?: string;
  /** The input that makes a task use the service connection of another auth scheme. */
  as(scheme: AuthScheme): Record<string, string>;
  /** `count` users, each with its own DNS cache, hitting the profile's name. */
  users(count: number, options?: Partial<ProbeOptions>): Probe[];
}

/** The RBAC action of an ARM request, as Azure words it in AuthorizationFailed. */
function actionOf(method: string, armPath: string): string {
  const verb = method === 'GET' ? 'read' : method === 'DELETE' ? 'delete' : 'write';
  const m = /providers\/(Microsoft\.Network\/[^/]+)\/[^/]+(?:\/([^/]+)\/[^/]+)?$/i.exec(armPath);
  return `${m?.[1] ?? 'Microsoft.Network/unknown'}${m?.[2] ? `/${m[2]}` : ''}/${verb}`;
}

export async function startTrafficManagerEnv(o: TmEnvOptions): Promise<TmEnv> {
  const endpointType = o.endpointType ?? 'ExternalEndpoints';
  const tm = new FakeTrafficManager();
  const entra = fakeEntra({
    servicePrincipals: [
      { clientId: IDENTITIES.secret, tenantId: TENANT, secret: SECRET },
      { clientId: IDENTITIES.certificate, tenantId: TENANT, certificatePem: fs.readFileSync(path.join(TLS_DIR, 'client.crt'), 'utf8') },
      { clientId: IDENTITIES.workload, tenantId: TENANT, federatedSubjects: ['sc://contoso/web/tm-federated'] },
    ],
    managedIdentities: [{ clientId: IDENTITIES.managed, tenantId: TENANT, systemAssigned: true }],
    devOps: { organization: 'contoso', project: 'web', accessToken: JOB_TOKEN, serviceConnections: { [connectionId('workload')]: 'tm-federated' } },
  });
  const armCalls: ArmCall[] = [];
  let azureUrl = '';
  // ARM's front door: a bearer token for this ARM from the fake Entra ID, then role-based access.
  const gate: AzureHandler = (req) => {
    if (!/\/providers\/Microsoft\.Network\//i.test(req.path)) return undefined;
    const call: ArmCall = { method: req.method, path: req.path, userAgent: String(req.headers['user-agent'] ?? ''), status: 0 };
    armCalls.push(call);
    const claims = entra.verifyBearer(req.headers.authorization, [azureUrl]);
    const rejected = 'error' in claims ? `The access token is ${claims.error}.` : env.rejectTokens;
    if (rejected) return ((call.status = 401), armError(401, 'InvalidAuthenticationToken', rejected));
    if ('error' in claims) return undefined;
    call.clientId = claims.appid;
    if (!env.authorize(claims.appid, req.method, req.path)) {
      call.status = 403;
      const scope = req.path;
      return armError(
        403,
        'AuthorizationFailed',
        `The client '${claims.appid}' with object id '${claims.oid}' does not have authorization to perform action '${actionOf(req.method, req.path)}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      );
    }
    call.status = 200;
    return undefined;
  };
  const azure = await startFakeAzure([entra.handler, gate, tm.handler]);
  azureUrl = azure.url;

  for (const slot of ['blue', 'green'] as const) tm.addPublicIp(PUBLIC_IPS[slot].id, PUBLIC_IPS[slot].fqdn, PUBLIC_IPS[slot].ip);
  if (o.profile !== false) {
    tm.createProfile(SUB, RG, PROFILE, {
      location: 'global',
      properties: { trafficRoutingMethod: o.routingMethod ?? 'Weighted', dnsConfig: { relativeName: PROFILE, ttl: o.ttl ?? 2 }, monitorConfig: { protocol: 'HTTP', port: 80, path: '/ping' } },
    });
  }
  const dns = new TrafficManagerDns(tm, { seed: 7 });

  const connection = (scheme: AuthScheme): AgentEndpoint => {
    const data = { subscriptionId: SUB, environmentAuthorityUrl: `${azure.url}/` };
    const sp = { tenantid: TENANT, serviceprincipalid: IDENTITIES[scheme] };
    switch (scheme) {
      case 'secret':
        return { url: `${azure.url}/`, scheme: 'ServicePrincipal', parameters: { ...sp, authenticationType: 'spnKey', serviceprincipalkey: SECRET }, data };
      case 'certificate':
        return { url: `${azure.url}/`, scheme: 'ServicePrincipal', parameters: { ...sp, authenticationType: 'spnCertificate', servicePrincipalCertificate: fs.readFileSync(path.join(TLS_DIR, 'client.pem'), 'utf8') }, data };
      case 'workload':
        return { url: `${azure.url}/`, scheme: 'WorkloadIdentityFederation', parameters: sp, data };
      case 'managed':
        return { url: `${azure.url}/`, scheme: 'ManagedServiceIdentity', parameters: { tenantid: TENANT }, data };
    }
  };
  const schemes: AuthScheme[] = ['secret', 'certificate', 'workload', 'managed'];
  const endpoints: Record<string, AgentEndpoint> = Object.fromEntries(schemes.map((s) => [connectionId(s), connection(s)]));
  // The agent passes the job's access token as SystemVssConnection; workload identity federation needs it.
  endpoints.SYSTEMVSSCONNECTION = { url: 'https://dev.azure.com/contoso/', scheme: 'OAuth', parameters: { AccessToken: JOB_TOKEN } };

  const inputs: Record<string, string> = {
    host: '',
    trafficManagerConnection: connectionId('secret'),
    trafficManagerResourceGroup: RG,
    trafficManagerProfile: PROFILE,
    trafficManagerEndpointType: endpointType,
    trafficManagerTtlMargin: String(o.margin ?? 1),
    ...(endpointType === 'AzureEndpoints' ? { bluePublicIp: PUBLIC_IPS.blue.id, greenPublicIp: PUBLIC_IPS.green.id } : {}),
    ...o.inputs,
  };
  const base = await startEnv({
    helm: o.helm,
    router: 'trafficmanager',
    ownership: o.ownership,
    layout: o.layout ?? 'shared',
    ...(o.settleSeconds !== undefined ? { settleSeconds: o.settleSeconds } : {}),
    dataplane: { trafficManager: tm, dns },
    inputs,
    run: {
      endpoints,
      variables: { 'System.OidcRequestUri': `${azure.url}${entra.oidcRequestPath}` },
      env: { NODE_EXTRA_CA_CERTS: TEST_CA_CERT, AZURE_POD_IDENTITY_AUTHORITY_HOST: azure.url },
    },
  });
  const env: TmEnv = {
    ...base,
    azure,
    tm,
    entra,
    dns,
    armCalls,
    authorize: () => true,
    as: (scheme) => ({ trafficManagerConnection: connectionId(scheme) }),
    users(count, options = {}) {
      return Array.from({ length: count }, (_, i) =>
        base.probe({ url: `${base.dataplane.url}/ping`, host: PROFILE_FQDN, clientId: `user-${i + 1}`, ratePerSecond: 5, ...options }),
      );
    },
    async close() {
      await base.close();
      await azure.close();
    },
  };
  return env;
}

/** What Traffic Manager holds for the app: `name: Enabled/Disabled weight`. */
export function endpointsOf(env: TmEnv): string[] {
  return (env.tm.profile(RG, PROFILE)?.endpoints ?? []).map((e) => `${e.name}: ${e.endpointStatus} ${e.weight}`).sort();
}

/** The applied ARM write that disabled an endpoint. */
export const disabled = (writes: TmWrite[], endpoint: string) =>
  writes.find((w) => w.outcome === 'applied' && w.endpoint === endpoint && (w.body as { properties?: { endpointStatus?: string } })?.properties?.endpointStatus === 'Disabled');

/** The first API write that removed a slot's public address or its pods. */
export const slotRemoved = (writes: WriteRecord[], names: string[], after: number) =>
  writes.find((w) => w.method === 'DELETE' && w.time >= after && ['services', 'deployments'].includes(w.resource) && names.includes(w.name ?? ''));
