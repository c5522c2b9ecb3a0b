// Charts from private registries and repositories (docs/registries.md), with real parts: a docker-registry
// (Debian's CNCF distribution registry) with htpasswd users behind TLS, an HTTPS helm repository with basic
// authentication, and Azure Container Registry's token exchange in front of that registry, signed in through
// the fake Entra ID. Per helm major: Deploy from each source, wrong credentials that fail before anything is
// written, and a later hook that re-renders a slot: from its own release without signing in, or, for a chart
// with subcharts, from the registry, signing in before any routing change.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeRelease } from '../../shared/helm/storage';
import { ACR_TOKEN_USER } from '../../shared/helm/registry-auth';
import type { AgentEndpoint, TaskRun } from '../cluster/agent';
import { type FakeEntra, fakeEntra } from '../cluster/azure/aad';
import { type FakeAcr, startFakeAcr } from '../cluster/azure/acr';
import { type FakeAzureServer, startFakeAzure } from '../cluster/azure/server';
import {
  type ChartRepository,
  type OciRegistry,
  TRUST_TEST_CA,
  packageChart,
  pushChart,
  registryPackagesMissing,
  startChartRepository,
  startOciRegistry,
} from '../cluster/registry';
import { BIND_ADDRESS, type ForwardProxy, requireTinyproxy, startForwardProxy } from '../cluster/forward-proxy';
import { EXAMPLE_CHART, type Env, startEnv } from './env';

const rand = () => crypto.randomBytes(12).toString('base64url');
const ADMIN = { user: 'admin', password: `admin-${rand()}` };
const DEPLOYER = { user: 'deployer', password: `reg-${rand()}` };
const WRONG = `wrong-${rand()}`;
const REFRESH_TOKEN = `acr-refresh-${rand()}`;
const TENANT = '72f988bf-0000-0000-0000-0000000000aa';
const PULLER = { clientId: '11111111-0000-0000-0000-00000000a11e', secret: `sp-${rand()}` };
const INTRUDER = { clientId: '22222222-0000-0000-0000-0000000bad00', secret: `sp-${rand()}` };
/** Chart versions per source, so a release's record shows where its chart came from. */
const OCI_VERSION = '1.1.0';
const REPO_VERSION = '1.2.0';
/** A chart with a subchart, which helm does not keep in the release: re-rendering it pulls it again. */
const SUBCHART_VERSION = '1.3.0';

interface Sources {
  registry: OciRegistry;
  repository: ChartRepository;
  azure: FakeAzureServer;
  entra: FakeEntra;
  acr: FakeAcr;
  endpoints: Record<string, AgentEndpoint>;
  root: string;
}

/** A copy of the example chart at another chart version. */
function chartAt(root: string, version: string): string {
  const dir = path.join(root, `src-${version}`, 'bluegreen-app');
  fs.cpSync(EXAMPLE_CHART, dir, { recursive: true });
  const file = path.join(dir, 'Chart.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^version: .*$/m, `version: ${version}`));
  return dir;
}

/** The example chart with a small subchart in charts/. */
function chartWithSubchart(root: string, version: string): string {
  const dir = chartAt(root, version);
  const sub = path.join(dir, 'charts', 'extra');
  fs.mkdirSync(path.join(sub, 'templates'), { recursive: true });
  fs.writeFileSync(path.join(sub, 'Chart.yaml'), 'apiVersion: v2\nname: extra\nversion: 0.1.0\n');
  fs.writeFileSync(path.join(sub, 'templates', 'configmap.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-extra\ndata:\n  from: subchart\n');
  return dir;
}

async function startSources(): Promise<Sources> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'registries-'));
  const registry = await startOciRegistry({ [ADMIN.user]: ADMIN.password, [DEPLOYER.user]: DEPLOYER.password, [ACR_TOKEN_USER]: REFRESH_TOKEN });
  pushChart('v4', packageChart('v4', chartAt(root, OCI_VERSION), path.join(root, 'oci')), registry.host, 'helm', ADMIN.user, ADMIN.password);
  pushChart('v4', packageChart('v4', chartWithSubchart(root, SUBCHART_VERSION), path.join(root, 'oci')), registry.host, 'helm', ADMIN.user, ADMIN.password);
  const repository = await startChartRepository('v4', [packageChart('v4', chartAt(root, REPO_VERSION), path.join(root, 'repo'))], { [DEPLOYER.user]: DEPLOYER.password });
  const entra = fakeEntra({ servicePrincipals: [PULLER, INTRUDER].map((sp) => ({ ...sp, tenantId: TENANT })) });
  const azure = await startFakeAzure([entra.handler]);
  const acr = await startFakeAcr({ entra, audiences: [azure.url], tenantId: TENANT, pullers: [PULLER.clientId], refreshToken: REFRESH_TOKEN, backend: registry.host });
  const docker = (password: string): AgentEndpoint => ({
    url: `https://${registry.host}`,
    scheme: 'UsernamePassword',
    parameters: { registry: `https://${registry.host}`, username: DEPLOYER.user, password, email: 'ci@example.test' },
    data: { registrytype: 'Others' },
  });
  const arm = (sp: typeof PULLER): AgentEndpoint => ({
    url: `${azure.url}/`,
    scheme: 'ServicePrincipal',
    parameters: { tenantid: TENANT, serviceprincipalid: sp.clientId, authenticationType: 'spnKey', serviceprincipalkey: sp.secret },
    data: { subscriptionId: '00000000-0000-0000-0000-0000000000ab', environmentAuthorityUrl: `${azure.url}/` },
  });
  const endpoints = { reg: docker(DEPLOYER.password), 'reg-wrong': docker(WRONG), 'arm-puller': arm(PULLER), 'arm-intruder': arm(INTRUDER) };
  return { registry, repository, azure, entra, acr, endpoints, root };
}

/** The inputs of a Deploy of the example chart's app at `version` (a value), from a chart source. */
const deploy = (v: string, source: Record<string, string>) => ({ ...source, setValues: `version=${v}\nreplicaCount=2`, timeout: '60s' });

/** Every secret of these tests that a run could have seen. */
const secretsOf = (s: Sources) => [ADMIN.password, DEPLOYER.password, WRONG, REFRESH_TOKEN, PULLER.secret, INTRUDER.secret, ...s.entra.issued.map((t) => t.token)];

/** No secret in the output as the task wrote it (before the agent masks), the summary, outputs or message. */
function assertNoSecret(run: TaskRun, secrets: string[]): void {
  // The task registers each secret with ##vso[task.setsecret]: the one line that must carry it (and task-lib's
  // debug line for the proxy password, a secret variable the agent masks; see proxy.test.ts).
  const raw = `${run.rawStdout}\n${run.rawStderr}`
    .split('\n')
    .filter((line) => !line.startsWith('##vso[task.setsecret]') && !line.startsWith('##vso[task.debug]Agent.ProxyPassword='))
    .join('\n');
  const surfaces = { raw, log: run.log, message: run.message, summaries: run.summaries.join('\n'), outputs: JSON.stringify(run.variables), issues: JSON.stringify(run.issues) };
  for (const [surface, text] of Object.entries(surfaces)) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `the ${surface} shows a secret (${secret.slice(0, 6)}...): ${text.split('\n').find((l) => l.includes(secret))?.slice(0, 60)}`);
  }
}

/** The cluster's objects (kind/namespace/name@resourceVersion), to show that nothing changed. */
const objects = (env: Env): string[] =>
  ['Namespace', 'Secret', 'ConfigMap', 'Service', 'Ingress', 'Deployment', 'Lease']
    .flatMap((kind) => env.cluster.store.ofKind(kind).map((o) => `${kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}@${o.metadata.resourceVersion}`))
    .sort();

/** The chart version in the latest revision record of a release. */
function chartVersionOf(env: Env, release: string): string | undefined {
  const secrets = env.cluster.store.ofKind('Secret', 'calc').filter((s) => s.metadata.labels?.owner === 'helm' && s.metadata.labels?.name === release);
  const latest = secrets.sort((a, b) => Number(b.metadata.labels?.version) - Number(a.metadata.labels?.version))[0];
  return latest ? (decodeRelease(latest.data.release) as { chart?: { metadata?: { version?: string } } }).chart?.metadata?.version : undefined;
}

const succeeded = (run: TaskRun) => assert.equal(run.outcome, 'Succeeded', `${run.message}\n${run.log}`);

describe('charts from private registries and repositories', function () {
  this.timeout(600_000);
  let sources: Sources | undefined;

  before(async function () {
    const missing = registryPackagesMissing();
    if (missing) {
      console.log(`    skipped: ${missing}`);
      this.skip();
    }
    sources = await startSources();
  });
  after(async () => {
    if (!sources) return;
    await sources.acr.close();
    await sources.azure.close();
    await sources.repository.close();
    await sources.registry.close();
    fs.rmSync(sources.root, { recursive: true, force: true });
  });

  for (const helm of ['v3', 'v4'] as const) {
    describe(`helm ${helm}, chart-owned App Gateway routing`, () => {
      let env: Env;
      let s: Sources;
      const oci = () => ({ chart: `oci://${s.registry.host}/helm/bluegreen-app`, chartVersion: OCI_VERSION, chartRegistryAuth: 'dockerRegistry', dockerRegistryConnection: 'reg' });
      const repo = (password: string) => ({ chart: 'bluegreen-app', chartRepository: s.repository.url, chartVersion: REPO_VERSION, chartRegistryAuth: 'basic', chartUsername: DEPLOYER.user, chartPassword: password });
      const acr = (connection: string) => ({ chart: `oci://${s.acr.host}/helm/bluegreen-app`, chartVersion: OCI_VERSION, chartRegistryAuth: 'azureContainerRegistry', chartAzureSubscription: connection });

      /** Runs a Deploy that must fail before anything is written; returns it. */
      async function refusedDeploy(run: number, inputs: Record<string, string>): Promise<TaskRun> {
        const before = objects(env);
        const mark = env.cluster.writes.mark();
        const result = await env.task('Deploy', run, inputs);
        assert.equal(result.outcome, 'Failed', result.log);
        assert.deepEqual(env.cluster.writes.since(mark), [], 'no write reached the cluster, not even the lease');
        assert.deepEqual(objects(env), before, "the cluster's objects are unchanged");
        assertNoSecret(result, secretsOf(s));
        return result;
      }

      before(async () => {
        s = sources!;
        env = await startEnv({ helm, router: 'appgw', ownership: 'chart', run: { endpoints: s.endpoints, env: TRUST_TEST_CA, variables: { 'System.Debug': 'true' } } });
      });
      after(() => env?.close());

      it('Deploy installs a chart from the OCI registry with a Docker registry service connection', async () => {
        const run = await env.task('Deploy', 1, deploy('1.0.0', oci()));
        succeeded(run);
        assert.equal(run.outputs.firstDeploy, 'true');
        assert.equal(run.outputs.version, '1.0.0');
        assert.equal(chartVersionOf(env, 'calc-blue'), OCI_VERSION, 'the release runs the chart pushed to the registry');
        assert.match(run.log, new RegExp(`Chart credentials for registry ${s.registry.host} with the credentials of Docker registry service connection 'reg' \\(user [^)]+\\)`));
        assert.ok(run.secretsRegistered.includes(DEPLOYER.password), 'the password is registered as a secret');
        assertNoSecret(run, secretsOf(s));
      });

      it('a wrong registry password: a clear error naming the registry, nothing written', async () => {
        const run = await refusedDeploy(2, deploy('2.0.0', { ...oci(), dockerRegistryConnection: 'reg-wrong' }));
        assert.match(run.message, new RegExp(`Chart oci://${s.registry.host}/helm/bluegreen-app version ${OCI_VERSION} could not be fetched from registry ${s.registry.host} with the credentials of Docker registry service connection 'reg-wrong'.*(401|unauthorized)`, 'i'));
      });

      it('a connection for another registry is refused before its credentials are sent anywhere', async () => {
        const run = await refusedDeploy(2, deploy('2.0.0', { ...oci(), chart: `oci://${s.acr.host}/helm/bluegreen-app` }));
        assert.match(run.message, new RegExp(`Docker registry service connection 'reg' is for registry ${s.registry.host}, but the chart comes from ${s.acr.host}`));
      });

      it('Deploy stages a chart from a classic repository with basic authentication', async () => {
        const seen = s.repository.requests.length;
        const run = await env.task('Deploy', 2, deploy('2.0.0', repo(DEPLOYER.password)));
        succeeded(run);
        assert.equal(run.outputs.stagingSlot, 'green');
        assert.equal(chartVersionOf(env, 'calc-green'), REPO_VERSION, 'the release runs the chart from the repository');
        const requests = s.repository.requests.slice(seen);
        assert.ok(requests.some((r) => r.path === '/charts/index.yaml' && r.user === DEPLOYER.user), 'the index was read as deployer');
        assert.ok(requests.some((r) => r.path === `/charts/bluegreen-app-${REPO_VERSION}.tgz` && r.user === DEPLOYER.user), 'the chart was downloaded as deployer');
        assert.ok(run.secretsRegistered.includes(DEPLOYER.password), 'the password input is registered as a secret');
        assertNoSecret(run, secretsOf(s));
      });

      it('a wrong repository password: a clear error naming the repository, nothing written', async () => {
        const run = await refusedDeploy(3, deploy('3.0.0', repo(WRONG)));
        assert.match(run.message, new RegExp(`repository ${s.repository.url} with the credentials of user deployer: .*401`));
      });

      it('Deploy installs a chart from Azure Container Registry, signed in by the ACR token exchange', async () => {
        const exchanges = s.acr.exchanges.length;
        const run = await env.task('Deploy', 3, deploy('3.0.0', acr('arm-puller')));
        succeeded(run);
        assert.equal(run.outputs.stagingSlot, 'green');
        assert.equal(chartVersionOf(env, 'calc-green'), OCI_VERSION);
        assert.deepEqual(s.acr.exchanges.slice(exchanges), [{ clientId: PULLER.clientId, status: 200 }], 'one token exchange, by the connection identity');
        assert.ok(run.secretsRegistered.includes(REFRESH_TOKEN), 'the refresh token is registered as a secret');
        assertNoSecret(run, secretsOf(s));
      });

      it('an identity without AcrPull: a clear error naming the registry, nothing written', async () => {
        const run = await refusedDeploy(4, deploy('4.0.0', acr('arm-intruder')));
        assert.match(run.message, new RegExp(`Azure Container Registry ${s.acr.host} refused the Entra ID token of service principal ${INTRUDER.clientId}.*AcrPull`));
      });

      it('OnFailure keeping the slot re-renders it with the chart stored in its release: no sign-in, so broken credentials do not matter', async () => {
        const run = await env.task('OnFailure', 3, { ...oci(), dockerRegistryConnection: 'reg-wrong', keepFailedSlot: 'true' });
        succeeded(run);
        assert.match(run.log, /re-rendering slot green with its own chart bluegreen-app-1\.1\.0 from release calc-green r\d+/);
        assert.doesNotMatch(run.log, /Chart credentials for/, 'no sign-in');
        assert.equal(chartVersionOf(env, 'calc-blue'), OCI_VERSION, 'production keeps its chart');
        assertNoSecret(run, secretsOf(s));
      });

      it('a chart with subcharts: OnFailure signs in to pull it again, and with wrong credentials stops before any routing change', async () => {
        const subchart = { ...oci(), chartVersion: SUBCHART_VERSION };
        succeeded(await env.task('Deploy', 5, deploy('5.0.0', subchart)));
        assert.equal(chartVersionOf(env, 'calc-green'), SUBCHART_VERSION);

        const mark = env.cluster.writes.mark();
        const refused = await env.task('OnFailure', 5, { ...subchart, chartVersion: '', dockerRegistryConnection: 'reg-wrong', keepFailedSlot: 'true' });
        assert.equal(refused.outcome, 'Failed', refused.log);
        assert.match(refused.message, new RegExp(`version ${SUBCHART_VERSION} could not be fetched from registry ${s.registry.host} with the credentials of Docker registry service connection 'reg-wrong'`));
        const writes = env.cluster.writes.since(mark).filter((w) => w.resource !== 'leases');
        assert.deepEqual(writes, [], 'nothing but the lease was written');
        assertNoSecret(refused, secretsOf(s));

        const run = await env.task('OnFailure', 5, { ...subchart, chartVersion: '', keepFailedSlot: 'true' });
        succeeded(run);
        assert.match(run.log, new RegExp(`Chart credentials for registry ${s.registry.host}`), 'signed in');
        assert.match(run.log, new RegExp(`re-rendering slot green with oci://${s.registry.host}/helm/bluegreen-app ${SUBCHART_VERSION}`), 'with the chart pulled at the version green runs');
        assertNoSecret(run, secretsOf(s));
      });
    });
  }

  describe("behind the agent's proxy, helm v4", () => {
    let env: Env | undefined;
    let proxy: ForwardProxy | undefined;

    before(async function () {
      const binary = requireTinyproxy(this);
      proxy = await startForwardProxy(binary);
      const s = sources!;
      env = await startEnv({
        helm: 'v4',
        router: 'nginx',
        ownership: 'managed',
        run: {
          endpoints: s.endpoints,
          env: TRUST_TEST_CA,
          variables: { 'Agent.ProxyUrl': proxy.url, 'Agent.ProxyUsername': proxy.username, 'Agent.ProxyBypassList': '[]' },
          secrets: { 'Agent.ProxyPassword': proxy.password },
        },
      });
    });
    after(async () => {
      await env?.close();
      await proxy?.close();
    });

    // helm's own pull follows HTTPS_PROXY (helm/cli.ts, docs/proxy.md), except that Go never proxies a loopback
    // registry such as this one; the proxy suite shows helm's downloads through the proxy.
    it("the ACR token exchange goes through the agent's proxy", async () => {
      const s = sources!;
      const seen = s.acr.peers.length;
      const run = await env!.task('Deploy', 1, deploy('1.0.0', { chart: `oci://${s.acr.host}/helm/bluegreen-app`, chartVersion: OCI_VERSION, chartRegistryAuth: 'azureContainerRegistry', chartAzureSubscription: 'arm-puller' }));
      succeeded(run);
      const exchanges = s.acr.peers.slice(seen).filter((p) => p.path === '/oauth2/exchange');
      assert.deepEqual(exchanges.map((p) => p.address), [BIND_ADDRESS], 'one exchange, sent by the proxy');
      assert.ok(proxy!.requests().some((r) => r.method === 'CONNECT' && r.target === s.acr.host), 'the proxy logged a tunnel to the registry');
      assertNoSecret(run, [...secretsOf(s), proxy!.password]);
    });
  });
});
