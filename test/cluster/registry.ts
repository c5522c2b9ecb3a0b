// Private chart sources for the registry tests, real where a real one exists:
// - an OCI registry: Debian's docker-registry (the CNCF distribution registry) on a loopback port, with TLS
//   (the test CA's server certificate) and htpasswd users (bcrypt lines from apache2-utils' htpasswd -B);
// - a classic helm repository: a small HTTPS file server with basic authentication serving index.yaml and
//   the packaged chart (helm repo index writes the index).
// helm trusts the test CA through SSL_CERT_FILE (Go's crypto/x509 reads it), Node through NODE_EXTRA_CA_CERTS.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { TEST_CA_CERT, TLS_DIR } from './azure/server';
import { helmBinary, type HelmMajor } from './helm';

export const DOCKER_REGISTRY = '/usr/bin/docker-registry';
export const HTPASSWD = '/usr/bin/htpasswd';

/** Why the registry tests cannot run here, or undefined; with CI=true a missing package is a failure, not a skip. */
export function registryPackagesMissing(): string | undefined {
  const missing = [
    ...(fs.existsSync(DOCKER_REGISTRY) ? [] : ['docker-registry']),
    ...(fs.existsSync(HTPASSWD) ? [] : ['apache2-utils']),
  ];
  if (missing.length === 0) return undefined;
  const message = `${missing.join(' and ')} not installed: install it with: apt-get install ${missing.join(' ')}`;
  if (process.env.CI === 'true') throw new Error(`${message} (.ci/run installs it; CI never skips these tests)`);
  return message;
}

/** The environment helm and the bundled tasks need to trust the test registries. */
export const TRUST_TEST_CA: Record<string, string> = { SSL_CERT_FILE: TEST_CA_CERT, NODE_EXTRA_CA_CERTS: TEST_CA_CERT };

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A bcrypt htpasswd line; the password goes through stdin (htpasswd -i), never a command line. */
export function htpasswdLine(user: string, password: string): string {
  return execFileSync(HTPASSWD, ['-B', '-i', '-n', user], { input: password, encoding: 'utf8' }).trim();
}

export interface OciRegistry {
  /** 127.0.0.1:PORT */
  host: string;
  close(): Promise<void>;
}

/** Waits (at most `ms`) until `url` answers at all over TLS (a 401 counts: the server is up). */
async function waitForAnswer(url: string, ms: number, child?: ChildProcess, log?: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`${url}: the server exited (${child.exitCode}): ${log?.()}`);
    const answered = await new Promise<boolean>((resolve) => {
      const req = https.get(url, { ca: fs.readFileSync(TEST_CA_CERT), timeout: 2000 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
    if (answered) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${ms / 1000} s: ${log?.()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Starts docker-registry with TLS and these users (user -> password). */
export async function startOciRegistry(users: Record<string, string>): Promise<OciRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-registry-'));
  const port = await freePort();
  fs.writeFileSync(path.join(dir, 'htpasswd'), `${Object.entries(users).map(([u, p]) => htpasswdLine(u, p)).join('\n')}\n`);
  const config = [
    'version: 0.1',
    'log: { level: warn, accesslog: { disabled: true } }',
    `storage: { filesystem: { rootdirectory: ${JSON.stringify(path.join(dir, 'data'))} } }`,
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${crypto.randomBytes(16).toString('hex')}`,
    `  tls: { certificate: ${JSON.stringify(path.join(TLS_DIR, 'server.crt'))}, key: ${JSON.stringify(path.join(TLS_DIR, 'server.key'))} }`,
    `auth: { htpasswd: { realm: test-registry, path: ${JSON.stringify(path.join(dir, 'htpasswd'))} } }`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'config.yml'), config);
  const child = spawn(DOCKER_REGISTRY, ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const close = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForAnswer(`https://127.0.0.1:${port}/v2/`, 20_000, child, () => output);
  } catch (err) {
    await close();
    throw err;
  }
  return { host: `127.0.0.1:${port}`, close };
}

/** `helm package` of a chart folder into `dest`; returns the archive. */
export function packageChart(helm: HelmMajor, chartDir: string, dest: string): string {
  fs.mkdirSync(dest, { recursive: true });
  const out = execFileSync(helmBinary(helm), ['package', chartDir, '--destination', dest], { encoding: 'utf8', env: { ...process.env, HELM_CACHE_HOME: path.join(dest, '.cache') } });
  const archive = /saved it to: (.+\.tgz)/.exec(out)?.[1];
  if (!archive) throw new Error(`helm package printed no archive: ${out}`);
  return archive.trim();
}

/** Pushes a chart archive to `oci://<host>/<repository>` as `user` (credentials in a config file, not argv). */
export function pushChart(helm: HelmMajor, archive: string, host: string, repository: string, user: string, password: string): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'push-'));
  try {
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }), { mode: 0o600 });
    execFileSync(helmBinary(helm), ['push', archive, `oci://${host}/${repository}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...TRUST_TEST_CA, HELM_REGISTRY_CONFIG: config, HELM_CACHE_HOME: path.join(dir, 'cache'), HELM_CONFIG_HOME: path.join(dir, 'config') },
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface ChartRepository {
  /** https://127.0.0.1:PORT/charts */
  url: string;
  /** Every request: path and the user it authenticated as (undefined: refused). */
  requests: Array<{ path: string; user?: string }>;
  close(): Promise<void>;
}

/** An HTTPS helm repository with basic authentication, serving `archives` and their index.yaml under /charts. */
export async function startChartRepository(helm: HelmMajor, archives: string[], users: Record<string, string>): Promise<ChartRepository> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-repo-'));
  for (const archive of archives) fs.copyFileSync(archive, path.join(dir, path.basename(archive)));
  // Relative chart URLs: helm resolves them against the repository URL, so credentials stay on this host.
  execFileSync(helmBinary(helm), ['repo', 'index', dir], { encoding: 'utf8' });
  const requests: ChartRepository['requests'] = [];
  const server = https.createServer({ key: fs.readFileSync(path.join(TLS_DIR, 'server.key')), cert: fs.readFileSync(path.join(TLS_DIR, 'server.crt')) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const header = String(req.headers.authorization ?? '');
    const [user, ...rest] = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8').split(':') : [];
    const ok = user !== undefined && users[user] !== undefined && users[user] === rest.join(':');
    requests.push({ path: url.pathname, user: ok ? user : undefined });
    if (!ok) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="charts"' }).end('unauthorized\n');
      return;
    }
    const name = url.pathname.replace(/^\/charts\//, '');
    const file = path.join(dir, path.basename(name));
    if (!url.pathname.startsWith('/charts/') || name !== path.basename(name) || !fs.existsSync(file)) {
      res.writeHead(404).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': name.endsWith('.yaml') ? 'text/yaml' : 'application/gzip' }).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/charts`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
