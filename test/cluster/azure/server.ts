// The local cluster's fake Azure: one loopback HTTPS server (the Azure SDK refuses plain http for
// bearer tokens) that answers Entra ID token requests, ARM calls for AKS credentials and Traffic Manager.
// Each area plugs in an AzureHandler; the first handler that returns a response wins.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';

export const TLS_DIR = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'tls');
/** Point NODE_EXTRA_CA_CERTS at this so the SDK clients (and the bundled tasks) trust the fake. */
export const TEST_CA_CERT = path.join(TLS_DIR, 'ca.crt');

export interface AzureRequest {
  method: string;
  /** Path without the query string, e.g. /subscriptions/s/resourceGroups/rg/... */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** Raw body; `json` is set when it parses as JSON, `form` when it is url-encoded. */
  body: string;
  json?: unknown;
  form?: URLSearchParams;
}

export interface AzureResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type AzureHandler = (req: AzureRequest) => Promise<AzureResponse | undefined> | AzureResponse | undefined;

/** An ARM-shaped error body: `{ error: { code, message } }`. */
export function armError(status: number, code: string, message: string): AzureResponse {
  return { status, body: { error: { code, message } } };
}

export interface FakeAzureServer {
  /** https://127.0.0.1:PORT */
  url: string;
  /** Every request seen, in order (for assertions such as "no write happened"). */
  requests: AzureRequest[];
  use(handler: AzureHandler): void;
  close(): Promise<void>;
}

export async function startFakeAzure(handlers: AzureHandler[] = []): Promise<FakeAzureServer> {
  const chain = [...handlers];
  const requests: AzureRequest[] = [];
  const server = https.createServer(
    { key: fs.readFileSync(path.join(TLS_DIR, 'server.key')), cert: fs.readFileSync(path.join(TLS_DIR, 'server.crt')) },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const url = new URL(req.url ?? '/', 'https://127.0.0.1');
        const body = Buffer.concat(chunks).toString('utf8');
        const request: AzureRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body };
        const type = String(req.headers['content-type'] ?? '');
        if (body && type.includes('json')) {
          try { request.json = JSON.parse(body); } catch { /* handlers see the raw body */ }
        } else if (body && type.includes('x-www-form-urlencoded')) {
          request.form = new URLSearchParams(body);
        }
        requests.push(request);
        let response: AzureResponse | undefined;
        try {
          for (const handler of chain) {
            response = await handler(request);
            if (response) break;
          }
        } catch (err) {
          response = armError(500, 'InternalServerError', String(err));
        }
        response ??= armError(404, 'NotFound', `fake Azure has no handler for ${request.method} ${request.path}`);
        const payload = response.body === undefined ? '' : typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
        res.writeHead(response.status, { 'content-type': 'application/json; charset=utf-8', ...response.headers });
        res.end(payload);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    use: (handler) => chain.push(handler),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
