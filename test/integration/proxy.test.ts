// Behind a corporate proxy: the agent's proxy (Agent.ProxyUrl, credentials, bypass list) carries every
// outgoing call of a lifecycle. A real tinyproxy demands the credentials (407 without them) and logs each
// request; its connections to the servers leave from 127.0.0.3, and a relay in front of each server (the
// Kubernetes API, the fake Entra ID + ARM, the data plane the checks and the fence ask) records who
// connected. So "through the proxy" is what the servers saw, matched one to one with the proxy's log.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { fakeEntra } from '../cluster/azure/aad';
import { fakeAks } from '../cluster/azure/aks';
import { type FakeAzureServer, startFakeAzure, TEST_CA_CERT, TLS_DIR } from '../cluster/azure/server';
import type { TaskRun } from '../cluster/agent';
import { BIND_ADDRESS, type ForwardProxy, requireTinyproxy, startForwardProxy } from '../cluster/forward-proxy';
import { type Relay, startRelay } from '../cluster/relay';
import { checksFor, EXAMPLE_CHART, type Env, startEnv, version } from './env';
import { activeRelease, expectOutcome } from './expect';

const SUB = '5e5e5e5e-0000-4000-8000-00000000c4c4';
const TENANT = '7e7e7e7e-0000-4000-8000-00000000d5d5';
const SP = { clientId: 'c5c5c5c5-0000-4000-8000-000000000005', secret: 'proxy-test-client-secret' };


/** The agent's proxy variables, as the agent passes them (the password as a secret variable). */
function agentProxy(proxy: ForwardProxy, bypass: string[]) {
  return {
    variables: { 'Agent.ProxyUrl': proxy.url, 'Agent.ProxyUsername': proxy.username, 'Agent.ProxyBypassList': JSON.stringify(bypass) },
    secrets: { 'Agent.ProxyPassword': proxy.password },
  };
}

/**
 * The local API server speaks plain http; real clusters speak https, and clients reach them through a
 * proxy with CONNECT. The API relay terminates TLS with the test CA's certificate for 127.0.0.1, so the
 * tasks and helm see an https API server, as on AKS.
 */
const API_TLS = { key: fs.readFileSync(path.join(TLS_DIR, 'server.key')), cert: fs.readFileSync(path.join(TLS_DIR, 'server.crt')) };
const CA_DATA = fs.readFileSync(TEST_CA_CERT).toString('base64');

/** Requests the proxy logged for a relay's port. */
const proxiedTo = (proxy: ForwardProxy, relay: Relay) => proxy.requests().filter((r) => r.target === `127.0.0.1:${relay.port}`);

/** Every connection a server saw came through the proxy, and the proxy logged exactly that many requests for it. */
function assertAllProxied(proxy: ForwardProxy, relay: Relay, name: string): void {
  assert.ok(relay.peers.length > 0, `${name} saw no connection at all`);
  const direct = relay.peers.filter((p) => p !== BIND_ADDRESS);
  assert.deepEqual(direct, [], `${name}: ${direct.length} of ${relay.peers.length} connections did not come through the proxy`);
  assert.equal(proxiedTo(proxy, relay).length, relay.peers.length, `${name}: the proxy's log and the server disagree on the number of connections`);
}

function assertNoProxySecret(proxy: ForwardProxy, runs: Record<string, TaskRun>): void {
  for (const [name, run] of Object.entries(runs)) {
    // The raw output, less the two lines that must carry it: the task's own task.setsecret, and task-lib's
    // debug line for every variable it reads (Agent.ProxyPassword is a secret variable the agent masks).
    const raw = `${run.rawStdout}\n${run.rawStderr}`
      .split('\n')
      .filter((line) => !line.startsWith('##vso[task.setsecret]') && !line.startsWith('##vso[task.debug]Agent.ProxyPassword='));
    for (const [surface, text] of Object.entries({ output: raw.join('\n'), message: run.message, summaries: run.summaries.join('\n'), outputs: JSON.stringify(run.variables) })) {
      assert.ok(!text.includes(proxy.password), `${name}: the ${surface} shows the proxy password`);
    }
    assert.ok(run.secretsRegistered.includes(proxy.password), `${name} did not register the proxy password as a secret`);
    assert.equal(run.log.match(/Using the agent's proxy /g)?.length, 1, `${name} logs the proxy once`);
    assert.ok(run.log.includes(`Using the agent's proxy ${proxy.url} with credentials (bypass: `), `${name} logs the proxy without its credentials`);
  }
}

/**
 * A chart repository holding the example chart, for helm's own downloads (HTTP_PROXY). Go never sends
 * loopback addresses to HTTP_PROXY, but 0.0.0.0 is not loopback to it, and Linux delivers a connection to
 * 0.0.0.0 to the connecting socket's own address: the repository listens on the proxy's bind address only,
 * so it answers the proxy and nothing else (a direct attempt is refused).
 */
async function startChartRepository(env: Env): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const dir = path.join(env.cluster.dir, 'chart-repository');
  fs.mkdirSync(dir, { recursive: true });
  for (const args of [['package', EXAMPLE_CHART, '-d', dir], ['repo', 'index', dir]]) {
    const r = await env.cluster.helm('v3', args);
    assert.equal(r.code, 0, r.stderr);
  }
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.socket.remoteAddress} ${req.url}`);
    const file = path.join(dir, path.basename(new URL(req.url ?? '/', 'http://x').pathname));
    if (!fs.existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, BIND_ADDRESS, resolve));
  return {
    url: `http://0.0.0.0:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('proxy: the whole lifecycle through the agent\'s proxy', function () {
  this.timeout(300_000);
  let tinyproxy: string;
  let proxy: ForwardProxy;

  before(async function () {
    tinyproxy = requireTinyproxy(this);
    proxy = await startForwardProxy(tinyproxy);
  });
  after(() => proxy?.close());

  describe('AKS through an Azure Resource Manager connection, helm v4: Entra ID, ARM, the API and the checks', function () {
    let env: Env;
    let azure: FakeAzureServer;
    const relays: Record<'api' | 'azure' | 'dataplane', Relay> = {} as never;
    const runs: Record<string, TaskRun> = {};

    before(async function () {
      if (!proxy) this.skip();
      const entra = fakeEntra({ servicePrincipals: [{ clientId: SP.clientId, tenantId: TENANT, secret: SP.secret }] });
      const aks = fakeAks({ entra, clusters: [{ subscriptionId: SUB, resourceGroup: 'rg', name: 'aks-prod', flavour: 'local', server: () => relays.api.url, caData: CA_DATA }] });
      azure = await startFakeAzure([entra.handler, aks.handler]);
      relays.azure = await startRelay(azure.url);
      const arm = { url: `${relays.azure.url}/`, scheme: 'ServicePrincipal', parameters: { tenantid: TENANT, serviceprincipalid: SP.clientId, authenticationType: 'spnKey', serviceprincipalkey: SP.secret }, data: { subscriptionId: SUB, environmentAuthorityUrl: `${relays.azure.url}/` } };
      const { variables, secrets } = agentProxy(proxy, ['^https?://build\\.contoso\\.com']);
      env = await startEnv({
        helm: 'v4',
        router: 'nginx',
        ownership: 'managed',
        run: { endpoints: { 'aks-prod': arm }, variables, secrets, env: { NODE_EXTRA_CA_CERTS: TEST_CA_CERT } },
      });
      relays.api = await startRelay(env.cluster.apiUrl, { tls: API_TLS });
      relays.dataplane = await startRelay(env.dataplane.url);
      Object.assign(env.common, { connectionType: 'Azure Resource Manager', azureSubscriptionEndpoint: 'aks-prod', azureResourceGroup: 'rg', kubernetesCluster: 'aks-prod', checkAddress: relays.dataplane.url });
      delete env.common.kubeconfigFile;
      runs.first = await env.task('Deploy', 1, version('1.0.0'));
      runs.deploy = await env.task('Deploy', 2, version('2.0.0'));
      runs.route = await env.task('RouteTraffic', 2, checksFor('2.0.0'));
      runs.promote = await env.task('OnSuccess', 2, checksFor('2.0.0'));
    });
    after(async () => {
      await env?.close();
      await Promise.all(Object.values(relays).map((r) => r.close()));
      await azure?.close();
    });

    it('runs Deploy, RouteTraffic and OnSuccess to the end: v2 serves production', () => {
      for (const run of Object.values(runs)) expectOutcome(run, 'Succeeded');
      assert.match(runs.route?.log ?? '', /PASS staging \(slot green\)/);
      assert.equal(activeRelease(env), 'calc-green');
    });

    it('signs in to Entra ID and asks ARM for the AKS credentials through the proxy', () => {
      assert.ok(azure.requests.some((r) => /\/oauth2\/v2\.0\/token$/.test(r.path)), 'a token request reached Entra ID');
      assert.ok(azure.requests.some((r) => /listClusterUserCredential$/.test(r.path)), 'an AKS credential call reached ARM');
      assertAllProxied(proxy, relays.azure, 'the fake Entra ID and ARM');
    });

    it('reaches the https Kubernetes API through the proxy (CONNECT), from the task and from helm (kubeconfig proxy-url)', () => {
      // helm installed, uninstalled and tested through its own connections; any of them made directly
      // would show here as a peer other than the proxy.
      assertAllProxied(proxy, relays.api, 'the Kubernetes API server');
      assert.deepEqual([...new Set(proxiedTo(proxy, relays.api).map((r) => r.method))], ['CONNECT']);
    });

    it('runs the HTTP checks and the route fence through the proxy', () => {
      assertAllProxied(proxy, relays.dataplane, 'the data plane');
    });

    it('logs the proxy once per task, without its credentials, which are registered as secrets', () => {
      assertNoProxySecret(proxy, runs);
      assert.match(runs.first?.log ?? '', /through the agent's proxy/);
    });
  });

  describe('a bypassed host, helm v3: the data plane goes direct, the API and a chart repository still through the proxy', function () {
    let env: Env;
    let repository: Awaited<ReturnType<typeof startChartRepository>>;
    const relays: Record<'api' | 'dataplane', Relay> = {} as never;
    const runs: Record<string, TaskRun> = {};

    before(async function () {
      if (!proxy) this.skip();
      env = await startEnv({ helm: 'v3', router: 'nginx', ownership: 'managed' });
      relays.api = await startRelay(env.cluster.apiUrl, { tls: API_TLS });
      relays.dataplane = await startRelay(env.dataplane.url);
      // A kubeconfig file connection to the API server's relay, trusting the test CA.
      const kubeconfigFile = path.join(env.cluster.dir, 'relay-kubeconfig');
      const kubeconfig = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'local', cluster: { server: relays.api.url, 'certificate-authority-data': CA_DATA } }],
        users: [{ name: 'local', user: { token: 'local-cluster-token' } }],
        contexts: [{ name: 'local', context: { cluster: 'local', user: 'local' } }],
        'current-context': 'local',
      };
      fs.writeFileSync(kubeconfigFile, JSON.stringify(kubeconfig), { mode: 0o600 });
      Object.assign(env.common, { kubeconfigFile, checkAddress: relays.dataplane.url });
      const { variables, secrets } = agentProxy(proxy, [`127\\.0\\.0\\.1:${relays.dataplane.port}`]);
      const options = { variables, secrets };
      repository = await startChartRepository(env);
      const fromRepository = { chart: 'bluegreen-app', chartRepository: repository.url, chartVersion: '1.0.0' };
      runs.first = await env.task('Deploy', 1, { ...version('1.0.0'), ...fromRepository }, options);
      runs.deploy = await env.task('Deploy', 2, version('2.0.0'), options);
      runs.route = await env.task('RouteTraffic', 2, checksFor('2.0.0'), options);
    });
    after(async () => {
      await repository?.close();
      await env?.close();
      await Promise.all(Object.values(relays).map((r) => r.close()));
    });

    it('stages and validates v2', () => {
      for (const run of Object.values(runs)) expectOutcome(run, 'Succeeded');
      assert.match(runs.route?.log ?? '', /PASS staging \(slot green\)/);
    });

    it('asks the bypassed data plane directly: no request for it in the proxy log', () => {
      assert.ok(relays.dataplane.peers.length > 0, 'the checks and the fence reached the data plane');
      assert.deepEqual([...new Set(relays.dataplane.peers)], ['127.0.0.1'], 'every connection to the data plane came straight from the task');
      assert.deepEqual(proxiedTo(proxy, relays.dataplane), [], 'the proxy saw no request for the bypassed host');
    });

    it('still reaches the Kubernetes API through the proxy', () => {
      assertAllProxied(proxy, relays.api, 'the Kubernetes API server');
      assertNoProxySecret(proxy, runs);
    });

    it('downloads the chart from its repository through the proxy (helm\'s HTTP_PROXY)', () => {
      assert.match(runs.first?.log ?? '', /--repo http:\/\/0\.0\.0\.0:\d+/);
      const port = new URL(repository.url).port;
      const logged = proxy.requests().filter((r) => r.target === `0.0.0.0:${port}`).map((r) => `${r.method} ${new URL(r.url).pathname}`);
      assert.ok(logged.includes('GET /index.yaml'), `helm asked the proxy for the repository index: ${logged.join(', ')}`);
      assert.ok(logged.includes('GET /bluegreen-app-1.0.0.tgz'), `helm asked the proxy for the chart: ${logged.join(', ')}`);
      assert.equal(repository.requests.length, logged.length, 'the repository answered exactly the requests the proxy logged');
    });
  });
});
