// The agent's proxy: reading it, the bypass rules (compared with task-lib's own matching), what each client
// is told (Azure proxyOptions, kubeconfig proxy-url, helm's environment), the credentials kept out of every
// log line, and the HTTP checks through a real tinyproxy to an https server with an internal CA.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import YAML from 'yaml';
import { request, trustForChecks } from '../../shared/checks/http';
import { ensureReachable } from '../../shared/connection/reachability';
import { readChecksCa } from '../../shared/checks/ca';
import type { Kubeconfig } from '../../shared/connection/kubeconfig';
import { Helm } from '../../shared/helm/cli';
import {
  type AgentProxy,
  applyToKubeconfig,
  azureProxyOptions,
  describeProxy,
  helmProxyEnv,
  isBypassed,
  noProxyEntry,
  parseAgentProxy,
  ProxyConfigError,
  useAgentProxy,
  useProxy,
} from '../../shared/connection/proxy';
import { maskSecrets } from '../../shared/inputs/secrets';
import { TEST_CA_CERT, TLS_DIR } from '../cluster/azure/server';
import { BIND_ADDRESS, requireTinyproxy, startForwardProxy, type ForwardProxy } from '../cluster/forward-proxy';
import { captureStdout } from './capture';
import { restoreEnv } from './connection-helpers';

const BYPASS = ['\\.internal\\.contoso\\.com', '^https?://10\\.0\\.0\\.4:8443', 'LOCALHOST'];
const proxyOf = (bypass = BYPASS, extra: { proxyUsername?: string; proxyPassword?: string; proxyUrl?: string } = {}): AgentProxy =>
  parseAgentProxy({ proxyUrl: 'http://proxy.contoso.com:3128', proxyUsername: 'svc-build', proxyPassword: 'p@ss:w/rd%1', proxyBypassHosts: bypass, ...extra })!;

describe('proxy: the agent\'s settings', () => {
  it('is off without Agent.ProxyUrl', () => {
    assert.equal(parseAgentProxy(null), undefined);
    assert.equal(parseAgentProxy({ proxyUrl: '  ' }), undefined);
  });

  it('reads the URL (scheme optional), the credentials and the bypass list', () => {
    const p = parseAgentProxy({ proxyUrl: 'proxy:3128', proxyUsername: 'u', proxyPassword: 'p', proxyBypassHosts: ['a\\.b'] })!;
    assert.equal(p.url.href, 'http://proxy:3128/');
    assert.deepEqual([p.username, p.password, p.bypass], ['u', 'p', ['a\\.b']]);
  });

  it('takes credentials written into the URL, and never keeps them in the URL it logs', () => {
    const p = parseAgentProxy({ proxyUrl: 'http://me:s%3Acret@proxy:3128' })!;
    assert.deepEqual([p.username, p.password, p.url.username, p.url.password], ['me', 's:cret', '', '']);
    assert.equal(describeProxy(p), 'http://proxy:3128 with credentials (bypass: none)');
  });

  it('refuses a bypass entry that is not a regular expression, and a proxy that is not http(s), in one sentence', () => {
    assert.throws(() => proxyOf(['(unclosed']), (err: Error) => err instanceof ProxyConfigError && /bypass list holds '\(unclosed'.*\.proxybypass/.test(err.message));
    assert.throws(() => parseAgentProxy({ proxyUrl: 'socks5://proxy:1080' }), /not an http or https proxy/);
  });
});

describe('proxy: bypass matching, as task-lib matches', () => {
  const saved = { ...process.env };
  let temp: string;
  before(() => {
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-proxy-'));
    process.env.AGENT_TEMPDIRECTORY = temp;
  });
  after(() => {
    restoreEnv(saved);
    fs.rmSync(temp, { recursive: true, force: true });
  });

  const urls = [
    'https://api.internal.contoso.com:443/version',
    'https://API.INTERNAL.CONTOSO.COM/x',
    'https://internal.contoso.com/',
    'https://10.0.0.4:8443/healthz',
    'https://10.0.0.4/healthz',
    'http://localhost:8080/ping',
    'http://127.0.0.1:8080/ping',
    'https://login.microsoftonline.com/tenant/oauth2/v2.0/token',
    'https://evil.example/?next=https://x.internal.contoso.com',
  ];

  it('bypasses exactly the URLs task-lib bypasses (a regex anywhere in the full URL, any case; loopback is not special)', () => {
    process.env.AGENT_PROXYURL = 'http://proxy.contoso.com:3128';
    process.env.AGENT_PROXYBYPASSLIST = JSON.stringify(BYPASS);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tl = require('azure-pipelines-task-lib/task') as typeof import('azure-pipelines-task-lib/task');
    const proxy = proxyOf();
    const ours = urls.map((u) => `${u} ${isBypassed(proxy, u)}`);
    const taskLib = urls.map((u) => `${u} ${tl.getHttpProxyConfiguration(u) === null}`);
    assert.deepEqual(ours, taskLib);
    assert.deepEqual(
      urls.filter((u) => isBypassed(proxy, u)),
      [urls[0], urls[1], urls[3], urls[5], urls[8]],
    );
  });
});

describe('proxy: what each client is told', () => {
  it('Azure SDK proxyOptions: host with scheme, port, credentials; none for a bypassed endpoint', () => {
    assert.deepEqual(azureProxyOptions(proxyOf(), 'https://login.microsoftonline.com'), { host: 'http://proxy.contoso.com', port: 3128, username: 'svc-build', password: 'p@ss:w/rd%1' });
    assert.equal(azureProxyOptions(proxyOf(['management\\.azure\\.com']), 'https://management.azure.com'), undefined);
    assert.equal(azureProxyOptions(undefined, 'https://management.azure.com'), undefined);
  });

  const kubeconfig = (cluster: Record<string, unknown>): Kubeconfig => ({
    clusters: [{ name: 'c', cluster }, { name: 'other', cluster: { server: 'https://other:6443' } }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    users: [{ name: 'u', user: {} }],
    'current-context': 'x',
  });

  it('kubeconfig: proxy-url with percent-encoded credentials on the current cluster only', () => {
    const config = kubeconfig({ server: 'https://aks-prod.hcp.westeurope.azmk8s.io:443' });
    assert.equal(applyToKubeconfig(proxyOf(), config), 'set');
    assert.equal(config.clusters[0]?.cluster['proxy-url'], 'http://svc-build:p%40ss%3Aw%2Frd%251@proxy.contoso.com:3128');
    assert.equal(new URL(String(config.clusters[0]?.cluster['proxy-url'])).password, encodeURIComponent('p@ss:w/rd%1'));
    assert.equal(config.clusters[1]?.cluster['proxy-url'], undefined);
  });

  it('kubeconfig: a cluster with its own proxy-url keeps it; a bypassed server gets none', () => {
    const own = kubeconfig({ server: 'https://k:6443', 'proxy-url': 'socks5://jump:1080' });
    assert.equal(applyToKubeconfig(proxyOf(), own), 'own');
    assert.equal(own.clusters[0]?.cluster['proxy-url'], 'socks5://jump:1080');
    const internal = kubeconfig({ server: 'https://api.internal.contoso.com:6443' });
    assert.equal(applyToKubeconfig(proxyOf(), internal), 'bypassed');
    assert.equal(internal.clusters[0]?.cluster['proxy-url'], undefined);
    assert.equal(applyToKubeconfig(undefined, internal), 'none');
  });

  const noProxy: Array<[string, string | undefined]> = [
    ['contoso\\.com', 'contoso.com'],
    ['.*\\.contoso\\.com$', '.contoso.com'],
    ['\\.internal\\.contoso\\.com', '.internal.contoso.com'],
    ['^https?://build\\.contoso\\.com', 'build.contoso.com'],
    ['^https?://10\\.0\\.0\\.4:8443', '10.0.0.4:8443'],
    ['^https://registry\\.contoso\\.com/.*', 'registry.contoso.com'],
    ['(dev|test)\\.contoso\\.com', undefined],
    ['build[0-9]+\\.contoso\\.com', undefined],
  ];
  for (const [regex, entry] of noProxy) {
    it(`NO_PROXY for helm: ${regex} -> ${entry ?? '(cannot be told)'}`, () => assert.equal(noProxyEntry(regex), entry));
  }

  it('helm: HTTPS_PROXY/HTTP_PROXY with credentials, NO_PROXY from the bypass list and a bypassed API server', () => {
    const { env, untranslated } = helmProxyEnv(proxyOf([...BYPASS, '(dev|test)\\.contoso\\.com']), 'https://api.internal.contoso.com:6443');
    const url = 'http://svc-build:p%40ss%3Aw%2Frd%251@proxy.contoso.com:3128';
    assert.deepEqual(env, { HTTPS_PROXY: url, HTTP_PROXY: url, NO_PROXY: '.internal.contoso.com,10.0.0.4:8443,localhost,api.internal.contoso.com' });
    assert.deepEqual(untranslated, ['(dev|test)\\.contoso\\.com']);
    assert.equal(helmProxyEnv(proxyOf([]), 'https://aks:443').env.NO_PROXY, '', 'a proxied API server is not in NO_PROXY: client-go uses the kubeconfig proxy-url for it');
    assert.deepEqual(helmProxyEnv(undefined, 'https://aks:443'), { env: {}, untranslated: [] });
  });

  it('helm: the agent\'s proxy replaces the machine\'s proxy variables, in either case', () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { https_proxy: 'http://old:1', no_proxy: '*', HTTP_PROXY: 'http://old:2' });
      const env = new Helm('helm', { kubeconfig: '/k', workDir: '/w', env: helmProxyEnv(proxyOf([]), 'https://aks:443').env }).env();
      assert.equal(env.https_proxy, undefined);
      assert.equal(env.no_proxy, undefined);
      assert.match(env.HTTP_PROXY ?? '', /proxy\.contoso\.com:3128/);
      assert.equal(new Helm('helm', { kubeconfig: '/k', workDir: '/w' }).env().https_proxy, 'http://old:1', 'no agent proxy: the machine\'s variables stay');
    } finally {
      restoreEnv(saved);
    }
  });
});

describe('proxy: credentials are secrets', () => {
  const saved = { ...process.env };
  let temp: string;
  before(() => {
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-proxy-'));
    process.env.AGENT_TEMPDIRECTORY = temp;
  });
  after(() => {
    useProxy(undefined);
    restoreEnv(saved);
    fs.rmSync(temp, { recursive: true, force: true });
  });

  it('registers user name and password (also percent-encoded) and logs the proxy once, without them', async () => {
    process.env.AGENT_PROXYURL = 'http://proxy.contoso.com:3128';
    process.env.AGENT_PROXYUSERNAME = 'svc-build-agent';
    process.env.AGENT_PROXYPASSWORD = 'p@ss:w/rd%1-long';
    process.env.AGENT_PROXYBYPASSLIST = '["\\\\.internal\\\\.contoso\\\\.com"]';
    const { value: proxy, out } = await captureStdout(async () => useAgentProxy());
    assert.ok(proxy);
    const lines = out.split('\n');
    const setSecrets = lines.filter((l) => l.startsWith('##vso[task.setsecret]')).map((l) => l.slice('##vso[task.setsecret]'.length).replace(/%AZP25/g, '%'));
    assert.deepEqual(setSecrets.sort(), ['p%40ss%3Aw%2Frd%251-long', 'p@ss:w/rd%1-long', 'svc-build-agent'].sort());
    const logged = lines.filter((l) => !l.startsWith('##vso['));
    assert.deepEqual(logged.filter((l) => l.startsWith('Using the agent')), ["Using the agent's proxy http://proxy.contoso.com:3128 with credentials (bypass: \\.internal\\.contoso\\.com)."]);
    for (const secret of setSecrets) assert.ok(!logged.join('\n').includes(secret), `the log shows ${secret}`);
    // What the task writes itself (a failure message naming the proxy URL, say) is masked too.
    const message = `proxyconnect tcp: ${helmProxyEnv(proxy, 'https://k').env.HTTPS_PROXY} refused`;
    assert.equal(maskSecrets(message), 'proxyconnect tcp: http://***:***@proxy.contoso.com:3128 refused');
  });

  it('a bypass list that is not JSON fails the task in one sentence', async () => {
    process.env.AGENT_PROXYBYPASSLIST = '[not json';
    await assert.rejects(captureStdout(async () => useAgentProxy()), /Agent\.ProxyBypassList\) is not a JSON list/);
  });
});

describe('checksCaCertificate: a file or the PEM itself', () => {
  const pem = fs.readFileSync(TEST_CA_CERT, 'utf8');
  it('reads a file and PEM text, and says what it read', () => {
    assert.match(readChecksCa(TEST_CA_CERT)!.describe, /^file .*ca\.crt \(1 certificate, /);
    assert.equal(readChecksCa(pem)!.pem.trim(), pem.trim());
    assert.equal(readChecksCa(undefined), undefined);
  });
  it('refuses a missing file, a file without a certificate and a broken certificate, naming the input', () => {
    assert.throws(() => readChecksCa('/nonexistent/ca.pem'), /Input 'checksCaCertificate' is neither a PEM certificate nor a readable file: \/nonexistent\/ca\.pem does not exist/);
    assert.throws(() => readChecksCa(path.join(TLS_DIR, 'README.md')), /holds no PEM certificate/);
    assert.throws(() => readChecksCa('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), /certificate 1 is not a valid X\.509 certificate/);
  });
});

describe('checks over https: the internal CA, and through a real proxy', function () {
  this.timeout(30_000);
  let server: https.Server;
  let base: string;
  const peers: string[] = [];
  let forward: ForwardProxy | undefined;

  before(async () => {
    server = https.createServer({ key: fs.readFileSync(path.join(TLS_DIR, 'server.key')), cert: fs.readFileSync(path.join(TLS_DIR, 'server.crt')) }, (req, res) => {
      peers.push(String(req.socket.remoteAddress).replace(/^::ffff:/, ''));
      // Also a Kubernetes API's GET /version, for the kubeconfig proxy-url over https.
      if (req.url === '/version') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"gitVersion":"v1.31.2"}');
      res.writeHead(200).end(`host=${req.headers.host}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    trustForChecks(undefined);
    useProxy(undefined);
    server.close();
    await forward?.close();
  });
  beforeEach(() => (peers.length = 0));

  const target = () => ({ label: 't', baseUrl: base, host: 'localhost', pathPrefix: '', headers: {} });

  it('fails on a certificate from an unknown CA, and passes once checksCaCertificate names it', async () => {
    trustForChecks(undefined);
    await assert.rejects(request(target(), 'GET', '/ping', {}, 5000), /self[- ]signed|unable to (get|verify)|certificate/i);
    trustForChecks(readChecksCa(TEST_CA_CERT)!.pem);
    assert.deepEqual(await request(target(), 'GET', '/ping', {}, 5000), { status: 200, body: `host=localhost` });
  });

  it('tunnels through the agent\'s proxy with its credentials, keeping the Host header and the TLS name', async function () {
    const binary = requireTinyproxy(this);
    forward = await startForwardProxy(binary);
    trustForChecks(readChecksCa(TEST_CA_CERT)!.pem);
    useProxy(parseAgentProxy({ proxyUrl: forward.url, proxyUsername: forward.username, proxyPassword: forward.password }));
    assert.deepEqual(await request(target(), 'GET', '/ping', {}, 10_000), { status: 200, body: 'host=localhost' });
    assert.deepEqual(peers, [BIND_ADDRESS], 'the server saw the proxy');
    assert.deepEqual(forward.requests().map((r) => `${r.method} ${r.target}`), [`CONNECT ${new URL(base).host}`]);

    useProxy(parseAgentProxy({ proxyUrl: forward.url, proxyUsername: forward.username, proxyPassword: 'wrong-password' }));
    await assert.rejects(request(target(), 'GET', '/ping', {}, 10_000), /the agent's proxy at http:\/\/127\.0\.0\.1:\d+ refused to connect to 127\.0\.0\.1:\d+ \(401\)/, 'tinyproxy refuses wrong credentials: they are really sent');

    useProxy(parseAgentProxy({ proxyUrl: forward.url, proxyBypassHosts: ['127\\.0\\.0\\.1'] }));
    peers.length = 0;
    assert.equal((await request(target(), 'GET', '/ping', {}, 10_000)).status, 200);
    assert.deepEqual(peers, ['127.0.0.1'], 'a bypassed address is asked directly');
  });

  it('client-node reaches an https API server through the kubeconfig proxy-url, with the cluster\'s CA and the proxy\'s credentials', async function () {
    const binary = requireTinyproxy(this);
    forward ??= await startForwardProxy(binary);
    const before = forward.requests().length;
    const config: Kubeconfig = {
      clusters: [{ name: 'aks', cluster: { server: base, 'certificate-authority-data': fs.readFileSync(TEST_CA_CERT).toString('base64'), 'tls-server-name': 'localhost' } }],
      contexts: [{ name: 'aks', context: { cluster: 'aks', user: 'u' } }],
      users: [{ name: 'u', user: { token: 'api-token-value' } }],
      'current-context': 'aks',
    };
    assert.equal(applyToKubeconfig(parseAgentProxy({ proxyUrl: forward.url, proxyUsername: forward.username, proxyPassword: forward.password }), config), 'set');
    const kc = new KubeConfig();
    kc.loadFromString(YAML.stringify(config));
    assert.equal(await ensureReachable(kc, 'the test cluster', 10_000), 'v1.31.2');
    assert.deepEqual(peers, [BIND_ADDRESS], 'the API server saw the proxy');
    assert.deepEqual(forward.requests().slice(before).map((r) => `${r.method} ${r.target}`), [`CONNECT ${new URL(base).host}`]);
  });
});
