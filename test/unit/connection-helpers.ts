// Test helpers for connection and Azure credential scenarios: agent-style service connection variables, a
// child-process runner, and a tiny Kubernetes API stand-in that answers GET /version and records bearers.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { TEST_CA_CERT, TLS_DIR } from '../cluster/azure/server';
import type { RunnerRequest } from './connection-runner';

export interface ServiceConnection {
  url?: string;
  scheme: string;
  parameters?: Record<string, string>;
  data?: Record<string, string>;
}

/** The variables the agent sets for one service connection (ENDPOINT_AUTH_<id> JSON and per-key ones). */
export function endpointEnv(id: string, sc: ServiceConnection): Record<string, string> {
  const env: Record<string, string> = {};
  const parameters = sc.parameters ?? {};
  if (sc.url) env[`ENDPOINT_URL_${id}`] = sc.url;
  env[`ENDPOINT_AUTH_${id}`] = JSON.stringify({ scheme: sc.scheme, parameters });
  env[`ENDPOINT_AUTH_SCHEME_${id}`] = sc.scheme;
  for (const [key, value] of Object.entries(parameters)) env[`ENDPOINT_AUTH_PARAMETER_${id}_${key.toUpperCase()}`] = value;
  for (const [key, value] of Object.entries(sc.data ?? {})) env[`ENDPOINT_DATA_${id}_${key.toUpperCase()}`] = value;
  return env;
}

export interface RunOutcome<T> {
  result?: T;
  error?: { name: string; message: string };
  stdout: string;
  stderr: string;
  /** Values registered with ##vso[task.setsecret]. */
  secrets: string[];
}

const RUNNER = path.join(__dirname, 'connection-runner.js');

/** Runs one scenario in a fresh Node process with the agent-style environment. */
export function runInAgent<T>(request: RunnerRequest, env: Record<string, string>, tempDir: string): Promise<RunOutcome<T>> {
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: tempDir,
    NODE_EXTRA_CA_CERTS: TEST_CA_CERT,
    AGENT_TEMPDIRECTORY: tempDir,
    AGENT_VERSION: '4.260.0',
    ...env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, JSON.stringify(request)], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const line = (prefix: string) => stdout.split(/\r?\n/).find((l) => l.startsWith(prefix))?.slice(prefix.length);
      const result = line('RESULT ');
      const error = line('ERROR ');
      const secrets = [...stdout.matchAll(/^##vso\[task\.setsecret\](.*)$/gm)].map((m) => m[1] ?? '');
      resolve({ result: result ? (JSON.parse(result) as T) : undefined, error: error ? JSON.parse(error) : undefined, stdout, stderr, secrets });
    });
  });
}

/**
 * Asserts that none of `secrets` appears in the output except on the lines that register it with the
 * agent's masker, and that each is registered.
 */
export function assertSecretsMasked(outcome: RunOutcome<unknown>, secrets: string[]): void {
  const visible = outcome.stdout
    .split(/\r?\n/)
    .filter((l) => !l.startsWith('##vso[task.setsecret]'))
    .concat(outcome.stderr.split(/\r?\n/));
  for (const secret of secrets) {
    const leak = visible.find((l) => l.includes(secret));
    if (leak !== undefined) throw new Error(`secret ${secret.slice(0, 6)}... printed: ${leak.slice(0, 200)}`);
    if (!outcome.secrets.includes(secret)) throw new Error(`secret ${secret.slice(0, 6)}... was not registered with setSecret`);
  }
}

export interface KubeStandIn {
  url: string;
  /** Authorization headers seen on GET /version, in order. */
  authorizations: string[];
  close(): Promise<void>;
}

/** A minimal API server: GET /version only; `tls` serves the fixture certificate signed by the test CA. */
export async function startKubeStandIn(tls = false): Promise<KubeStandIn> {
  const authorizations: string[] = [];
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === '/version') {
      authorizations.push(String(req.headers.authorization ?? ''));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ major: '1', minor: '31', gitVersion: 'v1.31.2' }));
      return;
    }
    res.writeHead(404).end();
  };
  const server = tls
    ? https.createServer({ key: fs.readFileSync(path.join(TLS_DIR, 'server.key')), cert: fs.readFileSync(path.join(TLS_DIR, 'server.crt')) }, onRequest)
    : http.createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    authorizations,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A loopback port with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function makeTempDir(prefix: string, parent = os.tmpdir()): string {
  return fs.mkdtempSync(path.join(parent, prefix));
}

/** Claims of a JWT-shaped token (no verification). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Puts process.env back to `saved` in place (tests that change agent variables undo them this way). */
export function restoreEnv(saved: NodeJS.ProcessEnv): void {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
}
