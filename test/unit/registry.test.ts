// Chart registry credentials (shared/helm/registry-auth.ts): the config files helm reads, which registry a Docker
// registry connection may be used for, and the ACR token exchange against the fake Entra ID and a fake ACR
// login server (child process like the agent runs a task, so service connections arrive as ENDPOINT_*).
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { type ChartInputs, InputError, readDeployInputs } from '../../shared/inputs/read';
import { ACR_TOKEN_USER, PRIVATE_REPO_NAME, registryConfigText, registryHost, repositoryConfigText, sameRegistry, writeChartAccess } from '../../shared/helm/registry-auth';
import { fakeEntra, type FakeEntra } from '../cluster/azure/aad';
import { type FakeAcr, startFakeAcr } from '../cluster/azure/acr';
import { startFakeAzure, type FakeAzureServer } from '../cluster/azure/server';
import { assertSecretsMasked, endpointEnv, makeTempDir, runInAgent, type ServiceConnection } from './connection-helpers';
import type { RegistryResult } from './connection-runner';
import { fakeSource } from './fake-inputs';
import { must } from '../must';

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
const CREDS = { username: 'deployer', password: 'p@ss:wörd/"1' };

describe('chart registry credentials: config files', () => {
  let work: string;
  beforeEach(() => (work = makeTempDir('bg-registry-')));
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  it('registryHost: the host[:port] of a host, URL or oci:// reference, lower-cased', () => {
    assert.equal(registryHost('oci://MyAcr.azurecr.io/helm/calc'), 'myacr.azurecr.io');
    assert.equal(registryHost('https://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
    assert.equal(registryHost('registry.example:443'), 'registry.example:443', 'as written: helm looks credentials up under it');
    assert.equal(registryHost('myacr.azurecr.io'), 'myacr.azurecr.io');
    assert.equal(registryHost('https://index.docker.io/v1/'), 'index.docker.io');
  });

  it('sameRegistry: only the same host, or two names of Docker Hub', () => {
    assert.ok(sameRegistry('index.docker.io', 'registry-1.docker.io'));
    assert.ok(sameRegistry('myacr.azurecr.io', 'myacr.azurecr.io'));
    assert.ok(!sameRegistry('myacr.azurecr.io', 'myacr.azurecr.io.evil.example'));
    assert.ok(!sameRegistry('127.0.0.1:5000', '127.0.0.1:5001'));
    assert.ok(sameRegistry('registry.example:443', 'registry.example'), 'https default port');
  });

  it("the registry config is Docker's config.json with base64 user:password under the host (Docker Hub also under its index URL)", () => {
    const config = JSON.parse(registryConfigText('myacr.azurecr.io', CREDS)) as { auths: Record<string, { auth: string }> };
    assert.deepEqual(Object.keys(config.auths), ['myacr.azurecr.io']);
    assert.equal(Buffer.from(config.auths['myacr.azurecr.io']?.auth ?? '', 'base64').toString('utf8'), `${CREDS.username}:${CREDS.password}`);
    const hub = JSON.parse(registryConfigText('registry-1.docker.io', CREDS)) as { auths: Record<string, unknown> };
    assert.deepEqual(Object.keys(hub.auths), ['registry-1.docker.io', 'https://index.docker.io/v1/']);
  });

  it("the repositories file has one entry with the credentials, which helm sends only to the repository's own host", () => {
    const file = YAML.parse(repositoryConfigText('https://charts.example/stable', CREDS)) as { repositories: Array<Record<string, unknown>> };
    assert.equal(file.repositories.length, 1);
    assert.deepEqual(
      { ...file.repositories[0] },
      { name: PRIVATE_REPO_NAME, url: 'https://charts.example/stable', username: CREDS.username, password: CREDS.password, caFile: '', certFile: '', keyFile: '', insecure_skip_tls_verify: false, pass_credentials_all: false },
    );
  });

  it('writeChartAccess: private files (0600) in the work directory, and the helm variables that point at them', () => {
    const oci: ChartInputs = { chart: 'oci://myacr.azurecr.io/helm/calc', version: '1.0.0' };
    const registry = writeChartAccess(work, oci, { ...CREDS, source: 'user deployer' });
    assert.deepEqual(Object.keys(registry.env), ['HELM_REGISTRY_CONFIG']);
    assert.ok(registry.env.HELM_REGISTRY_CONFIG?.startsWith(`${work}${path.sep}`));
    assert.equal(fs.statSync(must(registry.env.HELM_REGISTRY_CONFIG, 'HELM_REGISTRY_CONFIG')).mode & 0o777, 0o600);
    assert.equal(registry.repoName, undefined);
    assert.equal(registry.describe, 'registry myacr.azurecr.io with the credentials of user deployer');
    assert.ok(!registry.describe.includes(CREDS.password));

    const repo: ChartInputs = { chart: 'calc', repository: 'https://charts.example/stable' };
    const repository = writeChartAccess(work, repo, { ...CREDS, source: 'user deployer' });
    assert.deepEqual(Object.keys(repository.env).sort(), ['HELM_REPOSITORY_CACHE', 'HELM_REPOSITORY_CONFIG']);
    assert.equal(fs.statSync(must(repository.env.HELM_REPOSITORY_CONFIG, 'HELM_REPOSITORY_CONFIG')).mode & 0o777, 0o600);
    assert.ok(repository.env.HELM_REPOSITORY_CACHE?.startsWith(`${work}${path.sep}`));
    assert.equal(repository.repoName, PRIVATE_REPO_NAME);
  });
});

describe('chart registry sign-in inputs', () => {
  const base = { name: 'calc', namespace: 'calc', host: 'calc.contoso.com', kubernetesServiceEndpoint: 'k8s' };
  const oci = { ...base, chart: 'oci://myacr.azurecr.io/helm/calc' };
  const read = (inputs: Record<string, string>) => readDeployInputs(fakeSource(inputs));
  const refused = (inputs: Record<string, string>, pattern: RegExp) => assert.throws(() => read(inputs), (err: Error) => err instanceof InputError && pattern.test(err.message));

  it('none (the default) adds nothing', () => {
    assert.equal(read(oci).chart.auth, undefined);
  });

  it('dockerRegistry needs its connection; azureContainerRegistry falls back to the cluster\'s Azure connection', () => {
    assert.deepEqual(read({ ...oci, chartRegistryAuth: 'dockerRegistry', dockerRegistryConnection: 'reg' }).chart.auth, { kind: 'dockerRegistry', endpoint: 'reg' });
    refused({ ...oci, chartRegistryAuth: 'dockerRegistry' }, /Input 'dockerRegistryConnection' \(Docker registry service connection of the chart registry\) is required with 'chartRegistryAuth' dockerRegistry/);
    const arm = { connectionType: 'Azure Resource Manager', azureSubscriptionEndpoint: 'arm', azureResourceGroup: 'rg', kubernetesCluster: 'aks' };
    assert.deepEqual(read({ ...oci, ...arm, chartRegistryAuth: 'azureContainerRegistry' }).chart.auth, { kind: 'azureContainerRegistry', endpoint: 'arm' });
    assert.deepEqual(read({ ...oci, ...arm, chartRegistryAuth: 'azureContainerRegistry', chartAzureSubscription: 'acr' }).chart.auth, { kind: 'azureContainerRegistry', endpoint: 'acr' });
    refused({ ...oci, chartRegistryAuth: 'azureContainerRegistry' }, /Input 'chartAzureSubscription' .* is required/);
  });

  it('basic: the password is read without echo and registered as a secret at once', () => {
    const src = fakeSource({ ...base, chart: 'calc', chartRepository: 'https://charts.example', chartRegistryAuth: 'basic', chartUsername: 'u', chartPassword: 'pw-123456' });
    assert.deepEqual(readDeployInputs(src).chart.auth, { kind: 'basic', username: 'u', password: 'pw-123456' });
    assert.ok(src.readSecretly.has('chartPassword') && !src.read.has('chartPassword'));
    assert.deepEqual([...new Set(src.secrets)], ['pw-123456']);
    refused({ ...oci, chartRegistryAuth: 'basic', chartUsername: 'u' }, /Input 'chartPassword' .* is required with 'chartRegistryAuth' basic/);
  });

  it('refuses sign-in where it makes no sense: a local chart, a registry kind for a classic repository, an unknown kind', () => {
    refused({ ...base, chart: '.', chartRegistryAuth: 'basic', chartUsername: 'u', chartPassword: 'p' }, /is not fetched from a registry or repository/);
    refused({ ...base, chart: 'calc', chartRepository: 'https://charts.example', chartRegistryAuth: 'dockerRegistry', dockerRegistryConnection: 'reg' }, /signs in to an OCI registry, but the chart comes from the classic repository https:\/\/charts\.example; use an oci:\/\/ chart reference, or 'basic'/);
    refused({ ...oci, chartRegistryAuth: 'kerberos' }, /Input 'chartRegistryAuth' is 'kerberos', which is not one of: none, dockerRegistry, azureContainerRegistry, basic/);
  });
});

describe('chart registry credentials: service connections and the ACR token exchange', function () {
  this.timeout(60_000);
  const TENANT = 'tttttttt-0000-0000-0000-0000000000ac';
  const PULLER = { clientId: 'c1c1c1c1-0000-0000-0000-000000000001', secret: 'acr-puller-secret-1' };
  const OTHER = { clientId: 'c2c2c2c2-0000-0000-0000-000000000002', secret: 'acr-other-secret-2' };
  const REFRESH = 'acr-refresh-token-for-unit-tests';
  let azure: FakeAzureServer;
  let entra: FakeEntra;
  let acr: FakeAcr;
  let temp: string;

  before(async () => {
    temp = makeTempDir('bg-acr-');
    entra = fakeEntra({ servicePrincipals: [PULLER, OTHER].map((sp) => ({ ...sp, tenantId: TENANT })) });
    azure = await startFakeAzure([entra.handler]);
    // The exchange is all these tests use: the registry behind it is never asked.
    acr = await startFakeAcr({ entra, audiences: [azure.url], tenantId: TENANT, pullers: [PULLER.clientId], refreshToken: REFRESH, backend: '127.0.0.1:9' });
  });
  after(async () => {
    await acr?.close();
    await azure?.close();
    fs.rmSync(temp, { recursive: true, force: true });
  });

  const arm = (sp: typeof PULLER): ServiceConnection => ({
    url: `${azure.url}/`,
    scheme: 'ServicePrincipal',
    parameters: { tenantid: TENANT, serviceprincipalid: sp.clientId, authenticationType: 'spnKey', serviceprincipalkey: sp.secret },
    data: { subscriptionId: 'ssssssss-0000-0000-0000-000000000001', environmentAuthorityUrl: `${azure.url}/` },
  });
  const signIn = (id: string, sc: ServiceConnection, chart: ChartInputs, kind: 'azureContainerRegistry' | 'dockerRegistry') =>
    runInAgent<RegistryResult>({ mode: 'registry', chart, auth: { kind, endpoint: id } }, endpointEnv(id, sc), temp);

  it('ACR: the ARM token of the connection is exchanged for a refresh token; helm signs in as the zero GUID', async () => {
    const before = acr.exchanges.length;
    const outcome = await signIn('acr', arm(PULLER), { chart: `oci://${acr.host}/helm/calc` }, 'azureContainerRegistry');
    assert.ok(outcome.result, outcome.error?.message ?? outcome.stderr);
    assert.equal(outcome.result.username, ACR_TOKEN_USER);
    assert.equal(outcome.result.passwordSha256, sha256(REFRESH));
    assert.match(outcome.result.source, new RegExp(`Azure Resource Manager connection 'acr' \\(service principal ${PULLER.clientId}`));
    assert.deepEqual(acr.exchanges.slice(before), [{ clientId: PULLER.clientId, status: 200 }]);
    const token = entra.issued.filter((t) => t.clientId === PULLER.clientId).at(-1);
    assert.equal(token?.scope, `${azure.url}/.default`, 'an ARM token, as az acr login uses');
    assertSecretsMasked(outcome, [PULLER.secret, token?.token ?? 'none', REFRESH]);
  });

  it('ACR: an identity without AcrPull gets a clear error naming the registry and the identity, and no secret', async () => {
    const outcome = await signIn('acr', arm(OTHER), { chart: `oci://${acr.host}/helm/calc` }, 'azureContainerRegistry');
    assert.equal(outcome.result, undefined);
    assert.match(outcome.error?.message ?? '', new RegExp(`Azure Container Registry ${acr.host} refused the Entra ID token of service principal ${OTHER.clientId}.*\\(401 .*not authorized.*AcrPull`));
    assert.ok(!(outcome.error?.message ?? '').includes(OTHER.secret));
  });

  it('ACR: a registry that does not answer fails with the registry named (bounded wait)', async () => {
    const outcome = await signIn('acr', arm(PULLER), { chart: 'oci://127.0.0.1:9/helm/calc' }, 'azureContainerRegistry');
    assert.match(outcome.error?.message ?? '', /Could not reach Azure Container Registry 127\.0\.0\.1:9 to exchange the Entra ID token of service principal/);
  });

  it('Docker registry connection: user name and password of the registry (UsernamePassword), refused for another registry', async () => {
    const sc: ServiceConnection = { url: 'https://registry.example', scheme: 'UsernamePassword', parameters: { registry: 'https://registry.example/', username: 'bob', password: 'docker-pass-123', email: 'bob@example.test' } };
    const ok = await signIn('reg', sc, { chart: 'oci://registry.example/helm/calc' }, 'dockerRegistry');
    assert.deepEqual(ok.result, { username: 'bob', passwordSha256: sha256('docker-pass-123'), source: "Docker registry service connection 'reg' (user bob)" }, ok.error?.message);
    assertSecretsMasked(ok, ['docker-pass-123']);
    const other = await signIn('reg', sc, { chart: 'oci://elsewhere.example/helm/calc' }, 'dockerRegistry');
    assert.match(other.error?.message ?? '', /is for registry registry\.example, but the chart comes from elsewhere\.example/);
  });

  it('Docker registry connection of type ACR with a service principal: the principal signs in to its login server', async () => {
    const sc: ServiceConnection = { url: 'https://myacr.azurecr.io', scheme: 'ServicePrincipal', parameters: { loginServer: 'myacr.azurecr.io', serviceprincipalid: 'sp-id-1', serviceprincipalkey: 'sp-key-secret-1', tenantId: TENANT }, data: { registrytype: 'ACR' } };
    const outcome = await signIn('acr-sp', sc, { chart: 'oci://myacr.azurecr.io/helm/calc' }, 'dockerRegistry');
    assert.equal(outcome.result?.username, 'sp-id-1', outcome.error?.message);
    assert.equal(outcome.result?.passwordSha256, sha256('sp-key-secret-1'));
    assertSecretsMasked(outcome, ['sp-key-secret-1']);
  });
});
