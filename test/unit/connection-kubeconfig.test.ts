// Pure kubeconfig handling: validation, context choice, Azure login users, secrets, relative paths, and
// the service account encodings of Kubernetes service connections.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { explainArmError } from '../../shared/connection/aks';
import {
  AKS_SERVER_APP_ID, azureLoginServerId, kubeconfigSecrets, makePathsAbsolute, parseKubeconfig, serviceAccountKubeconfig,
  useBearerToken, useContext, writeKubeconfig, type Kubeconfig,
} from '../../shared/connection/kubeconfig';
import { certificateAuthorityData, serviceAccountToken } from '../../shared/connection/kubernetes';
import { must } from '../must';

const base = (): Kubeconfig =>
  parseKubeconfig(
    `apiVersion: v1
kind: Config
clusters:
- {name: c1, cluster: {server: 'https://one.example:443'}}
- {name: c2, cluster: {server: 'https://two.example:443', proxy-url: 'http://proxy:3128'}}
users:
- {name: u1, user: {token: t-one-1234567}}
contexts:
- {name: one, context: {cluster: c1, user: u1}}
- {name: two, context: {cluster: c2, user: u1, namespace: web}}
`,
    'test',
  );

describe('kubeconfig documents', () => {
  it('rejects what is not a kubeconfig, naming the source and the reason', () => {
    const cases: Array<[string, string]> = [
      ['', 'The kubeconfig from src is empty.'],
      ['a: [1', 'The kubeconfig from src is not valid YAML: '],
      ['- just\n- a list', 'The kubeconfig from src is not a kubeconfig: expected a YAML mapping with clusters, users and contexts.'],
      ['kind: Config\nclusters: []\ncontexts: []', 'The kubeconfig from src is not a kubeconfig: it lists no clusters.'],
      ['clusters: [{cluster: {server: x}}]', 'The kubeconfig from src is not a kubeconfig: clusters[0] has no name.'],
      ['clusters: [{name: c, cluster: {server: x}}]\ncontexts: [{name: x}]', "The kubeconfig from src is not a kubeconfig: contexts[0] ('x') has no 'context' mapping."],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseKubeconfig(text, 'src'), (err: Error) => err.name === 'ConnectionError' && err.message.startsWith(message), text);
    }
  });

  it('chooses the requested context, else current-context, else the only one', () => {
    const config = base();
    assert.equal(useContext(config, 'two', 'src'), 'two');
    assert.equal(config['current-context'], 'two');
    assert.equal(useContext(config, undefined, 'src'), 'two', 'keeps the current context');
    assert.throws(() => useContext(base(), undefined, 'src'), /has no current-context and 2 contexts; set the context input \(available contexts: one, two\)/);
    const single = base();
    single.contexts.pop();
    assert.equal(useContext(single, undefined, 'src'), 'one');
  });

  it('checks that the context points at a cluster with a server and a defined user', () => {
    const config = base();
    config.contexts.push({ name: 'broken', context: { cluster: 'nope', user: 'u1' } }, { name: 'nouser', context: { cluster: 'c1', user: 'ghost' } });
    assert.throws(() => useContext(config, 'broken', 'src'), /refers to cluster 'nope', which the kubeconfig does not define/);
    assert.throws(() => useContext(config, 'nouser', 'src'), /refers to user 'ghost', which the kubeconfig does not define/);
  });

  it('writes 0600 and keeps fields client-node would drop (proxy-url)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-kc-'));
    try {
      const file = writeKubeconfig(base(), dir);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.equal(parseKubeconfig(fs.readFileSync(file, 'utf8'), 'file').clusters[1]?.cluster['proxy-url'], 'http://proxy:3128');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('recognises Azure login users (kubelogin exec, legacy azure auth-provider) and their server app id', () => {
    assert.equal(azureLoginServerId({ exec: { command: 'kubelogin', args: ['get-token', '--server-id', 'custom-app'] } }), 'custom-app');
    assert.equal(azureLoginServerId({ exec: { command: '/usr/local/bin/kubelogin', args: ['get-token'] } }), AKS_SERVER_APP_ID);
    assert.equal(azureLoginServerId({ 'auth-provider': { name: 'azure', config: { 'apiserver-id': 'legacy-app' } } }), 'legacy-app');
    assert.equal(azureLoginServerId({ exec: { command: 'aws', args: ['eks', 'get-token'] } }), undefined);
    assert.equal(azureLoginServerId({ token: 'x' }), undefined);
    const config = base();
    must(config.users[0], 'user u1').user = { exec: { command: 'kubelogin' } };
    useBearerToken(config, 'u1', 'entra-token');
    assert.deepEqual(config.users[0]?.user, { token: 'entra-token' });
  });

  it('lists the secrets in users and auth-providers', () => {
    const config = base();
    config.users.push({ name: 'u2', user: { 'client-certificate-data': 'Y2VydA==', 'client-key-data': 'a2V5a2V5a2V5', password: 'pw-123456789' } });
    config.users.push({ name: 'u3', user: { 'auth-provider': { name: 'oidc', config: { 'id-token': 'idt-1234567', 'refresh-token': 'rt-12345678' } } } });
    assert.deepEqual(kubeconfigSecrets(config).sort(), ['a2V5a2V5a2V5', 'idt-1234567', 'pw-123456789', 'rt-12345678', 't-one-1234567']);
  });

  it('resolves relative file references against the kubeconfig directory, leaves PATH commands alone', () => {
    const config = base();
    must(config.clusters[0], 'cluster c1').cluster['certificate-authority'] = 'certs/ca.crt';
    must(config.users[0], 'user u1').user = { 'client-key': '/abs/key.pem', exec: { command: 'kubelogin' } };
    config.users.push({ name: 'u2', user: { exec: { command: './bin/helper' }, tokenFile: 'token' } });
    makePathsAbsolute(config, '/home/me/.kube');
    assert.equal(config.clusters[0]?.cluster['certificate-authority'], path.resolve('/home/me/.kube/certs/ca.crt'));
    assert.equal(config.users[0]?.user['client-key'], '/abs/key.pem');
    assert.deepEqual(config.users[0]?.user.exec, { command: 'kubelogin' });
    assert.deepEqual(config.users[1]?.user, { exec: { command: path.resolve('/home/me/.kube/bin/helper') }, tokenFile: path.resolve('/home/me/.kube/token') });
  });

  it('builds a service account kubeconfig; skip-TLS and CA are exclusive', () => {
    const withCa = serviceAccountKubeconfig({ server: 'https://k', token: 'tok', caData: 'Q0E=', namespace: 'web' });
    assert.deepEqual(withCa.clusters[0]?.cluster, { server: 'https://k', 'certificate-authority-data': 'Q0E=' });
    assert.equal(withCa.contexts[0]?.context.namespace, 'web');
    const skip = serviceAccountKubeconfig({ server: 'https://k', token: 'tok', caData: 'Q0E=', skipTlsVerify: true });
    assert.deepEqual(skip.clusters[0]?.cluster, { server: 'https://k', 'insecure-skip-tls-verify': true });
  });
});

describe('service account encodings', () => {
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
  it('decodes the base64 token the service stores; keeps a pasted JWT or an opaque token', () => {
    assert.equal(serviceAccountToken(Buffer.from(jwt).toString('base64')), jwt);
    assert.equal(serviceAccountToken(jwt), jwt);
    assert.equal(serviceAccountToken('abcdef0123456789abcdef0123456789'), 'abcdef0123456789abcdef0123456789');
  });

  it('accepts the CA as base64 of a PEM or as a pasted PEM, rejects anything else', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    const b64 = Buffer.from(pem + '\n').toString('base64');
    assert.equal(certificateAuthorityData(b64, 'k8s'), b64);
    assert.equal(certificateAuthorityData(pem, 'k8s'), b64);
    assert.throws(() => certificateAuthorityData('bm90IGEgY2VydA==', 'k8s'), /neither a PEM certificate nor base64 of one/);
  });
});

describe('ARM errors', () => {
  const call = { action: 'listClusterUserCredential', name: 'AKS cluster rg/aks1', who: 'service principal x', subscriptionId: 's1', admin: false };
  it('turns status codes into one sentence with the next step', () => {
    const restError = (statusCode: number, code: string, message: string) => Object.assign(new Error(message), { statusCode, code });
    assert.equal(explainArmError(restError(404, 'ResourceGroupNotFound', "Resource group 'rg' could not be found."), call).message,
      "AKS cluster rg/aks1 was not found in subscription s1 (ResourceGroupNotFound): Resource group 'rg' could not be found. Check the resource group and cluster names and the service connection's subscription.");
    assert.match(explainArmError(restError(403, 'AuthorizationFailed', 'denied.'), { ...call, admin: true }).message, /denied\. Grant the identity the 'Azure Kubernetes Service Cluster Admin Role' on the cluster\.$/);
    assert.match(explainArmError(Object.assign(new Error('getaddrinfo ENOTFOUND management.azure.com'), { code: 'ENOTFOUND' }), call).message, /^Could not reach Azure Resource Manager for AKS cluster rg\/aks1: getaddrinfo ENOTFOUND/);
  });
});
