// The local cluster's Kubernetes API server: node:http on 127.0.0.1, a random port, JSON answers.
// Requests flow: fault injection (writes only) -> routing -> body decoding -> registry / list / watch.
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Store, type KubeObject, type ResourceType } from '../store';
import { nginxIngressWebhook, type AdmissionRule } from './admission';
import { decodeBody, mediaType, readBody } from './body';
import { apiGroup, apiGroupList, apiResourceList, coreVersions, openApiV3Document, openApiV3Root, SERVER_VERSION } from './discovery';
import { ApiError, badRequest, methodNotAllowed, pathNotFound, statusObject, toApiError } from './errors';
import { Faults, WriteLog, type FaultAction, type WriteInfo, type WriteRecord } from './faults';
import { EventLog, listObjects, serveWatch } from './listwatch';
import { PATCH_CONTENT_TYPES, Registry, type DeleteOptions, type WriteContext } from './registry';
import { groupVersionOf, resolveTarget, type ResourceTarget } from './routing';
import { isObject, type Json } from './schema';
import { podLog, PodLogError } from '../controllers/podlogs';

export interface ApiServerOptions {
  store?: Store;
  /** Extra admission rules, run in order on create and update. */
  admission?: AdmissionRule[];
  /** Model ingress-nginx's validating webhook (off by default). */
  nginxWebhook?: boolean | { ingressClass?: string };
  /** Called once per answered request (debugging: what a client sends, what it got). */
  trace?: (entry: TraceEntry) => void;
}

export interface TraceEntry {
  method: string;
  url: string;
  contentType: string;
  userAgent: string;
  status: number;
  ms: number;
}

export interface ApiServer {
  /** http://127.0.0.1:PORT */
  url: string;
  store: Store;
  faults: Faults;
  writes: WriteLog;
  /** Live list of admission rules: push or splice to change them while the server runs. */
  admission: AdmissionRule[];
  setNginxWebhook(enabled: boolean, options?: { ingressClass?: string }): void;
  close(): Promise<void>;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const FAULT_REASONS: Record<number, string> = { 409: 'Conflict', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout' };

interface Reply {
  status: number;
  body: unknown;
}

/** The manager the real server records when a write names none: the user agent up to its first '/'. */
export function managerFromUserAgent(userAgent: string): string {
  return [...(userAgent.split('/')[0] ?? '')].filter((ch) => ch >= ' ' && ch !== '\x7f').join('').slice(0, 128);
}

export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const store = options.store ?? new Store();
  const admission: AdmissionRule[] = [...(options.admission ?? [])];
  let nginxRule: AdmissionRule | undefined;
  const setNginxWebhook = (enabled: boolean, o: { ingressClass?: string } = {}) => {
    if (nginxRule) admission.splice(admission.indexOf(nginxRule), 1);
    nginxRule = enabled ? nginxIngressWebhook(o) : undefined;
    if (nginxRule) admission.push(nginxRule);
  };
  if (options.nginxWebhook) setNginxWebhook(true, typeof options.nginxWebhook === 'object' ? options.nginxWebhook : {});

  const registry = new Registry(store, admission);
  const eventLog = new EventLog(store);
  const faults = new Faults();
  const writes = new WriteLog();
  const sockets = new Set<Socket>();
  let serverAddress = '127.0.0.1:0';

  const destroyAll = () => {
    for (const s of sockets) s.destroy();
  };

  const server = http.createServer((req, res) => {
    if (faults.dark) {
      req.socket.destroy();
      return;
    }
    if (options.trace) {
      const started = Date.now();
      const trace = options.trace;
      res.on('close', () =>
        trace({
          method: req.method ?? '',
          url: req.url ?? '',
          contentType: String(req.headers['content-type'] ?? ''),
          userAgent: String(req.headers['user-agent'] ?? ''),
          status: res.statusCode,
          ms: Date.now() - started,
        }),
      );
    }
    handle(req, res).catch((err) => {
      if (!res.headersSent) send(res, errorReply(err));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    const gvPath = groupVersionOf(url.pathname);
    const target = gvPath && resolveTarget(gvPath);

    if (!MUTATING.has(method)) {
      if (target && method === 'GET' && !target.name && isWatch(url.searchParams)) {
        serveWatch(store, eventLog, target.resource, target.namespace, url.searchParams, req, res);
        return;
      }
      send(res, safely(() => (target ? read(target, url.searchParams) : nonResource(url))));
      return;
    }

    const userAgent = String(req.headers['user-agent'] ?? '');
    const info: WriteInfo = {
      method,
      path: url.pathname,
      resource: target?.resource.plural ?? '',
      subresource: target?.subresource,
      namespace: target?.namespace,
      name: target?.name ?? nameInBody(body),
    };
    const ctx: WriteContext = {
      manager: url.searchParams.get('fieldManager') ?? managerFromUserAgent(userAgent),
      dryRun: url.searchParams.getAll('dryRun').length > 0,
    };
    const record: WriteRecord = { ...info, seq: writes.entries.length + 1, time: Date.now(), manager: ctx.manager, userAgent, contentType: mediaType(req.headers['content-type']), dryRun: ctx.dryRun };
    writes.entries.push(record);

    const fault = faults.onWrite(info);
    const action: FaultAction | undefined = fault?.action;
    if (action) record.fault = action.type;
    if (action?.type === 'fail') {
      record.status = action.status;
      const reason = FAULT_REASONS[action.status] ?? 'InternalError';
      send(res, errorReply(new ApiError(action.status, reason, `Internal error occurred: injected fault on write ${fault?.index}`)));
      return;
    }
    if (action?.type === 'drop') {
      req.socket.destroy();
      return;
    }
    if (action?.type === 'delay') await new Promise((resolve) => setTimeout(resolve, action.ms));

    const reply = safely(() => {
      if (!target) throw pathNotFound();
      return write(method, target, url.searchParams, body, String(req.headers['content-type'] ?? ''), ctx);
    });
    if (action?.type === 'crash') {
      record.status = reply.status;
      faults.goDark({ ...info, index: fault?.index ?? 0 });
      destroyAll();
      return;
    }
    record.status = reply.status;
    send(res, reply);
  }

  function read(target: ResourceTarget, query: URLSearchParams): Reply {
    const { resource: r, namespace, name } = target;
    if (!name) return { status: 200, body: listObjects(store, r, namespace, query) };
    if (target.subresource === 'log' && r.kind === 'Pod') return { status: 200, body: podLogOf(registry.get(r, namespace, name) as KubeObject, query) };
    if (target.subresource && target.subresource !== 'status') throw pathNotFound();
    return { status: 200, body: registry.get(r, namespace, name) };
  }

  function write(method: string, target: ResourceTarget, query: URLSearchParams, raw: Buffer, contentTypeHeader: string, ctx: WriteContext): Reply {
    const { resource: r, namespace, name, subresource } = target;
    const contentType = mediaType(contentTypeHeader);
    switch (method) {
      case 'POST': {
        if (name) throw methodNotAllowed(`POST is not supported on a named ${r.kind}`);
        if (r.namespaced && namespace === undefined) throw pathNotFound();
        return registry.create(r, namespace, requireBody(decodeBody(raw, contentType)), ctx);
      }
      case 'PUT':
        if (!name) throw methodNotAllowed('PUT needs a name');
        return registry.update(r, namespace, name, requireBody(decodeBody(raw, contentType)), ctx, subresource);
      case 'PATCH': {
        if (!name) throw methodNotAllowed('PATCH needs a name');
        const type = PATCH_CONTENT_TYPES[contentType];
        if (!type) throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_CONTENT_TYPES).join(', ')}`);
        const patch = requireBody(decodeBody(raw, contentType === 'application/apply-patch+yaml' ? contentType : 'application/json'));
        const applyManager = type === 'apply' ? query.get('fieldManager') ?? '' : ctx.manager;
        return registry.patch(r, namespace, name, type, patch, { ...ctx, manager: applyManager }, query.get('force') === 'true', subresource);
      }
      case 'DELETE': {
        const options = deleteOptions(decodeBody(raw, contentType), query);
        if (name) return registry.delete(r, namespace, name, options);
        return deleteCollection(r, namespace, query, options);
      }
      default:
        throw methodNotAllowed(`${method} is not supported`);
    }
  }

  function deleteCollection(r: ResourceType, namespace: string | undefined, query: URLSearchParams, options: DeleteOptions): Reply {
    const list = listObjects(store, r, namespace, query);
    for (const o of list.items as KubeObject[]) {
      if (store.get(r, o.metadata.namespace, o.metadata.name ?? '')) registry.delete(r, o.metadata.namespace, o.metadata.name ?? '', options);
    }
    return { status: 200, body: list };
  }

  function nonResource(url: URL): Reply {
    const p = url.pathname.replace(/\/+$/, '') || '/';
    if (p === '/version') return { status: 200, body: SERVER_VERSION };
    if (p === '/api') return { status: 200, body: coreVersions(serverAddress) };
    if (p === '/apis') return { status: 200, body: apiGroupList() };
    if (p === '/healthz' || p === '/readyz' || p === '/livez') return { status: 200, body: 'ok' };
    if (p === '/openapi/v3') return { status: 200, body: openApiV3Root() };
    if (p.startsWith('/openapi/v3/')) {
      const doc = openApiV3Document(p.slice('/openapi/v3/'.length));
      if (doc) return { status: 200, body: doc };
    }
    const gv = groupVersionOf(p);
    if (gv && gv.rest.length === 0) {
      const list = apiResourceList(gv.group, gv.version);
      if (list) return { status: 200, body: list };
    }
    const segs = p.split('/').filter(Boolean);
    const [root, name] = segs;
    if (segs.length === 2 && root === 'apis' && name !== undefined) {
      const group = apiGroup(name);
      if (group) return { status: 200, body: group };
    }
    throw pathNotFound();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  serverAddress = `127.0.0.1:${port}`;

  return {
    url: `http://127.0.0.1:${port}`,
    store,
    faults,
    writes,
    admission,
    setNginxWebhook,
    close: () =>
      new Promise<void>((resolve) => {
        eventLog.close();
        server.close(() => resolve());
        destroyAll();
      }),
  };
}

const isWatch = (q: URLSearchParams) => q.get('watch') === 'true' || q.get('watch') === '1';

function requireBody(body: Json | undefined): Json {
  if (body === undefined) throw badRequest('the request needs a body');
  return body;
}

function deleteOptions(body: Json | undefined, query: URLSearchParams): DeleteOptions {
  const options: DeleteOptions = isObject(body) ? (body as unknown as DeleteOptions) : {};
  const policy = query.get('propagationPolicy');
  if (policy) options.propagationPolicy = policy;
  if (query.get('orphanDependents') !== null) options.orphanDependents = query.get('orphanDependents') === 'true';
  if (query.getAll('dryRun').length > 0) options.dryRun = query.getAll('dryRun');
  return options;
}

/** The name a POST body carries, for the write log (the URL has none). */
function nameInBody(body: Buffer): string | undefined {
  if (body.length === 0 || body[0] !== 0x7b) return undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { metadata?: { name?: string } };
    return parsed.metadata?.name;
  } catch {
    return undefined;
  }
}

function safely(fn: () => Reply): Reply {
  try {
    return fn();
  } catch (err) {
    return errorReply(err);
  }
}

function errorReply(err: unknown): Reply {
  const e = toApiError(err);
  return { status: e.code, body: statusObject(e) };
}

/** The pod's log (controllers/podlogs.ts), with the query parameters kubectl logs and helm test --logs send. */
function podLogOf(pod: KubeObject, query: URLSearchParams): string {
  const tail = query.get('tailLines');
  try {
    return podLog(pod, { container: query.get('container') ?? undefined, tailLines: tail === null ? undefined : Number(tail), previous: query.get('previous') === 'true' });
  } catch (err) {
    if (err instanceof PodLogError) throw new ApiError(400, 'BadRequest', err.message);
    throw err;
  }
}

function send(res: http.ServerResponse, reply: Reply): void {
  const payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'cache-control': 'no-cache, private',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}
