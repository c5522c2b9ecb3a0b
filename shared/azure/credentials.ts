// Azure credentials from an Azure Resource Manager service connection, for the AKS cluster connection and
// for the Traffic Manager router. Every credential is wrapped so a failed sign-in says which identity
// failed, Entra ID's reason (the AADSTS line) and what to check; every token obtained is masked in the log.
//
// Endpoint layout (as the agent passes an AzureRM connection, cf. Microsoft's azure-arm-rest AzureRMEndpoint):
// scheme ServicePrincipal (auth params serviceprincipalid, tenantid, authenticationType spnKey|spnCertificate,
// serviceprincipalkey | servicePrincipalCertificate = PEM with key and certificate), WorkloadIdentityFederation
// (serviceprincipalid, tenantid), ManagedServiceIdentity (tenantid; data msiclientId for a user-assigned
// identity). Data: subscriptionId, environmentAuthorityUrl; the endpoint URL is the ARM URL.
import {
  type AccessToken,
  type GetTokenOptions,
  type TokenCredential,
  AzureAuthorityHosts,
  AzurePipelinesCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type TokenCredentialOptions,
} from '@azure/identity';
import type { ProxySettings } from '@azure/core-rest-pipeline';
import type * as TaskLib from 'azure-pipelines-task-lib/task';
import { activeProxy, azureProxyOptions } from '../connection/proxy';
import { ConnectionError, authParam, endpointAuth, endpointData, endpointUrl, registerSecret, type EndpointAuth } from '../connection/endpoint';

// task-lib loads on first use: loading it reads the environment into its vault and writes a key
// file, which a task wants and unit tests of the pure parts of this module do not.
const tl = (): typeof TaskLib => require('azure-pipelines-task-lib/task');

export type AzureScheme = 'ServicePrincipal' | 'WorkloadIdentityFederation' | 'ManagedServiceIdentity';

export interface AzureCredential {
  credential: TokenCredential;
  subscriptionId: string;
  /** ARM base URL without trailing slash, e.g. https://management.azure.com */
  armUrl: string;
  /** The scope to request ARM tokens for: `${armUrl}/.default`. */
  armScope: string;
  authorityHost: string;
  tenantId: string;
  scheme: AzureScheme;
  /** Service principal / managed identity client id ('' for a system-assigned identity). */
  clientId: string;
  /** e.g. "service principal 1234... (client secret) in tenant 72f9..." */
  describe: string;
  /** `proxyOptions` for ARM clients (the agent's proxy unless ARM is bypassed). */
  armProxy?: ProxySettings;
}

/** Thrown when Entra ID refuses a sign-in; the message names the identity and what to check. */
export class AzureSignInError extends Error {
  override name = 'AzureSignInError';
}

const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com/';
const DEFAULT_ARM = 'https://management.azure.com/';

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** msal ships metadata for the public and sovereign clouds; any other host (Azure Stack, a test fake) must skip instance discovery, which would otherwise ask login.microsoftonline.com about it. */
function isWellKnownAuthority(authorityHost: string): boolean {
  const host = new URL(authorityHost).host.toLowerCase();
  return Object.values(AzureAuthorityHosts).some((known) => new URL(known).host === host) || host === 'login.windows.net';
}

export function azureCredential(endpointId: string | undefined): AzureCredential {
  if (!endpointId) throw new ConnectionError('No Azure Resource Manager service connection is set: choose one in the task inputs.');
  const auth = endpointAuth(endpointId);
  if (!auth) {
    throw new ConnectionError(
      `Azure Resource Manager service connection '${endpointId}' is not available to this job: check its name or id and that the pipeline is allowed to use it.`,
    );
  }
  const param = (key: string) => authParam(endpointId, auth, key);
  const subscriptionId = endpointData(endpointId, 'subscriptionId');
  if (!subscriptionId) {
    throw new ConnectionError(
      `Azure Resource Manager service connection '${endpointId}' is not scoped to a subscription (management group or machine learning scope); use a subscription-scoped connection.`,
    );
  }
  const armUrl = trimSlash(endpointUrl(endpointId) ?? DEFAULT_ARM);
  const authorityHost = trimSlash(endpointData(endpointId, 'environmentAuthorityUrl') ?? DEFAULT_AUTHORITY);
  const tenantId = param('tenantid') ?? '';
  const proxyOptions = azureProxyOptions(activeProxy(), authorityHost);
  const options: TokenCredentialOptions & { disableInstanceDiscovery: boolean } = {
    authorityHost,
    disableInstanceDiscovery: !isWellKnownAuthority(authorityHost),
    ...(proxyOptions ? { proxyOptions } : {}),
  };
  const made = makeCredential(endpointId, auth, param, tenantId, options);
  const describe = `${made.who}${tenantId ? ` in tenant ${tenantId}` : ''}`;
  return {
    credential: new ExplainedCredential(made.credential, describe, made.hint),
    subscriptionId,
    armUrl,
    armScope: `${armUrl}/.default`,
    authorityHost,
    tenantId,
    scheme: made.scheme,
    clientId: made.clientId,
    describe,
    armProxy: azureProxyOptions(activeProxy(), armUrl),
  };
}

interface MadeCredential {
  credential: TokenCredential;
  scheme: AzureScheme;
  clientId: string;
  who: string;
  hint: string;
}

function makeCredential(
  endpointId: string,
  auth: EndpointAuth,
  param: (key: string) => string | undefined,
  tenantId: string,
  options: TokenCredentialOptions,
): MadeCredential {
  const missing = (what: string) =>
    new ConnectionError(`Azure Resource Manager service connection '${endpointId}' (${auth.scheme}) has no ${what}; edit the service connection.`);
  const scheme = (auth.scheme || 'ServicePrincipal').toLowerCase();
  if (scheme === 'managedserviceidentity') {
    const clientId = endpointData(endpointId, 'msiclientId') ?? '';
    // The instance metadata endpoint (169.254.169.254) is on the agent's own VM: never through a proxy.
    const { proxyOptions: _direct, ...local } = options;
    return {
      credential: new ManagedIdentityCredential(clientId ? { ...local, clientId } : local),
      scheme: 'ManagedServiceIdentity',
      clientId,
      who: clientId ? `managed identity ${clientId}` : 'the agent\'s system-assigned managed identity',
      hint: 'Check that the agent runs on an Azure VM or scale set that has this managed identity assigned.',
    };
  }
  const clientId = param('serviceprincipalid');
  if (!clientId) throw missing('service principal (client) id');
  if (!tenantId) throw missing('tenant id');
  if (scheme === 'workloadidentityfederation') {
    const accessToken = systemAccessToken();
    if (!tl().getVariable('System.OidcRequestUri')) {
      throw new ConnectionError(
        'Workload identity federation needs the System.OidcRequestUri variable, which this agent does not provide; update the agent.',
      );
    }
    return {
      // POSTs `${SYSTEM_OIDCREQUESTURI}?api-version=7.1&serviceConnectionId=<id>` with the job's access token
      // and presents the returned oidcToken to Entra ID as the client assertion.
      credential: new AzurePipelinesCredential(tenantId, clientId, endpointId, accessToken, options),
      scheme: 'WorkloadIdentityFederation',
      clientId,
      who: `service principal ${clientId} (workload identity federation)`,
      hint: 'Check that the app registration has a federated credential whose issuer and subject match this service connection.',
    };
  }
  if (scheme !== 'serviceprincipal') {
    throw new ConnectionError(
      `Azure Resource Manager service connection '${endpointId}' uses scheme '${auth.scheme}', which this task does not support; use a service principal (secret or certificate), workload identity federation or a managed identity.`,
    );
  }
  if ((param('authenticationType') ?? 'spnKey').toLowerCase() === 'spncertificate') {
    const pem = param('servicePrincipalCertificate');
    if (!pem) throw missing('certificate');
    registerSecret(pem);
    return {
      credential: new ClientCertificateCredential(tenantId, clientId, { certificate: pem }, options),
      scheme: 'ServicePrincipal',
      clientId,
      who: `service principal ${clientId} (certificate)`,
      hint: 'Check that the certificate is registered on the app registration and has not expired.',
    };
  }
  const secret = param('serviceprincipalkey');
  if (!secret) throw missing('client secret');
  registerSecret(secret);
  return {
    credential: new ClientSecretCredential(tenantId, clientId, secret, options),
    scheme: 'ServicePrincipal',
    clientId,
    who: `service principal ${clientId} (client secret)`,
    hint: 'Check the client secret in the service connection; it may have expired.',
  };
}

/** The job's OAuth token (System.AccessToken), which the agent always passes as the SystemVssConnection endpoint. */
function systemAccessToken(): string {
  const auth = endpointAuth('SYSTEMVSSCONNECTION');
  const token = auth ? authParam('SYSTEMVSSCONNECTION', auth, 'AccessToken') : undefined;
  if (!token) throw new ConnectionError('The job access token (SystemVssConnection) is not available, so the pipeline cannot request an OIDC token for workload identity federation.');
  registerSecret(token);
  return token;
}

/** Entra ID's own reason, without the trace/correlation ids and SDK boilerplate. */
export function signInReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const aadsts = text.match(/AADSTS\d+:[^\r\n]*?(?=\s*(Trace ID|Correlation ID|Timestamp|\r|\n|$))/);
  if (aadsts) return aadsts[0].trim();
  const first = text.split(/\r?\n/).find((line) => line.trim()) ?? text;
  return first.replace(/^\w+Credential: /, '').replace(/\s*See the troubleshooting guide.*$/, '').trim();
}

class ExplainedCredential implements TokenCredential {
  constructor(
    private readonly inner: TokenCredential,
    private readonly who: string,
    private readonly hint: string,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    let token: AccessToken | null;
    try {
      token = await this.inner.getToken(scopes, options);
    } catch (err) {
      tl().debug(err instanceof Error && err.stack ? err.stack : String(err));
      throw new AzureSignInError(`Azure sign-in failed for ${this.who}: ${signInReason(err)}. ${this.hint}`);
    }
    if (!token) throw new AzureSignInError(`Azure sign-in for ${this.who} returned no token. ${this.hint}`);
    registerSecret(token.token);
    return token;
  }
}
