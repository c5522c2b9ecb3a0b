// connect() for every connection type and auth scheme, run as the agent runs a task (child process,
// ENDPOINT_* variables, fake Azure trusted via NODE_EXTRA_CA_CERTS), against a fake Entra ID + ARM and a
// stand-in API server answering GET /version.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import type { ConnectionInputs } from '../../shared/inputs/read';
import { fakeEntra, type FakeEntra } from '../cluster/azure/aad';
import { AKS_SERVER_APP_ID, fakeAks, type FakeAks } from '../cluster/azure/aks';
import { startFakeAzure, TLS_DIR, type FakeAzureServer } from '../cluster/azure/server';
import {
  assertSecretsMasked, claimsOf, closedPort, endpointEnv, makeTempDir, runInAgent, startKubeStandIn,
  type KubeStandIn, type RunOutcome, type ServiceConnection,
} from './connection-helpers';
import type { ConnectResult } from './connection-runner';

const SUB = '11111111-2222-3333-4444-555555555555';
const TENANT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const SP = { clientId: 'c1c1c1c1-0000-0000-0000-000000000001', secret: 'sp-secret-Value~123456' };
const CERT_SP = { clientId: 'c2c2c2c2-0000-0000-0000-000000000002' };
const WIF_SP = { clientId: 'c3c3c3c3-0000-0000-0000-000000000003' };
const DENIED_SP = { clientId: 'c4c4c4c4-0000-0000-0000-000000000004', secret: 'denied-secret-987654' };
const MI = { clientId: 'c5c5c5c5-0000-0000-0000-000000000005' };
const WIF_CONNECTION = 'wif-0000-0000-0000-000000000000';
const JOB_TOKEN = 'job-access-token-abcdef123456';
const USER_TOKEN = 'aks-user-token-0123456789abcdef';
const ADMIN_TOKEN = 'aks-admin-token-fedcba9876543210';

type Row = Record<string, string>;

describe('connect: every connection type, run like the agent runs a task', function () {
  this.timeout(60_000);
  let azure: FakeAzureServer;
  let entra: FakeEntra;
  let aks: FakeAks;
  let kube: KubeStandIn;
  let kubeTls: KubeStandIn;
  let unreachable: string;
  let temp: string;

  before(async () => {
    temp = makeTempDir('bg-connection-');
    kube = await startKubeStandIn();
    kubeTls = await startKubeStandIn(true);
    unreachable = `http://127.0.0.1:${await closedPort()}`;
    const certificatePem = fs.readFileSync(path.join(TLS_DIR, 'client.crt'), 'utf8');
    entra = fakeEntra({
      servicePrincipals: [
        { clientId: SP.clientId, tenantId: TENANT, secret: SP.secret },
        { clientId: CERT_SP.clientId, tenantId: TENANT, certificatePem },
        { clientId: WIF_SP.clientId, tenantId: TENANT, federatedSubjects: ['sc://contoso/web/aks-prod-wif'] },
        { clientId: DENIED_SP.clientId, tenantId: TENANT, secret: DENIED_SP.secret },
      ],
      managedIdentities: [{ clientId: MI.clientId, tenantId: TENANT }],
      devOps: { organization: 'contoso', project: 'web', accessToken: JOB_TOKEN, serviceConnections: { [WIF_CONNECTION]: 'aks-prod-wif' } },
    });
    const cluster = { subscriptionId: SUB, resourceGroup: 'rg', userToken: USER_TOKEN, adminToken: ADMIN_TOKEN, server: () => kube.url };
    aks = fakeAks({
      entra,
      clusters: [
        { ...cluster, name: 'aks-local', flavour: 'local' },
        { ...cluster, name: 'aks-entra', flavour: 'entra' },
        { ...cluster, name: 'aks-gone', flavour: 'local', server: () => unreachable },
      ],
      authorize: (clientId) => clientId !== DENIED_SP.clientId,
    });
    azure = await startFakeAzure([entra.handler, aks.handler]);
  });

  after(async () => {
    await Promise.all([azure?.close(), kube?.close(), kubeTls?.close()]);
    fs.rmSync(temp, { recursive: true, force: true });
  });

  let workDir: string;
  beforeEach(() => (workDir = makeTempDir('work-', temp)));

  const connectIn = (inputs: Partial<ConnectionInputs>, env: Row, dispose = false) =>
    runInAgent<ConnectResult>({ mode: 'connect', inputs: { useClusterAdmin: false, ...inputs } as ConnectionInputs, workDir, reachabilityTimeoutMs: 5000, dispose }, env, temp);

  const ok = (outcome: RunOutcome<ConnectResult>): ConnectResult => {
    assert.ok(outcome.result, `connect failed: ${outcome.error?.message ?? outcome.stderr}`);
    return outcome.result;
  };
  const failure = (outcome: RunOutcome<ConnectResult>): string => {
    assert.equal(outcome.result, undefined, 'connect should have failed');
    assert.ok(outcome.error, `no error reported: ${outcome.stderr}`);
    assert.doesNotMatch(outcome.stdout + outcome.stderr, /\n\s+at .+\(.*\.js:\d+/, 'no stack trace');
    return outcome.error.message;
  };
  const kubeconfigOf = (result: ConnectResult) => {
    assert.equal(fs.statSync(result.kubeconfigPath).mode & 0o777, 0o600);
    assert.equal(path.dirname(result.kubeconfigPath), workDir);
    return YAML.parse(fs.readFileSync(result.kubeconfigPath, 'utf8')) as {
      'current-context': string;
      contexts: Array<{ name: string; context: { namespace?: string } }>;
      clusters: Array<{ cluster: Record<string, unknown> }>;
      users: Array<{ name: string; user: Record<string, unknown> }>;
    };
  };

  const armConnection = (parameters: Row, scheme = 'ServicePrincipal', data: Row = {}): ServiceConnection => ({
    url: `${azure.url}/`,
    scheme,
    parameters: { tenantid: TENANT, ...parameters },
    data: { subscriptionId: SUB, environmentAuthorityUrl: `${azure.url}/`, ...data },
  });
  const aksInputs = (cluster: string, admin = false): Partial<ConnectionInputs> => ({
    type: 'Azure Resource Manager', endpoint: 'arm', resourceGroup: 'rg', cluster, useClusterAdmin: admin,
  });

  describe('Kubernetes service connection', () => {
    const kubeconfigText = (current: string) =>
      YAML.stringify({
        apiVersion: 'v1', kind: 'Config', 'current-context': current,
        clusters: [{ name: 'down', cluster: { server: unreachable } }, { name: 'up', cluster: { server: kube.url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'u', user: { token: 'kubeconfig-user-token-42424242' } }],
        contexts: [{ name: 'a', context: { cluster: 'down', user: 'u' } }, { name: 'b', context: { cluster: 'up', user: 'u' } }],
      });
    const kubeconfigConnection = (clusterContext?: string): Row =>
      endpointEnv('k8s', { url: kube.url, scheme: 'Kubernetes', parameters: { kubeconfig: kubeconfigText('a'), ...(clusterContext ? { clusterContext } : {}) }, data: { authorizationType: 'Kubeconfig' } });

    it('kubeconfig: uses the connection\'s clusterContext, writes 0600, masks the token', async () => {
      const outcome = await connectIn({ type: 'Kubernetes Service Connection', endpoint: 'k8s' }, kubeconfigConnection('b'));
      const result = ok(outcome);
      assert.equal(result.context, 'b');
      assert.equal(result.currentContextFromClient, 'b');
      assert.equal(result.server, kube.url);
      assert.equal(result.serverVersion, 'v1.31.2');
      assert.equal(kubeconfigOf(result)['current-context'], 'b');
      assert.equal(kube.authorizations.at(-1), 'Bearer kubeconfig-user-token-42424242');
      assertSecretsMasked(outcome, ['kubeconfig-user-token-42424242']);
    });

    it('kubeconfig: the task\'s context input overrides clusterContext; dispose deletes the file', async () => {
      const result = ok(await connectIn({ type: 'Kubernetes Service Connection', endpoint: 'k8s', context: 'b' }, kubeconfigConnection('a'), true));
      assert.equal(result.context, 'b');
      assert.equal(result.kubeconfigExists, false);
      assert.deepEqual(fs.readdirSync(workDir), []);
    });

    it('kubeconfig: an unknown context fails and lists the available ones', async () => {
      const message = failure(await connectIn({ type: 'Kubernetes Service Connection', endpoint: 'k8s', context: 'prod' }, kubeconfigConnection()));
      assert.equal(message, "Context 'prod' is not in the kubeconfig from Kubernetes service connection 'k8s' (available contexts: a, b).");
      assert.deepEqual(fs.readdirSync(workDir), []);
    });

    it('service account: base64 token and CA as the service stores them, TLS verified against the CA', async () => {
      const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6d2ViOmRlcGxveSJ9.c2lnbmF0dXJl';
      const ca = fs.readFileSync(path.join(TLS_DIR, 'ca.crt'));
      const env = endpointEnv('sa', {
        url: kubeTls.url, scheme: 'Token',
        parameters: { apitoken: Buffer.from(token).toString('base64'), serviceAccountCertificate: ca.toString('base64'), isCreatedFromSecretYaml: 'true' },
        data: { authorizationType: 'ServiceAccount' },
      });
      const outcome = await connectIn({ type: 'Kubernetes Service Connection', endpoint: 'sa' }, env);
      const result = ok(outcome);
      assert.equal(result.describe, 'Kubernetes service connection (service account)');
      assert.equal(kubeTls.authorizations.at(-1), `Bearer ${token}`);
      assert.equal(kubeconfigOf(result).clusters[0]?.cluster['certificate-authority-data'], ca.toString('base64'));
      assertSecretsMasked(outcome, [token]);
    });

    it('Environment Kubernetes resource (AzureSubscription): service account in the resource\'s namespace', async () => {
      const token = 'eyJhbGciOiJSUzI1NiJ9.ZW52aXJvbm1lbnQ.c2ln';
      const env = endpointEnv('envres', {
        url: kubeTls.url, scheme: 'Kubernetes',
        parameters: { azureEnvironment: 'AzureCloud', azureTenantId: TENANT, apitoken: Buffer.from(token).toString('base64'), serviceAccountCertificate: fs.readFileSync(path.join(TLS_DIR, 'ca.crt')).toString('base64') },
        data: { authorizationType: 'AzureSubscription', azureSubscriptionId: SUB, clusterId: `/subscriptions/${SUB}/resourcegroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1`, namespace: 'web' },
      });
      const outcome = await connectIn({ type: 'Kubernetes Service Connection', endpoint: 'envres' }, env);
      const result = ok(outcome);
      assert.equal(result.describe, 'Environment Kubernetes resource: AKS cluster rg/aks1, namespace web (service account)');
      assert.equal(kubeconfigOf(result).contexts[0]?.context.namespace, 'web');
      assert.equal(kubeTls.authorizations.at(-1), `Bearer ${token}`);
      assertSecretsMasked(outcome, [token]);
    });

    it('a connection the job does not have fails clearly', async () => {
      const message = failure(await connectIn({ type: 'Kubernetes Service Connection', endpoint: 'missing-id' }, {}));
      assert.match(message, /^Service connection 'missing-id' is not available to this job: check its name or id/);
      const none = failure(await connectIn({ type: 'Kubernetes Service Connection' }, {}));
      assert.match(none, /^No Kubernetes service connection is set/);
    });
  });

  describe('Azure Resource Manager connection + AKS cluster', () => {
    it('service principal with a secret: user credentials of a local-accounts cluster', async () => {
      const outcome = await connectIn(aksInputs('aks-local'), endpointEnv('arm', armConnection({ serviceprincipalid: SP.clientId, serviceprincipalkey: SP.secret, authenticationType: 'spnKey' })));
      const result = ok(outcome);
      assert.equal(result.describe, `AKS cluster rg/aks-local (user credentials, service principal ${SP.clientId} (client secret) in tenant ${TENANT})`);
      assert.equal(kubeconfigOf(result).users[0]?.user.token, USER_TOKEN);
      assert.equal(kube.authorizations.at(-1), `Bearer ${USER_TOKEN}`);
      const call = aks.calls.at(-1);
      assert.deepEqual([call?.action, call?.clientId, call?.status], ['listClusterUserCredential', SP.clientId, 200]);
      const armToken = entra.issued.find((t) => t.clientId === SP.clientId && t.scope === `${azure.url}/.default`);
      assert.equal(armToken?.grant, 'client_secret');
      assertSecretsMasked(outcome, [SP.secret, USER_TOKEN, armToken.token]);
    });

    it('service principal with a certificate: the assertion is verified against client.crt', async () => {
      const pem = fs.readFileSync(path.join(TLS_DIR, 'client.pem'), 'utf8');
      const outcome = await connectIn(aksInputs('aks-local'), endpointEnv('arm', armConnection({ serviceprincipalid: CERT_SP.clientId, authenticationType: 'spnCertificate', servicePrincipalCertificate: pem })));
      const result = ok(outcome);
      assert.match(result.describe, /service principal c2c2c2c2-0000-0000-0000-000000000002 \(certificate\)/);
      assert.equal(entra.issued.filter((t) => t.clientId === CERT_SP.clientId).at(-1)?.grant, 'client_certificate');
      const keyLine = pem.split('\n').find((l) => l.length > 40 && !l.startsWith('-----') && pem.indexOf(l) > pem.indexOf('PRIVATE KEY'));
      assertSecretsMasked(outcome, [keyLine ?? 'missing key line']);
    });

    it('workload identity federation: the pipeline\'s OIDC token is the client assertion', async () => {
      const env = {
        ...endpointEnv(WIF_CONNECTION, armConnection({ serviceprincipalid: WIF_SP.clientId, workloadIdentityFederationSubject: 'sc://contoso/web/aks-prod-wif' }, 'WorkloadIdentityFederation')),
        ...endpointEnv('SYSTEMVSSCONNECTION', { url: 'https://dev.azure.com/contoso/', scheme: 'OAuth', parameters: { AccessToken: JOB_TOKEN } }),
        SYSTEM_OIDCREQUESTURI: `${azure.url}${entra.oidcRequestPath}`,
      };
      const outcome = await connectIn({ ...aksInputs('aks-local'), endpoint: WIF_CONNECTION }, env);
      const result = ok(outcome);
      assert.match(result.describe, /service principal c3c3c3c3-0000-0000-0000-000000000003 \(workload identity federation\)/);
      assert.equal(entra.issued.filter((t) => t.clientId === WIF_SP.clientId).at(-1)?.grant, 'client_assertion');
      const oidcCall = azure.requests.filter((r) => r.path === entra.oidcRequestPath).at(-1);
      assert.equal(oidcCall?.query.get('serviceConnectionId'), WIF_CONNECTION);
      assert.equal(oidcCall?.query.get('api-version'), '7.1');
      assertSecretsMasked(outcome, [USER_TOKEN]);
    });

    it('managed identity (user-assigned client id) through an IMDS-style endpoint', async () => {
      const env = { ...endpointEnv('arm', armConnection({}, 'ManagedServiceIdentity', { msiclientId: MI.clientId })), AZURE_POD_IDENTITY_AUTHORITY_HOST: azure.url };
      const result = ok(await connectIn(aksInputs('aks-local'), env));
      assert.match(result.describe, /managed identity c5c5c5c5-0000-0000-0000-000000000005/);
      assert.equal(entra.issued.filter((t) => t.clientId === MI.clientId).at(-1)?.grant, 'managed_identity');
      assert.equal(aks.calls.at(-1)?.clientId, MI.clientId);
    });

    it('Entra ID cluster: kubelogin user replaced by a bearer token for the AKS server application', async () => {
      const outcome = await connectIn(aksInputs('aks-entra'), endpointEnv('arm', armConnection({ serviceprincipalid: SP.clientId, serviceprincipalkey: SP.secret })));
      const result = ok(outcome);
      assert.match(result.describe, /^AKS cluster rg\/aks-entra \(user credentials, Entra ID token, /);
      const { users } = kubeconfigOf(result);
      assert.deepEqual(Object.keys(users[0]?.user ?? {}), ['token']);
      const claims = claimsOf(String(users[0]?.user.token));
      assert.deepEqual([claims.appid, claims.aud, claims.scp], [SP.clientId, AKS_SERVER_APP_ID, `${AKS_SERVER_APP_ID}/.default`]);
      assert.equal(kube.authorizations.at(-1), `Bearer ${String(users[0]?.user.token)}`);
      assertSecretsMasked(outcome, [String(users[0]?.user.token), SP.secret]);
    });

    it('admin credentials: plain admin user, no AKS server token requested', async () => {
      const issuedBefore = entra.issued.length;
      const result = ok(await connectIn(aksInputs('aks-entra', true), endpointEnv('arm', armConnection({ serviceprincipalid: SP.clientId, serviceprincipalkey: SP.secret }))));
      assert.match(result.describe, /\(admin credentials, service principal/);
      assert.equal(kubeconfigOf(result).users[0]?.user.token, ADMIN_TOKEN);
      assert.equal(aks.calls.at(-1)?.action, 'listClusterAdminCredential');
      assert.ok(entra.issued.slice(issuedBefore).every((t) => t.scope !== `${AKS_SERVER_APP_ID}/.default`));
    });

    it('a wrong client secret fails with Entra ID\'s reason and the identity', async () => {
      const message = failure(await connectIn(aksInputs('aks-local'), endpointEnv('arm', armConnection({ serviceprincipalid: SP.clientId, serviceprincipalkey: 'wrong-secret-000000' }))));
      assert.match(message, /^Azure sign-in failed for service principal c1c1c1c1-0000-0000-0000-000000000001 \(client secret\) in tenant aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee: AADSTS7000215: Invalid client secret provided\..*Check the client secret in the service connection; it may have expired\.$/);
      assert.doesNotMatch(message, /Trace ID/);
    });

    it('an identity without the cluster role gets ARM\'s AuthorizationFailed and the role to grant', async () => {
      const message = failure(await connectIn(aksInputs('aks-local'), endpointEnv('arm', armConnection({ serviceprincipalid: DENIED_SP.clientId, serviceprincipalkey: DENIED_SP.secret }))));
      assert.match(message, /^Azure refused listClusterUserCredential on AKS cluster rg\/aks-local for service principal c4c4c4c4-0000-0000-0000-000000000004 \(client secret\) in tenant \S+: The client 'c4c4c4c4-0000-0000-0000-000000000004' with object id '\S+' does not have authorization to perform action 'Microsoft.ContainerService\/managedClusters\/listClusterUserCredential\/action'/);
      assert.match(message, /Grant the identity the 'Azure Kubernetes Service Cluster User Role' on the cluster\.$/);
    });

    it('an unknown cluster fails saying where it looked', async () => {
      const message = failure(await connectIn(aksInputs('aks-nope'), endpointEnv('arm', armConnection({ serviceprincipalid: SP.clientId, serviceprincipalkey: SP.secret }))));
      assert.match(message, new RegExp(`^AKS cluster rg/aks-nope was not found in subscription ${SUB} \\(ResourceNotFound\\)`));
    });

    it('an unreachable API server fails in one sentence and leaves no kubeconfig behind', async () => {
      const message = failure(await connectIn(aksInputs('aks-gone'), endpointEnv('arm', armConnection({ serviceprincipalid: SP.clientId, serviceprincipalkey: SP.secret }))));
      const port = new URL(unreachable).port;
      assert.equal(message, `Cannot reach the Kubernetes API server at ${unreachable}: connect ECONNREFUSED 127.0.0.1:${port}. Check the service connection and that the agent can reach the cluster.`);
      assert.deepEqual(fs.readdirSync(workDir), []);
    });
  });

  describe('kubeconfig file', () => {
    it('resolves relative paths against the file, honours the context input, copies 0600', async () => {
      const dir = makeTempDir('kc-', temp);
      fs.copyFileSync(path.join(TLS_DIR, 'ca.crt'), path.join(dir, 'ca.crt'));
      const file = path.join(dir, 'config');
      fs.writeFileSync(file, YAML.stringify({
        apiVersion: 'v1', kind: 'Config', 'current-context': 'other',
        clusters: [{ name: 'tls', cluster: { server: kubeTls.url, 'certificate-authority': 'ca.crt' } }],
        users: [{ name: 'u', user: { token: 'file-user-token-31415926' } }],
        contexts: [{ name: 'other', context: { cluster: 'tls', user: 'nobody' } }, { name: 'main', context: { cluster: 'tls', user: 'u' } }],
      }), { mode: 0o644 });
      const outcome = await connectIn({ type: 'Kubeconfig File', kubeconfigFile: file, context: 'main' }, {});
      const result = ok(outcome);
      assert.equal(result.describe, `kubeconfig file ${file}`);
      assert.equal(kubeconfigOf(result).clusters[0]?.cluster['certificate-authority'], path.join(dir, 'ca.crt'));
      assert.equal(fs.statSync(file).mode & 0o777, 0o644, 'the user\'s file is untouched');
      assertSecretsMasked(outcome, ['file-user-token-31415926']);
    });

    it('a file that is not a kubeconfig fails clearly', async () => {
      const file = path.join(temp, 'not-a-kubeconfig.yaml');
      fs.writeFileSync(file, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n');
      const message = failure(await connectIn({ type: 'Kubeconfig File', kubeconfigFile: file }, {}));
      assert.equal(message, `The kubeconfig from file ${file} is not a kubeconfig: kind is 'Deployment', expected 'Config'.`);
    });
  });
});
