// One instant query against a Prometheus-compatible HTTP API (Prometheus, Azure Monitor managed
// Prometheus, Thanos, Mimir...): POST /api/v1/query, bounded by a deadline, answered as numbers or as a
// reason. Credentials travel in a header only; the caller registered them as secrets.
import * as http from 'node:http';
import * as https from 'node:https';

export interface Series {
  /** `{service="calc-active",status="200"}`, for the log. */
  labels: string;
  value: number;
}

export type QueryResult =
  | { kind: 'values'; series: Series[] }
  /** permanent: the query or the server setting is wrong (400, 401, 403, 404): retrying cannot help. */
  | { kind: 'error'; message: string; permanent: boolean };

export interface MetricsServer {
  /** Base URL, e.g. http://prometheus:9090 or https://ws.westeurope.prometheus.monitor.azure.com */
  url: string;
  /** For the log: "Prometheus at http://... (bearer token)". */
  describe: string;
  /** Headers for each request (an Authorization header, a fresh Entra token...). */
  headers(): Promise<Record<string, string>>;
}

const MAX_BODY = 4 << 20;

function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      f();
    };
    const req = client.request(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY) chunks.push(c);
      });
      res.on('end', () => finish(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })));
      res.on('error', (err) => finish(() => reject(err)));
    });
    const timer = setTimeout(() => {
      const err = new Error(`no answer within ${Math.round(timeoutMs / 100) / 10} s`);
      finish(() => reject(err));
      req.destroy(err);
    }, Math.max(0, timeoutMs));
    req.on('error', (err) => finish(() => reject(err)));
    req.end(body);
  });
}

const labelsText = (metric: Record<string, string> | undefined) =>
  `{${Object.entries(metric ?? {})
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

/** Prometheus writes values as strings: "0.98", "NaN", "+Inf". */
const number = (text: unknown): number => (text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text));

/** Reads the API's JSON answer (https://prometheus.io/docs/prometheus/latest/querying/api/). */
export function readAnswer(status: number, body: string): QueryResult {
  let json: { status?: string; errorType?: string; error?: string; data?: { resultType?: string; result?: unknown } } | undefined;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const permanent = status === 400 || status === 401 || status === 403 || status === 404 || status === 405;
  if (status < 200 || status > 299 || json?.status !== 'success') {
    const why = json?.error ? `${json.errorType ?? 'error'}: ${json.error}` : body.trim().slice(0, 200) || 'no body';
    const hint =
      status === 401 || status === 403
        ? ' (the server refused the credentials: check metricsAuth and its token or password, or the identity\'s "Monitoring Data Reader" role on the Azure Monitor workspace)'
        : status === 404
          ? ' (check metricsServer: the base URL the Prometheus HTTP API answers on, without /api/v1)'
          : '';
    return { kind: 'error', message: `the metrics server answered ${status}: ${why}${hint}`, permanent };
  }
  const data = json.data ?? {};
  if (data.resultType === 'scalar') {
    const [, v] = (data.result as [number, string]) ?? [];
    return { kind: 'values', series: [{ labels: 'scalar', value: number(v) }] };
  }
  if (data.resultType === 'vector') {
    const rows = (data.result as Array<{ metric?: Record<string, string>; value?: [number, string] }>) ?? [];
    return { kind: 'values', series: rows.map((r) => ({ labels: labelsText(r.metric), value: number(r.value?.[1]) })) };
  }
  return { kind: 'error', message: `the query returns a ${data.resultType ?? 'unknown'}, not a number: a gate needs an instant vector or a scalar (no [range] at the end)`, permanent: true };
}

/** Runs one instant query; never throws (network failures are transient errors). */
export async function instantQuery(server: MetricsServer, promql: string, timeoutMs: number): Promise<QueryResult> {
  let url: URL;
  try {
    url = new URL(`${server.url.replace(/\/+$/, '')}/api/v1/query`);
  } catch {
    return { kind: 'error', message: `metricsServer ${server.url} is not a URL`, permanent: true };
  }
  try {
    const headers = await server.headers();
    const answer = await post(url, headers, new URLSearchParams({ query: promql }).toString(), timeoutMs);
    return readAnswer(answer.status, answer.body);
  } catch (err) {
    return { kind: 'error', message: `the metrics server could not be queried: ${(err as Error).message}`, permanent: false };
  }
}
