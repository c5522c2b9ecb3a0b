// azureCredential(): the credential the AKS connection and the Traffic Manager router share, for each
// scheme of an Azure Resource Manager service connection, against the fake Entra ID (child process like
// the agent runs a task).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { signInReason } from '../../shared/azure/credentials';
import { fakeEntra, type FakeEntra } from '../cluster/azure/aad';
import { startFakeAzure, TLS_DIR, type FakeAzureServer } from '../cluster/azure/server';
import { assertSecretsMasked, endpointEnv, makeTempDir, runInAgent, type ServiceConnection } from './connection-helpers';
import type { AzureResult } from './connection-runner';

const SUB = '99999999-2222-3333-4444-555555555555';
const TENANT = 'tttttttt-bbbb-cccc-dddd-eeeeeeeeeeee';
const SECRET_SP = { clientId: 'a1a1a1a1-0000-0000-0000-000000000001', secret: 'azure-test-secret-value-1' };
const CERT_SP = { clientId: 'a2a2a2a2-0000-0000-0000-000000000002' };
const WIF_SP = { clientId: 'a3a3a3a3-0000-0000-0000-000000000003' };
const MI = { clientId: 'a5a5a5a5-0000-0000-0000-000000000005' };

describe('azureCredential: ARM service connection schemes', function () {
  this.timeout(60_000);
  let azure: FakeAzureServer;
  let entra: FakeEntra;
  let temp: string;

  before(async () => {
    temp = makeTempDir('bg-azure-');
    entra = fakeEntra({
      servicePrincipals: [
        { clientId: SECRET_SP.clientId, tenantId: TENANT, secret: SECRET_SP.secret },
        { clientId: CERT_SP.clientId, tenantId: TENANT, certificatePem: fs.readFileSync(path.join(TLS_DIR, 'client.crt'), 'utf8') },
        { clientId: WIF_SP.clientId, tenantId: TENANT, federatedSubjects: ['sc://contoso/web/tm-wif'] },
      ],
      managedIdentities: [{ clientId: MI.clientId, tenantId: TENANT, systemAssigned: true }],
      devOps: { organization: 'contoso', project: 'web', accessToken: 'job-token-for-azure-tests', serviceConnections: { 'tm-wif-id': 'tm-wif' } },
    });
    azure = await startFakeAzure([entra.handler]);
  });
  after(async () => {
    await azure?.close();
    fs.rmSync(temp, { recursive: true, force: true });
  });

  const connection = (scheme: string, parameters: Record<string, string>, data: Record<string, string> = {}): ServiceConnection => ({
    url: `${azure.url}/`,
    scheme,
    parameters: { tenantid: TENANT, ...parameters },
    data: { subscriptionId: SUB, environmentAuthorityUrl: `${azure.url}/`, ...data },
  });
  const credentialIn = (id: string, sc: ServiceConnection | undefined, extraEnv: Record<string, string> = {}, scope?: string) =>
    runInAgent<AzureResult>({ mode: 'azure', endpoint: id, scope }, { ...(sc ? endpointEnv(id, sc) : {}), ...extraEnv }, temp);

  it('client secret: ARM token for the connection\'s ARM URL, from its authority', async () => {
    const outcome = await credentialIn('arm', connection('ServicePrincipal', { serviceprincipalid: SECRET_SP.clientId, serviceprincipalkey: SECRET_SP.secret, authenticationType: 'spnKey' }));
    const result = outcome.result;
    assert.ok(result, outcome.error?.message ?? outcome.stderr);
    assert.deepEqual(
      { describe: result.describe, scheme: result.scheme, clientId: result.clientId, tenantId: result.tenantId, subscriptionId: result.subscriptionId, armUrl: result.armUrl, armScope: result.armScope, authorityHost: result.authorityHost },
      {
        describe: `service principal ${SECRET_SP.clientId} (client secret) in tenant ${TENANT}`,
        scheme: 'ServicePrincipal', clientId: SECRET_SP.clientId, tenantId: TENANT, subscriptionId: SUB,
        armUrl: azure.url, armScope: `${azure.url}/.default`, authorityHost: azure.url,
      },
    );
    assert.deepEqual([result.claims.appid, result.claims.aud, result.claims.tid], [SECRET_SP.clientId, azure.url, TENANT]);
    const token = entra.issued.filter((t) => t.clientId === SECRET_SP.clientId).at(-1)?.token ?? 'none';
    assertSecretsMasked(outcome, [SECRET_SP.secret, token]);
    assert.ok(azure.requests.some((r) => r.path === `/${TENANT}/v2.0/.well-known/openid-configuration`), 'tenant discovery at the authority');
    assert.ok(!azure.requests.some((r) => r.path === '/common/discovery/instance'), 'instance discovery disabled for a private authority');
  });

  it('certificate, workload identity federation and system-assigned managed identity each get a token for any scope', async () => {
    const pem = fs.readFileSync(path.join(TLS_DIR, 'client.pem'), 'utf8');
    const cert = await credentialIn('arm', connection('ServicePrincipal', { serviceprincipalid: CERT_SP.clientId, authenticationType: 'spnCertificate', servicePrincipalCertificate: pem }), {}, 'https://example.test/.default');
    assert.equal(cert.result?.claims.appid, CERT_SP.clientId, cert.error?.message);
    assert.equal(cert.result?.claims.aud, 'https://example.test');

    const wif = await credentialIn('tm-wif-id', connection('WorkloadIdentityFederation', { serviceprincipalid: WIF_SP.clientId }), {
      ...endpointEnv('SYSTEMVSSCONNECTION', { url: 'https://dev.azure.com/contoso/', scheme: 'OAuth', parameters: { AccessToken: 'job-token-for-azure-tests' } }),
      SYSTEM_OIDCREQUESTURI: `${azure.url}${entra.oidcRequestPath}`,
    });
    assert.equal(wif.result?.claims.appid, WIF_SP.clientId, wif.error?.message);
    assert.equal(wif.result?.scheme, 'WorkloadIdentityFederation');
    assertSecretsMasked(wif, ['job-token-for-azure-tests']);

    const mi = await credentialIn('arm', connection('ManagedServiceIdentity', {}), { AZURE_POD_IDENTITY_AUTHORITY_HOST: azure.url });
    assert.equal(mi.result?.describe, `the agent's system-assigned managed identity in tenant ${TENANT}`, mi.error?.message);
    assert.equal(mi.result?.claims.appid, MI.clientId);
  });

  it('connections it cannot use fail before any network call, saying what to change', async () => {
    const before = azure.requests.length;
    const unsupported = await credentialIn('arm', connection('PublishProfile', { serviceprincipalid: SECRET_SP.clientId }));
    assert.match(unsupported.error?.message ?? '', /uses scheme 'PublishProfile', which this task does not support; use a service principal/);
    const noSubscription = await credentialIn('arm', { ...connection('ServicePrincipal', { serviceprincipalid: SECRET_SP.clientId, serviceprincipalkey: 'x' }), data: { scopeLevel: 'ManagementGroup' } });
    assert.match(noSubscription.error?.message ?? '', /is not scoped to a subscription/);
    const noSecret = await credentialIn('arm', connection('ServicePrincipal', { serviceprincipalid: SECRET_SP.clientId }));
    assert.equal(noSecret.error?.message, "Azure Resource Manager service connection 'arm' (ServicePrincipal) has no client secret; edit the service connection.");
    const noOidc = await credentialIn('arm', connection('WorkloadIdentityFederation', { serviceprincipalid: WIF_SP.clientId }), endpointEnv('SYSTEMVSSCONNECTION', { scheme: 'OAuth', parameters: { AccessToken: 'abcdefgh12345678' } }));
    assert.match(noOidc.error?.message ?? '', /needs the System.OidcRequestUri variable/);
    const missing = await credentialIn('nowhere', undefined);
    assert.match(missing.error?.message ?? '', /^Azure Resource Manager service connection 'nowhere' is not available to this job/);
    assert.equal(azure.requests.length, before);
  });

  it('a federated credential that does not match the connection fails with Entra ID\'s reason', async () => {
    const outcome = await credentialIn('tm-wif-id', connection('WorkloadIdentityFederation', { serviceprincipalid: SECRET_SP.clientId }), {
      ...endpointEnv('SYSTEMVSSCONNECTION', { scheme: 'OAuth', parameters: { AccessToken: 'job-token-for-azure-tests' } }),
      SYSTEM_OIDCREQUESTURI: `${azure.url}${entra.oidcRequestPath}`,
    });
    assert.match(outcome.error?.message ?? '', /^Azure sign-in failed for service principal a1a1a1a1-\S+ \(workload identity federation\) in tenant \S+: AADSTS700213: No matching federated identity record found for presented assertion subject 'sc:\/\/contoso\/web\/tm-wif'\..* Check that the app registration has a federated credential/);
  });
});

describe('signInReason', () => {
  it('keeps the AADSTS sentence and drops trace ids and SDK prefixes', () => {
    const aad = 'ClientSecretCredential: invalid_client: AADSTS7000215: Invalid client secret provided. Ensure the secret is right.\r\nTrace ID: 1\r\nCorrelation ID: 2';
    assert.equal(signInReason(new Error(aad)), 'AADSTS7000215: Invalid client secret provided. Ensure the secret is right.');
    assert.equal(signInReason(new Error('ManagedIdentityCredential: Network unreachable. See the troubleshooting guide for more information: https://aka.ms/x')), 'Network unreachable.');
  });
});
