// One cheap request before any real work: GET /version with the connection's own TLS settings and
// credentials, so an unreachable or misconfigured cluster fails in one sentence instead of deep in helm.
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { ConnectionError } from './endpoint';

export const DEFAULT_REACHABILITY_TIMEOUT_MS = 15_000;

const HINT = 'Check the service connection and that the agent can reach the cluster.';

/** Resolves to the server's gitVersion (e.g. v1.31.2); rejects with a ConnectionError. */
export async function ensureReachable(kc: KubeConfig, describe: string, timeoutMs = DEFAULT_REACHABILITY_TIMEOUT_MS): Promise<string> {
  const server = kc.getCurrentCluster()?.server ?? '';
  let url: URL;
  try {
    url = new URL(`${server.replace(/\/+$/, '')}/version`);
  } catch {
    throw new ConnectionError(`The API server URL '${server}' of ${describe} is not a valid URL.`);
  }
  const options: https.RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
  try {
    // Runs exec plugins and adds the bearer token, CA and client certificate exactly as the client would.
    await kc.applyToHTTPSOptions(options);
  } catch (err) {
    throw new ConnectionError(`Could not prepare credentials for ${describe}: ${err instanceof Error ? err.message : String(err)}`);
  }
  // An https agent cannot carry an http request; a proxy's agent (kubeconfig proxy-url) must stay.
  if (url.protocol === 'http:' && options.agent instanceof https.Agent) delete options.agent;
  const { status, body } = await get(url, options, timeoutMs).catch((err: Error & { code?: string }) => {
    throw new ConnectionError(`Cannot reach the Kubernetes API server at ${server}: ${err.message}. ${HINT}`);
  });
  if (status === 401 || status === 403) {
    throw new ConnectionError(
      `The Kubernetes API server at ${server} refused the credentials of ${describe} (${status} ${http.STATUS_CODES[status]}). Check the token or certificate in the service connection.`,
    );
  }
  if (status !== 200) {
    throw new ConnectionError(`The Kubernetes API server at ${server} answered GET /version with ${status} ${http.STATUS_CODES[status] ?? ''}. ${HINT}`);
  }
  try {
    const version = JSON.parse(body) as { gitVersion?: string };
    return version.gitVersion ?? 'unknown version';
  } catch {
    throw new ConnectionError(`${server} answered GET /version with something that is not a Kubernetes version; is it an API server? ${HINT}`);
  }
}

function get(url: URL, options: https.RequestOptions, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'http:' ? http : https).request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
    request.on('error', reject);
    request.end();
  });
}
