// Fake Entra ID (AAD) for the Azure SDK clients, plus the Azure DevOps OIDC endpoint workload identity
// federation starts from. Plugs into startFakeAzure as one AzureHandler.
//
// What msal-node / @azure/identity 4.13 call, and what answers here:
// - GET  /{tenant}/v2.0/.well-known/openid-configuration   tenant discovery (token endpoint, issuer).
//   Instance discovery (/common/discovery/instance) is only asked of login.microsoftonline.com; clients of a
//   non-public authority host set disableInstanceDiscovery (as for Azure Stack). Served anyway.
// - POST /{tenant}/oauth2/v2.0/token  grant_type=client_credentials with client_secret, or a client_assertion:
//   a certificate-signed JWT (PS256/RS256, x5t#S256 header) verified against the registered certificate, or a
//   federated token from the fake Azure DevOps OIDC endpoint, matched on issuer + subject.
// - GET  /metadata/identity/oauth2/token (IMDS; reach it with AZURE_POD_IDENTITY_AUTHORITY_HOST=<fake url>).
// - POST <devops>/oidctoken?api-version=7.1&serviceConnectionId=<id> with the job's access token → {oidcToken}.
// Access tokens are JWT-shaped (HS256 with a per-instance key) carrying appid, tid, aud and scp, so tests can
// tell which identity asked for which scope, and the fake ARM (aks.ts) can check them.
import * as crypto from 'node:crypto';
import type { AzureHandler, AzureRequest, AzureResponse } from './server';

export interface FakeServicePrincipal {
  clientId: string;
  tenantId: string;
  objectId?: string;
  secret?: string;
  /** PEM certificate the app accepts client assertions from (e.g. test/fixtures/tls/client.crt). */
  certificatePem?: string;
  /** Federated credentials: subjects of Azure DevOps OIDC tokens (`sc://org/project/connection`). */
  federatedSubjects?: string[];
}

export interface FakeManagedIdentity {
  clientId: string;
  tenantId: string;
  objectId?: string;
  /** The identity IMDS returns when no client_id is asked for. */
  systemAssigned?: boolean;
}

export interface FakeDevOps {
  organization: string;
  project: string;
  /** The job's System.AccessToken the OIDC endpoint requires. */
  accessToken: string;
  /** Service connection id -> its name (the subject is sc://org/project/name). */
  serviceConnections: Record<string, string>;
}

export interface FakeEntraOptions {
  servicePrincipals?: FakeServicePrincipal[];
  managedIdentities?: FakeManagedIdentity[];
  devOps?: FakeDevOps;
  tokenLifetimeSeconds?: number;
}

export interface TokenClaims {
  appid: string;
  tid: string;
  oid: string;
  aud: string;
  scp: string;
  iss: string;
  sub: string;
  exp: number;
  iat: number;
}

export interface IssuedToken {
  grant: 'client_secret' | 'client_certificate' | 'client_assertion' | 'managed_identity';
  clientId: string;
  tenantId: string;
  scope: string;
  token: string;
}

export interface FakeEntra {
  handler: AzureHandler;
  /** Every access token handed out, in order. */
  issued: IssuedToken[];
  /** Path (on the fake server) to use as System.OidcRequestUri. */
  oidcRequestPath: string;
  /** Claims of a token this fake signed, or undefined for anything else. */
  decode(token: string): TokenClaims | undefined;
  /** Checks an `Authorization: Bearer` header against an audience; returns the claims or why not. */
  verifyBearer(authorization: string | string[] | undefined, audiences: string[]): TokenClaims | { error: 'missing' | 'invalid' | 'expired' | 'audience'; aud?: string };
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');
const json64 = (value: unknown) => b64url(JSON.stringify(value));
const parseJwtPart = <T>(part: string | undefined): T | undefined => {
  try {
    return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
};
const trimSlash = (s: string) => s.replace(/\/+$/, '');

export const DEVOPS_OIDC_ISSUER = 'https://vstoken.dev.azure.com/00000000-0000-0000-0000-0000000000de';

export function fakeEntra(options: FakeEntraOptions = {}): FakeEntra {
  const key = crypto.randomBytes(32);
  const lifetime = options.tokenLifetimeSeconds ?? 3599;
  const issued: IssuedToken[] = [];
  const devOps = options.devOps;
  const oidcRequestPath = devOps
    ? `/${devOps.organization}/${devOps.project}/_apis/distributedtask/hubs/build/plans/plan-1/jobs/job-1/oidctoken`
    : '/devops-not-configured/oidctoken';

  const sign = (claims: object) => {
    const head = `${json64({ typ: 'JWT', alg: 'HS256', kid: 'fake-entra' })}.${json64(claims)}`;
    return `${head}.${b64url(crypto.createHmac('sha256', key).update(head).digest())}`;
  };
  const decode = <T = TokenClaims>(token: string): T | undefined => {
    const [head, body, sig] = token.split('.');
    if (!head || !body || !sig) return undefined;
    const expected = b64url(crypto.createHmac('sha256', key).update(`${head}.${body}`).digest());
    if (sig.length !== expected.length || !crypto.timingSafeEqual(Buffer.from(sig), Buffer.from(expected))) return undefined;
    return parseJwtPart<T>(body);
  };

  const accessToken = (grant: IssuedToken['grant'], clientId: string, tenantId: string, objectId: string | undefined, scope: string) => {
    const now = Math.floor(Date.now() / 1000);
    const aud = trimSlash(scope.replace(/\/\.default$/, ''));
    const oid = objectId ?? `oid-${clientId}`;
    const claims: TokenClaims = { appid: clientId, tid: tenantId, oid, sub: oid, aud, scp: scope, iss: `https://sts.windows.net/${tenantId}/`, iat: now, exp: now + lifetime };
    const token = sign(claims);
    issued.push({ grant, clientId, tenantId, scope, token });
    return token;
  };

  const handler: AzureHandler = (req) => {
    const base = `https://${String(req.headers.host)}`;
    let m: RegExpMatchArray | null;
    if (req.method === 'GET' && (m = req.path.match(/^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/))) {
      const tenant = m[1];
      return {
        status: 200,
        body: {
          issuer: `${base}/${tenant}/v2.0`,
          token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
          authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
          device_authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/devicecode`,
          end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
          jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
          response_modes_supported: ['query', 'fragment', 'form_post'],
          tenant_region_scope: 'EU',
        },
      };
    }
    if (req.method === 'GET' && req.path === '/common/discovery/instance') {
      const host = String(req.headers.host);
      return { status: 200, body: { tenant_discovery_endpoint: `${base}/common/v2.0/.well-known/openid-configuration`, 'api-version': '1.1', metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }] } };
    }
    if (req.method === 'POST' && (m = req.path.match(/^\/([^/]+)\/oauth2\/v2\.0\/token$/)) && m[1]) return tokenEndpoint(req, m[1], `${base}${req.path}`);
    // msal appends a slash to AZURE_POD_IDENTITY_AUTHORITY_HOST's path; IMDS takes both.
    if (req.method === 'GET' && /^\/metadata\/identity\/oauth2\/token\/?$/.test(req.path)) return imds(req);
    if (req.method === 'POST' && req.path === oidcRequestPath) return oidc(req);
    return undefined;
  };

  function tokenEndpoint(req: AzureRequest, tenant: string, tokenUrl: string): AzureResponse {
    const form = req.form ?? new URLSearchParams();
    const clientId = form.get('client_id') ?? '';
    const scope = (form.get('scope') ?? '').split(' ').find((s) => s.endsWith('/.default')) ?? '';
    if (form.get('grant_type') !== 'client_credentials') return aadError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.get('grant_type')}'.`);
    const sp = options.servicePrincipals?.find((p) => p.clientId === clientId);
    if (!sp || sp.tenantId !== tenant) {
      return aadError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`);
    }
    if (!scope) return aadError(400, 'invalid_scope', 1002012, `The provided value for scope ${form.get('scope')} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (secret !== null) {
      if (!sp.secret || secret !== sp.secret) {
        return aadError(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
      }
      return tokenResponse(accessToken('client_secret', clientId, tenant, sp.objectId, scope));
    }
    if (assertion && form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      const header = parseJwtPart<{ alg?: string; iss?: string }>(assertion.split('.')[0]);
      if (header?.alg === 'HS256') return federated(assertion, sp, scope);
      const why = certificateAssertionProblem(assertion, sp, tokenUrl);
      if (why) return aadError(401, 'invalid_client', 700027, `Client assertion failed signature validation. ${why}`);
      return tokenResponse(accessToken('client_certificate', clientId, tenant, sp.objectId, scope));
    }
    return aadError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }

  function federated(assertion: string, sp: FakeServicePrincipal, scope: string): AzureResponse {
    const claims = decode<{ iss?: string; sub?: string; aud?: string; exp?: number }>(assertion);
    if (!claims) return aadError(401, 'invalid_client', 700024, 'Client assertion is not within its valid time range or its signature is invalid.');
    if (claims.iss !== DEVOPS_OIDC_ISSUER || !sp.federatedSubjects?.includes(claims.sub ?? '')) {
      return aadError(400, 'invalid_request', 700213, `No matching federated identity record found for presented assertion subject '${claims.sub}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.`);
    }
    if (claims.aud !== 'api://AzureADTokenExchange') return aadError(400, 'invalid_request', 700212, `No matching federated identity record found for presented assertion audience '${claims.aud}'.`);
    return tokenResponse(accessToken('client_assertion', sp.clientId, sp.tenantId, sp.objectId, scope));
  }

  function imds(req: AzureRequest): AzureResponse {
    if (String(req.headers.metadata ?? '').toLowerCase() !== 'true') {
      return { status: 400, body: { error: 'invalid_request', error_description: 'Required metadata header not specified' } };
    }
    const resource = req.query.get('resource') ?? '';
    const clientId = req.query.get('client_id');
    const identities = options.managedIdentities ?? [];
    const mi = clientId ? identities.find((i) => i.clientId === clientId) : identities.find((i) => i.systemAssigned);
    if (!mi) return { status: 400, body: { error: 'invalid_request', error_description: 'Identity not found' } };
    const token = accessToken('managed_identity', mi.clientId, mi.tenantId, mi.objectId, `${trimSlash(resource)}/.default`);
    const now = Math.floor(Date.now() / 1000);
    return {
      status: 200,
      body: { access_token: token, client_id: mi.clientId, expires_in: String(lifetime), expires_on: String(now + lifetime), ext_expires_in: String(lifetime), not_before: String(now), resource, token_type: 'Bearer' },
    };
  }

  function oidc(req: AzureRequest): AzureResponse {
    if (!devOps || req.headers.authorization !== `Bearer ${devOps.accessToken}`) {
      return { status: 401, body: { message: 'TF400813: The user is not authorized to access this resource.' } };
    }
    const id = req.query.get('serviceConnectionId') ?? '';
    const name = devOps.serviceConnections[id];
    if (req.query.get('api-version') !== '7.1' || !name) {
      return { status: 400, body: { message: `Service connection '${id}' was not found or does not use workload identity federation.` } };
    }
    const now = Math.floor(Date.now() / 1000);
    const oidcToken = sign({ iss: DEVOPS_OIDC_ISSUER, sub: `sc://${devOps.organization}/${devOps.project}/${name}`, aud: 'api://AzureADTokenExchange', iat: now, nbf: now, exp: now + 600 });
    return { status: 200, body: { oidcToken } };
  }

  return {
    handler,
    issued,
    oidcRequestPath,
    decode: (token) => decode<TokenClaims>(token),
    verifyBearer(authorization, audiences) {
      const header = Array.isArray(authorization) ? authorization[0] : authorization;
      if (!header?.startsWith('Bearer ')) return { error: 'missing' };
      const claims = decode<TokenClaims>(header.slice('Bearer '.length));
      if (!claims || !claims.appid) return { error: 'invalid' };
      if (claims.exp < Date.now() / 1000) return { error: 'expired' };
      if (!audiences.map(trimSlash).includes(trimSlash(claims.aud))) return { error: 'audience', aud: claims.aud };
      return claims;
    },
  };
}

/** Why a certificate client assertion is not acceptable, or undefined when it is. */
function certificateAssertionProblem(assertion: string, sp: FakeServicePrincipal, tokenUrl: string): string | undefined {
  if (!sp.certificatePem) return `No certificate is registered for app '${sp.clientId}'.`;
  const [head, body, sig] = assertion.split('.');
  const header = parseJwtPart<{ alg?: string; 'x5t#S256'?: string; x5t?: string }>(head);
  const claims = parseJwtPart<{ aud?: string; iss?: string; sub?: string; exp?: number }>(body);
  if (!header || !claims || !sig) return 'The assertion is not a JWT.';
  const cert = new crypto.X509Certificate(sp.certificatePem);
  const thumbprint = header['x5t#S256'] ?? header.x5t;
  const expected = b64url(crypto.createHash(header['x5t#S256'] ? 'sha256' : 'sha1').update(cert.raw).digest());
  if (thumbprint !== expected) return `The thumbprint ${thumbprint} does not match the registered certificate.`;
  const padding = header.alg === 'PS256' ? crypto.constants.RSA_PKCS1_PSS_PADDING : header.alg === 'RS256' ? crypto.constants.RSA_PKCS1_PADDING : undefined;
  if (padding === undefined) return `Unsupported algorithm ${header.alg}.`;
  const ok = crypto.verify('sha256', Buffer.from(`${head}.${body}`), { key: cert.publicKey, padding, saltLength: 32 }, Buffer.from(sig, 'base64url'));
  if (!ok) return 'The signature does not verify against the registered certificate.';
  if (claims.iss !== sp.clientId || claims.sub !== sp.clientId) return 'iss and sub must be the client id.';
  if (trimSlash(claims.aud ?? '') !== trimSlash(tokenUrl)) return `aud '${claims.aud}' is not the token endpoint.`;
  if ((claims.exp ?? 0) < Date.now() / 1000) return 'The assertion has expired.';
  return undefined;
}

function aadError(status: number, error: string, code: number, description: string): AzureResponse {
  const traceId = crypto.randomUUID();
  const correlationId = crypto.randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
    },
  };
}

function tokenResponse(token: string): AzureResponse {
  return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token } };
}
