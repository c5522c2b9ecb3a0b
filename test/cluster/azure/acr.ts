// A fake Azure Container Registry login server: ACR's token exchange in front of a real registry.
//
// POST /oauth2/exchange (form: grant_type=access_token, service=<this host>, tenant, access_token) checks the
// Entra ID token with the fake Entra (signature, expiry, audience ARM, tenant) and the identity's AcrPull
// grant, and answers {refresh_token}, as ACR does for `az acr login --expose-token`. The refresh token is
// the password of user 00000000-0000-0000-0000-000000000000 in the backing docker-registry's htpasswd, so
// helm's login with it is checked by the real registry. Every other request is proxied to that registry.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FakeEntra } from './aad';
import { TEST_CA_CERT, TLS_DIR } from './server';

export interface FakeAcrOptions {
  entra: FakeEntra;
  /** Audiences ACR accepts Entra tokens for (ARM's URL, as for `az acr login`). */
  audiences: string[];
  /** The registry's tenant. */
  tenantId: string;
  /** Client ids that hold AcrPull on the registry. */
  pullers: string[];
  /** The refresh token handed out (the backing registry's password for the ACR token user). */
  refreshToken: string;
  /** host:port of the docker-registry behind it (TLS with the test CA). */
  backend: string;
}

export interface FakeAcr {
  /** 127.0.0.1:PORT, the registry's login server. */
  host: string;
  /** Token exchanges seen: who asked and the answer's status. */
  exchanges: Array<{ clientId?: string; status: number }>;
  /** Who sent each request (a proxied one comes from the proxy's address), and its path. */
  peers: Array<{ address: string; path: string }>;
  close(): Promise<void>;
}

const acrError = (code: string, message: string) => JSON.stringify({ errors: [{ code, message }] });

export async function startFakeAcr(o: FakeAcrOptions): Promise<FakeAcr> {
  const exchanges: FakeAcr['exchanges'] = [];
  const peers: FakeAcr['peers'] = [];
  const [backendHost, backendPort] = o.backend.split(':');
  const ca = fs.readFileSync(TEST_CA_CERT);
  let host = '';

  const exchange = (body: string): { status: number; body: string; clientId?: string } => {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'access_token') return { status: 400, body: acrError('UNSUPPORTED', `grant_type '${form.get('grant_type')}' is not supported`) };
    if (form.get('service') !== host) return { status: 400, body: acrError('INVALID_SERVICE', `service '${form.get('service')}' is not this registry (${host})`) };
    const claims = o.entra.verifyBearer(`Bearer ${form.get('access_token') ?? ''}`, o.audiences);
    if ('error' in claims) return { status: 401, body: acrError('UNAUTHORIZED', `the access token is ${claims.error}`) };
    if (form.get('tenant') !== claims.tid || claims.tid !== o.tenantId) return { status: 401, body: acrError('UNAUTHORIZED', `tenant '${form.get('tenant')}' is not the registry's tenant`), clientId: claims.appid };
    if (!o.pullers.includes(claims.appid)) {
      return { status: 401, body: acrError('UNAUTHORIZED', `identity '${claims.appid}' is not authorized to access this registry`), clientId: claims.appid };
    }
    return { status: 200, body: JSON.stringify({ refresh_token: o.refreshToken }), clientId: claims.appid };
  };

  const server = https.createServer({ key: fs.readFileSync(path.join(TLS_DIR, 'server.key')), cert: fs.readFileSync(path.join(TLS_DIR, 'server.crt')) }, (req, res) => {
    peers.push({ address: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '', path: new URL(req.url ?? '/', 'https://acr').pathname });
    if (req.method === 'POST' && req.url === '/oauth2/exchange') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = exchange(Buffer.concat(chunks).toString('utf8'));
        exchanges.push({ clientId: answer.clientId, status: answer.status });
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      });
      return;
    }
    // The registry's own API, proxied with the Host the client used (so any URL it builds points back here).
    const upstream = https.request(
      { host: backendHost, port: Number(backendPort), method: req.method, path: req.url, headers: { ...req.headers }, ca },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => res.writeHead(502).end(String(err)));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    exchanges,
    peers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
