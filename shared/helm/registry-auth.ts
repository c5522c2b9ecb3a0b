// Credentials for charts in private registries and repositories (docs/registries.md). They reach helm only
// through its own config files in the task's private work directory (never a command line): a Docker-style
// registry config (HELM_REGISTRY_CONFIG) for oci:// charts, a repositories file (HELM_REPOSITORY_CONFIG) for
// classic repositories. Every password and token is registered as a secret the moment it is known; the
// files go with the work directory at the end of the task.
//
// Where the credentials come from:
// - a Docker registry service connection (scheme UsernamePassword: auth parameters registry, username,
//   password, email; or registry type ACR with a service principal: loginServer, serviceprincipalid,
//   serviceprincipalkey), read the way Microsoft's Docker tasks read it;
// - an Azure Resource Manager connection for Azure Container Registry: an Entra ID token for ARM exchanged
//   at https://<registry>/oauth2/exchange for an ACR refresh token, as `az acr login --expose-token` does;
//   helm logs in with the user 00000000-0000-0000-0000-000000000000 and the refresh token as password;
// - a user name and password (basic authentication).
// The token exchange goes through the agent's proxy like every other call (connection/proxy.ts); helm gets it from
// HTTPS_PROXY (helm/cli.ts).
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import YAML from 'yaml';
import { azureCredential } from '../azure/credentials';
import { authParam, ConnectionError, endpointData, requireEndpoint } from '../connection/endpoint';
import type { ChartAuth, ChartInputs } from '../inputs/types';
import type { Helm } from './cli';
import { activeProxy, tunnelAgent } from '../connection/proxy';
import { registerSecret } from '../inputs/secrets';

/** The user name ACR expects with a refresh token (what `az acr login --expose-token` prints). */
export const ACR_TOKEN_USER = '00000000-0000-0000-0000-000000000000';
/** The name of the task's one repository entry in its private repositories file. */
export const PRIVATE_REPO_NAME = 'bluegreen-chart';
/** How long the ACR token exchange may take. */
export const EXCHANGE_TIMEOUT_MS = 30_000;

export interface RegistryCredentials {
  username: string;
  password: string;
  /** Where they come from, for messages: never the secret. */
  source: string;
}

/** What helm is given: extra environment and, for a classic repository, the chart reference to pull. */
export interface ChartAccess {
  env: Record<string, string>;
  /** Where the chart is fetched from and with whose credentials, for the log and errors. */
  describe: string;
  /** Classic repository: the name the repositories file gives it (pull `<name>/<chart>`). */
  repoName?: string;
}

const secret = (value: string): string => {
  registerSecret(value);
  return value;
};

/** The host[:port] of a registry given as a host, a URL or an oci:// reference. */
export function registryHost(reference: string): string {
  // As written (helm looks credentials up under the host of the reference, port included), lower-cased.
  const authority = reference.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split(/[/?#]/)[0] ?? '';
  return authority.replace(/^[^@]*@/, '').toLowerCase();
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** Two registry hosts that are the same registry (Docker Hub has several names). */
export function sameRegistry(a: string, b: string): boolean {
  const plain = (host: string) => host.replace(/:443$/, '');
  return plain(a) === plain(b) || (DOCKER_HUB.has(plain(a)) && DOCKER_HUB.has(plain(b)));
}

/** The registry (oci://) or repository (http/https) a remote chart comes from. */
export function chartSource(chart: ChartInputs): { kind: 'oci' | 'repository'; host: string; url: string } {
  if (chart.repository) return { kind: 'repository', host: registryHost(chart.repository), url: chart.repository };
  return { kind: 'oci', host: registryHost(chart.chart), url: chart.chart };
}

/**
 * A Docker registry service connection's credentials, refused unless the connection is for the registry
 * the chart comes from: credentials are never sent to another host than the one they were made for.
 */
export function dockerRegistryCredentials(endpointId: string, chartHost: string): RegistryCredentials {
  const { auth } = requireEndpoint(endpointId, 'Docker registry');
  const param = (key: string) => authParam(endpointId, auth, key);
  const acr = (endpointData(endpointId, 'registrytype') ?? '').toUpperCase() === 'ACR';
  const registry = acr ? param('loginServer') : param('registry');
  if (!registry) throw new ConnectionError(`Docker registry service connection '${endpointId}' names no registry; edit the service connection.`);
  const host = registryHost(registry);
  if (!sameRegistry(host, chartHost)) {
    throw new ConnectionError(
      `Docker registry service connection '${endpointId}' is for registry ${host}, but the chart comes from ${chartHost}; its credentials are sent only to their own registry. Choose the connection of ${chartHost}.`,
    );
  }
  const scheme = auth.scheme.toLowerCase();
  if (acr && scheme !== 'serviceprincipal') {
    throw new ConnectionError(
      `Docker registry service connection '${endpointId}' signs in to ${host} with '${auth.scheme}', which this task does not read; use chartRegistryAuth azureContainerRegistry with an Azure Resource Manager connection instead.`,
    );
  }
  const username = acr ? param('serviceprincipalid') : param('username');
  const password = acr ? param('serviceprincipalkey') : param('password');
  if (!username || !password) {
    throw new ConnectionError(`Docker registry service connection '${endpointId}' for ${host} has no ${username ? 'password' : 'user name'}; edit the service connection.`);
  }
  return { username, password: secret(password), source: `Docker registry service connection '${endpointId}' (user ${username})` };
}

/** ACR's reason for refusing an exchange: its `errors[].message` or `error_description`, never the request. */
function acrReason(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ message?: string }>; error_description?: string; error?: string; message?: string };
    const text = parsed.errors?.map((e) => e.message).filter(Boolean).join('; ') || parsed.error_description || parsed.message || parsed.error;
    if (text) return `${status} ${text}`;
  } catch {
    // not JSON: the status says enough
  }
  return `HTTP ${status}`;
}

export interface AcrExchange {
  registry: string;
  tenant: string;
  accessToken: string;
  /** For messages: the identity the Entra token belongs to. */
  who: string;
}

/** A form POST with a hard deadline, through the agent's proxy unless bypassed (connection/proxy.ts). */
function postForm(url: URL, form: URLSearchParams, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = form.toString();
    const req = https.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      agent: tunnelAgent(activeProxy(), url),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, 1 << 16) });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

/** POST https://<registry>/oauth2/exchange (grant_type access_token): ACR's refresh token for an Entra token. */
export async function exchangeAcrToken(x: AcrExchange, timeoutMs = EXCHANGE_TIMEOUT_MS): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'access_token', service: x.registry, tenant: x.tenant, access_token: x.accessToken });
  let response: { status: number; body: string };
  try {
    response = await postForm(new URL(`https://${x.registry}/oauth2/exchange`), form, timeoutMs);
  } catch (err) {
    throw new ConnectionError(`Could not reach Azure Container Registry ${x.registry} to exchange the Entra ID token of ${x.who}: ${(err as Error).message}.`);
  }
  if (response.status !== 200) {
    const hint = response.status === 401 || response.status === 403 ? ' Check that the identity has the AcrPull role on the registry and that the registry is in its tenant.' : '';
    throw new ConnectionError(`Azure Container Registry ${x.registry} refused the Entra ID token of ${x.who} (${acrReason(response.status, response.body)}).${hint}`);
  }
  let token: string | undefined;
  try {
    token = (JSON.parse(response.body) as { refresh_token?: string }).refresh_token;
  } catch {
    token = undefined;
  }
  if (!token) throw new ConnectionError(`Azure Container Registry ${x.registry} answered the token exchange without a refresh token.`);
  return secret(token);
}

/** An ACR refresh token for the identity of an Azure Resource Manager connection. */
export async function acrCredentials(endpointId: string, registry: string): Promise<RegistryCredentials> {
  const azure = azureCredential(endpointId);
  const token = await azure.credential.getToken(azure.armScope);
  if (!token) throw new ConnectionError(`Azure sign-in for ${azure.describe} returned no token.`);
  const refresh = await exchangeAcrToken({ registry, tenant: azure.tenantId, accessToken: secret(token.token), who: azure.describe });
  return { username: ACR_TOKEN_USER, password: refresh, source: `Azure Resource Manager connection '${endpointId}' (${azure.describe})` };
}

/** The credentials of a chart's registry or repository, from the kind of authentication chosen. */
export async function credentialsFor(auth: ChartAuth, chart: ChartInputs): Promise<RegistryCredentials> {
  const { host } = chartSource(chart);
  switch (auth.kind) {
    case 'dockerRegistry':
      return dockerRegistryCredentials(auth.endpoint, host);
    case 'azureContainerRegistry':
      return acrCredentials(auth.endpoint, host);
    case 'basic':
      return { username: auth.username, password: secret(auth.password), source: `user ${auth.username}` };
  }
}

/** Docker's config.json with one registry's credentials (what `helm registry login` writes). */
export function registryConfigText(host: string, credentials: Pick<RegistryCredentials, 'username' | 'password'>): string {
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
  // helm looks Docker Hub up under its legacy index URL; every other registry under its host.
  const keys = DOCKER_HUB.has(host) ? [host, 'https://index.docker.io/v1/'] : [host];
  return `${JSON.stringify({ auths: Object.fromEntries(keys.map((key) => [key, { auth }])) }, null, 2)}\n`;
}

/** helm's repositories.yaml with the one repository the chart comes from (what `helm repo add` writes). */
export function repositoryConfigText(url: string, credentials: Pick<RegistryCredentials, 'username' | 'password'>): string {
  return YAML.stringify({
    apiVersion: '',
    generated: '0001-01-01T00:00:00Z',
    repositories: [
      {
        name: PRIVATE_REPO_NAME,
        url,
        username: credentials.username,
        password: credentials.password,
        caFile: '',
        certFile: '',
        keyFile: '',
        insecure_skip_tls_verify: false,
        pass_credentials_all: false,
      },
    ],
  });
}

const writePrivate = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, text, { mode: 0o600 });
};

/** Writes helm's config for the chart's source with the credentials under `workDir`; returns what helm needs. */
export function writeChartAccess(workDir: string, chart: ChartInputs, credentials: RegistryCredentials): ChartAccess {
  const source = chartSource(chart);
  const dir = path.join(workDir, 'helm-credentials');
  if (source.kind === 'oci') {
    const file = path.join(dir, 'registry-config.json');
    writePrivate(file, registryConfigText(source.host, credentials));
    return { env: { HELM_REGISTRY_CONFIG: file }, describe: `registry ${source.host} with the credentials of ${credentials.source}` };
  }
  const file = path.join(dir, 'repositories.yaml');
  writePrivate(file, repositoryConfigText(source.url, credentials));
  return {
    env: { HELM_REPOSITORY_CONFIG: file, HELM_REPOSITORY_CACHE: path.join(dir, 'repository-cache') },
    describe: `repository ${source.url} with the credentials of ${credentials.source}`,
    repoName: PRIVATE_REPO_NAME,
  };
}

const prepared = new WeakMap<Helm, Promise<ChartAccess>>();

/**
 * Signs helm in to the chart's registry or repository, once per task: the credentials are obtained, written
 * to helm's config under workDir and helm is pointed at them; a classic repository's index is fetched at
 * once, so wrong credentials fail here, naming the repository.
 */
export function chartAccess(helm: Helm, chart: ChartInputs, workDir: string): Promise<ChartAccess> {
  const auth = chart.auth;
  if (!auth) throw new Error('chartAccess needs chart credentials');
  let access = prepared.get(helm);
  if (!access) {
    access = (async () => {
      const credentials = await credentialsFor(auth, chart);
      const result = writeChartAccess(workDir, chart, credentials);
      helm.useCredentials(result.env);
      console.log(`Chart credentials for ${result.describe}`);
      if (result.repoName) {
        const update = await helm.run(['repo', 'update'], { allowFailure: true });
        // helm reports a repository it could not read on two lines (which one, then why), and may still exit 0.
        const lines = `${update.stdout}\n${update.stderr}`.split('\n').map((line) => line.trim());
        const why = lines.filter((line) => /failed to fetch|unauthorized|forbidden|^Error:/i.test(line) && !/^\.\.\.Unable|failed to update the following/i.test(line));
        if (update.code !== 0 || why.length > 0 || lines.some((line) => /Unable to get an update/.test(line))) {
          throw new Error(`Could not read the index of ${result.describe}: ${why.join(' ').replace(/^Error: /, '') || `helm repo update exited with ${update.code}`}`);
        }
      }
      return result;
    })();
    prepared.set(helm, access);
  }
  return access;
}
