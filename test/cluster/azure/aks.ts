// Fake ARM for AKS credentials: POST .../managedClusters/{name}/listClusterUserCredential and
// listClusterAdminCredential, answered like ARM (any api-version the SDK sends; 401 for a missing/bad/expired
// token or the wrong audience; 403 AuthorizationFailed naming the client; 404 for an unknown group or cluster).
// The kubeconfig points at a URL the test chooses (later the local Kubernetes API server). Two flavours:
// 'local' (local accounts: the user carries a token) and 'entra' (Entra ID integration: the user kubeconfig
// runs kubelogin through an exec plugin, or the legacy azure auth-provider with ?format=azure; admin
// credentials stay plain, as on real AKS).
import * as crypto from 'node:crypto';
import YAML from 'yaml';
import type { FakeEntra } from './aad';
import { armError, type AzureHandler, type AzureResponse } from './server';

export const AKS_SERVER_APP_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';
/** The Azure CLI's public client id that AKS puts in kubelogin's arguments. */
const KUBELOGIN_CLIENT_ID = '80faf920-1908-4b52-b5ef-a8e7bedfc67a';

export interface FakeAksCluster {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  flavour: 'local' | 'entra';
  /** API server URL written into the kubeconfig (a function so it can be decided after startup). */
  server: string | (() => string);
  /** base64 PEM CA for https servers; http servers get insecure-skip-tls-verify instead. */
  caData?: string;
  /** Tokens in the returned kubeconfigs (default: random per cluster). */
  userToken?: string;
  adminToken?: string;
  tenantId?: string;
}

export type AksAction = 'listClusterUserCredential' | 'listClusterAdminCredential';

export interface AksCall {
  action: AksAction;
  cluster: string;
  apiVersion: string | null;
  clientId?: string;
  status: number;
}

export interface FakeAksOptions {
  entra: FakeEntra;
  clusters: FakeAksCluster[];
  /** Who may do what; default everyone. */
  authorize?: (clientId: string, action: AksAction, cluster: FakeAksCluster) => boolean;
}

export interface FakeAks {
  handler: AzureHandler;
  calls: AksCall[];
}

const CLUSTER_PATH = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)\/(listClusterUserCredential|listClusterAdminCredential)$/i;
const ARM_AUDIENCES = ['https://management.azure.com', 'https://management.core.windows.net'];

export function fakeAks(options: FakeAksOptions): FakeAks {
  const calls: AksCall[] = [];
  const tokens = new Map<FakeAksCluster, { user: string; admin: string }>();
  const tokensOf = (c: FakeAksCluster) => {
    let t = tokens.get(c);
    if (!t) {
      t = { user: c.userToken ?? crypto.randomBytes(32).toString('hex'), admin: c.adminToken ?? crypto.randomBytes(32).toString('hex') };
      tokens.set(c, t);
    }
    return t;
  };

  const handler: AzureHandler = (req) => {
    const m = req.path.match(CLUSTER_PATH);
    if (!m) return undefined;
    const [, subscriptionId = '', resourceGroup = '', name = '', actionRaw = ''] = m; // all four groups are required: '' is never used
    const action: AksAction = actionRaw.toLowerCase() === 'listclusteradmincredential' ? 'listClusterAdminCredential' : 'listClusterUserCredential';
    const call: AksCall = { action, cluster: `${resourceGroup}/${name}`, apiVersion: req.query.get('api-version'), status: 0 };
    calls.push(call);
    const answer = (response: AzureResponse) => ((call.status = response.status), response);

    if (req.method !== 'POST') return answer(armError(405, 'MethodNotAllowed', `The requested resource does not support http method '${req.method}'.`));
    const claims = options.entra.verifyBearer(req.headers.authorization, [...ARM_AUDIENCES, `https://${String(req.headers.host)}`]);
    if ('error' in claims) return answer(unauthenticated(claims.error, claims.aud));
    call.clientId = claims.appid;
    if (!call.apiVersion) return answer(armError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests."));

    const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
    const inGroup = options.clusters.filter((c) => same(c.subscriptionId, subscriptionId) && same(c.resourceGroup, resourceGroup));
    if (inGroup.length === 0) return answer(armError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`));
    const cluster = inGroup.find((c) => same(c.name, name));
    if (!cluster) {
      return answer(armError(404, 'ResourceNotFound', `The Resource 'Microsoft.ContainerService/managedClusters/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`));
    }
    if (options.authorize && !options.authorize(claims.appid, action, cluster)) {
      const scope = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`;
      return answer(armError(403, 'AuthorizationFailed', `The client '${claims.appid}' with object id '${claims.oid}' does not have authorization to perform action 'Microsoft.ContainerService/managedClusters/${action}/action' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`));
    }
    const kubeconfig = aksKubeconfig(cluster, action, req.query.get('format'), tokensOf(cluster));
    const kind = action === 'listClusterAdminCredential' ? 'clusterAdmin' : 'clusterUser';
    return answer({ status: 200, body: { kubeconfigs: [{ name: kind, value: Buffer.from(kubeconfig).toString('base64') }] } });
  };
  return { handler, calls };
}

function unauthenticated(error: string, aud?: string): AzureResponse {
  switch (error) {
    case 'missing':
      return armError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
    case 'expired':
      return armError(401, 'ExpiredAuthenticationToken', 'The access token expiry UTC time is earlier than current UTC time.');
    case 'audience':
      return armError(401, 'InvalidAuthenticationTokenAudience', `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.`);
    default:
      return armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
  }
}

/** The kubeconfig shapes real AKS returns (local accounts / Entra ID exec / Entra ID azure auth-provider). */
export function aksKubeconfig(cluster: FakeAksCluster, action: AksAction, format: string | null, tokens: { user: string; admin: string }): string {
  const server = typeof cluster.server === 'function' ? cluster.server() : cluster.server;
  const admin = action === 'listClusterAdminCredential';
  const userName = `${admin ? 'clusterAdmin' : 'clusterUser'}_${cluster.resourceGroup}_${cluster.name}`;
  const contextName = admin ? `${cluster.name}-admin` : cluster.name;
  const clusterEntry: Record<string, unknown> = { server };
  if (server.startsWith('http:')) clusterEntry['insecure-skip-tls-verify'] = true;
  else if (cluster.caData) clusterEntry['certificate-authority-data'] = cluster.caData;
  const tenant = cluster.tenantId ?? '72f988bf-86f1-41af-91ab-2d7cd011db47';
  let user: Record<string, unknown>;
  if (admin || cluster.flavour === 'local') {
    user = { token: admin ? tokens.admin : tokens.user };
  } else if (format === 'azure') {
    user = { 'auth-provider': { name: 'azure', config: { 'apiserver-id': AKS_SERVER_APP_ID, 'client-id': KUBELOGIN_CLIENT_ID, 'config-mode': '1', environment: 'AzurePublicCloud', 'tenant-id': tenant } } };
  } else {
    user = {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        args: ['get-token', '--environment', 'AzurePublicCloud', '--server-id', AKS_SERVER_APP_ID, '--client-id', KUBELOGIN_CLIENT_ID, '--tenant-id', tenant, '--login', 'devicecode'],
        command: 'kubelogin',
        env: null,
        installHint: '\nkubelogin is not installed which is required to connect to AAD enabled cluster.\n\nTo learn more, please go to https://aka.ms/aks/kubelogin\n',
        provideClusterInfo: false,
      },
    };
  }
  return YAML.stringify({
    apiVersion: 'v1',
    clusters: [{ cluster: clusterEntry, name: cluster.name }],
    contexts: [{ context: { cluster: cluster.name, user: userName }, name: contextName }],
    'current-context': contextName,
    kind: 'Config',
    preferences: {},
    users: [{ name: userName, user }],
  });
}
