// The local cluster's data plane: one HTTP server on 127.0.0.1 per emulated controller, answering each
// request the way that controller would route it given the objects in the store (after the controller's
// convergence delay), with the answer coming "from a pod" behind the chosen Service.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject, Store, StoreEvent } from '../store';
import { TrafficManagerDns, type Clock } from '../azure/dns';
import type { FakeTrafficManager } from '../azure/trafficmanager';
import { answerFromPod, FailureShare, readyPods, RoundRobin } from './backends';
import { RequestMetrics } from './metrics';
import { AGIC_CLASS, buildAgicConfig, routeAgic } from './agic';
import { routeGateway } from './gateway';
import { startRouteStatusWriter } from './gatewayStatus';
import { LEGACY_CLASS_ANNOTATION } from './ingress';
import { buildNginxConfig, NGINX_PREFIX, routeNginx } from './nginx';
import { seededRandom } from './random';
import { routeTrafficManager } from './trafficmanager';
import type { ControllerKind, DataPlaneAnswer, DataPlaneRequest, RouteDecision } from './types';
import { ConvergingView, type ClusterView } from './view';

export type { ControllerKind, DataPlaneAnswer, DataPlaneRequest, RouteDecision } from './types';

export interface DataPlaneDelays {
  /** nginx: endpoint, Service selector and canary weight/header/cookie changes (Lua sync, ~1-5 s real). */
  syncDelayMs?: number;
  /** nginx: Ingresses added or deleted, paths/backends/class changed (a reload). */
  reloadDelayMs?: number;
  /** AGIC: any change (a full ARM PUT of the gateway, 10-20 s real). */
  armDelayMs?: number;
  /** Gateway API: any change reaches the data plane after this (status is written at once). */
  propagationDelayMs?: number;
}

/**
 * What the real controllers take (README, "Convergence"): ingress-nginx syncs its configuration at most
 * every 3.3 s (Lua sync for endpoints, selectors, canary weights) and a structural change adds a reload
 * (~1 s); AGIC pushes every change to Application Gateway in one ARM update (tens of seconds, ~20 s
 * typical); Gateway API implementations propagate a route to their proxies in about 1-2 s.
 */
export const REALISTIC_DELAYS: Required<DataPlaneDelays> = {
  syncDelayMs: 3300,
  reloadDelayMs: 4300,
  armDelayMs: 20_000,
  propagationDelayMs: 2000,
};

export interface DataPlaneOptions extends DataPlaneDelays {
  controller: ControllerKind;
  /** Seed of the random source behind weights (canary-weight, backendRef weights, DNS weights). */
  seed?: number;
  /** nginx: class name (default `nginx`); AGIC: default `azure-application-gateway`. */
  ingressClassName?: string;
  /** gateway: only Gateways of this class are ours (default: every Gateway). */
  gatewayClassName?: string;
  /** gateway: route only through this Gateway. */
  gateway?: { namespace: string; name: string };
  /** gateway: write HTTPRoute status conditions back into the store (default true). */
  writeRouteStatus?: boolean;
  /** trafficmanager: the fake ARM whose profiles the DNS model serves. */
  trafficManager?: FakeTrafficManager;
  /** trafficmanager: a DNS model to share (else one is made from `seed` and `clock`). */
  dns?: TrafficManagerDns;
  clock?: Clock;
  /** trafficmanager: header naming the client whose DNS cache is used (default x-client-id). */
  clientIdHeader?: string;
}

export interface DataPlane {
  /** http://127.0.0.1:PORT; send the app's Host header. */
  readonly url: string;
  readonly port: number;
  readonly controller: ControllerKind;
  /** The cluster as the controller currently sees it. */
  readonly view: ClusterView;
  readonly dns?: TrafficManagerDns;
  readonly delays: Required<DataPlaneDelays>;
  /** Change convergence delays at run time; applies to changes made from now on. */
  setDelays(delays: DataPlaneDelays): void;
  /** Resolves when every store change seen so far has reached the data plane. */
  settled(): Promise<void>;
  /** Store changes seen but not yet applied to the data plane. */
  readonly pending: number;
  /** The routing decision alone (consumes randomness like a real request). */
  route(req: DataPlaneRequest): RouteDecision;
  /** Route and answer in-process, exactly as the HTTP server does. */
  handle(req: DataPlaneRequest): DataPlaneAnswer;
  /** nginx: the request metrics ingress-nginx would export (counted for every answer of a location). */
  readonly metrics: RequestMetrics;
  /** nginx: http://127.0.0.1:PORT/metrics, the controller's metrics endpoint (its own port, like :10254). */
  readonly metricsUrl?: string;
  close(): Promise<void>;
}

const changed = (a: unknown, b: unknown) => JSON.stringify(a ?? null) !== JSON.stringify(b ?? null);

/** nginx reloads for structural Ingress changes; everything else goes through the Lua sync. */
function nginxNeedsReload(event: StoreEvent, previous: KubeObject | undefined): boolean {
  if (event.resource.kind !== 'Ingress') return false;
  if (event.type !== 'MODIFIED' || !previous) return true;
  const ann = (o: KubeObject, k: string) => o.metadata.annotations?.[k];
  return (
    changed(previous.spec, event.object.spec) ||
    ann(previous, `${NGINX_PREFIX}canary`) !== ann(event.object, `${NGINX_PREFIX}canary`) ||
    ann(previous, LEGACY_CLASS_ANNOTATION) !== ann(event.object, LEGACY_CLASS_ANNOTATION)
  );
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!(name in out)) out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

export function requestFrom(req: http.IncomingMessage): DataPlaneRequest {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    const value = Array.isArray(v) ? v[0] : v;
    if (value !== undefined) headers[k] = value;
  }
  const host = (headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return { method: req.method ?? 'GET', host, path: url.pathname, search: url.search, headers, cookies: parseCookies(headers.cookie) };
}

export async function startDataPlane(store: Store, options: DataPlaneOptions): Promise<DataPlane> {
  const { controller } = options;
  const delays: Required<DataPlaneDelays> = {
    syncDelayMs: options.syncDelayMs ?? 0,
    reloadDelayMs: options.reloadDelayMs ?? 0,
    armDelayMs: options.armDelayMs ?? 0,
    propagationDelayMs: options.propagationDelayMs ?? 0,
  };
  const view = new ConvergingView(store, (event, previous) => {
    if (controller === 'nginx') return nginxNeedsReload(event, previous) ? delays.reloadDelayMs : delays.syncDelayMs;
    if (controller === 'agic') return delays.armDelayMs;
    if (controller === 'gateway') return delays.propagationDelayMs;
    return 0;
  });
  const random = seededRandom(options.seed ?? 1);
  const roundRobin = new RoundRobin();
  if (controller === 'trafficmanager' && !options.trafficManager) throw new Error('the trafficmanager data plane needs options.trafficManager');
  const dns = controller === 'trafficmanager' ? options.dns ?? new TrafficManagerDns(options.trafficManager as FakeTrafficManager, { seed: options.seed, clock: options.clock }) : undefined;
  const stopStatus = controller === 'gateway' && options.writeRouteStatus !== false ? startRouteStatusWriter(store, { gatewayClassName: options.gatewayClassName }) : undefined;

  const route = (req: DataPlaneRequest): RouteDecision => {
    switch (controller) {
      case 'nginx':
        return routeNginx(req, view, buildNginxConfig(view, options.ingressClassName ?? 'nginx'), random);
      case 'agic':
        return routeAgic(req, view, buildAgicConfig(view, options.ingressClassName ?? AGIC_CLASS));
      case 'gateway':
        return routeGateway(req, view, { gatewayClassName: options.gatewayClassName, gateway: options.gateway }, random);
      case 'trafficmanager':
        return routeTrafficManager(req, view, {
          trafficManager: options.trafficManager as FakeTrafficManager,
          dns: dns as TrafficManagerDns,
          clientIdHeader: (options.clientIdHeader ?? 'x-client-id').toLowerCase(),
        });
    }
  };

  const metrics = new RequestMetrics();
  const share = new FailureShare();
  const handle = (req: DataPlaneRequest): DataPlaneAnswer => {
    const started = process.hrtime.bigint();
    const decision = route(req);
    const answer = answerFor(req, decision);
    if (decision.metrics) metrics.observe({ ...decision.metrics, method: req.method, status: String(answer.status) }, Number(process.hrtime.bigint() - started) / 1e9);
    return answer;
  };

  const answerFor = (req: DataPlaneRequest, decision: RouteDecision): DataPlaneAnswer => {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-dataplane-controller': controller };
    if (decision.route) headers['x-dataplane-route'] = decision.route;
    const fail = (status: number, error: string, message: string): DataPlaneAnswer => {
      headers['x-dataplane-error'] = error;
      return { status, headers, body: JSON.stringify({ error, message, controller, route: decision.route }) };
    };
    if (decision.kind === 'status') return fail(decision.status, decision.error, decision.message);
    const pod = roundRobin.pick(readyPods(view, decision.service), decision.service);
    const svc = `${decision.service.namespace}/${decision.service.name}`;
    if (!pod) return fail(decision.noEndpoints.status, decision.noEndpoints.error, `no ready pod behind ${svc}`);
    const answer = answerFromPod(pod, decision.path + req.search, req.host, share);
    headers['x-dataplane-backend'] = svc;
    headers['x-dataplane-pod'] = `${pod.metadata.namespace}/${pod.metadata.name}`;
    return { status: answer.status, headers, body: JSON.stringify(answer.body) };
  };

  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      let answer: DataPlaneAnswer;
      try {
        answer = handle(requestFrom(req));
      } catch (err) {
        answer = { status: 500, headers: { 'content-type': 'text/plain', 'x-dataplane-error': 'emulator-bug' }, body: `data-plane emulator error: ${String(err)}` };
      }
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const metricsServer = controller === 'nginx' ? await serveMetrics(metrics) : undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    controller,
    view,
    dns,
    delays,
    setDelays: (d) => void Object.assign(delays, Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined))),
    settled: () => view.settled(),
    get pending() {
      return view.pending;
    },
    route,
    handle,
    metrics,
    metricsUrl: metricsServer ? `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics` : undefined,
    close: () =>
      new Promise<void>((resolve) => {
        stopStatus?.();
        view.close();
        metricsServer?.closeAllConnections();
        metricsServer?.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The controller's metrics endpoint: GET /metrics in Prometheus text format. */
async function serveMetrics(metrics: RequestMetrics): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(metrics.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
