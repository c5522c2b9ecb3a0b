// The shapes shared by the data-plane emulator's controllers: a request as a controller sees it, and
// the decision a controller makes about it (a Service's pods, or an answer of its own).

export type ControllerKind = 'nginx' | 'agic' | 'gateway' | 'trafficmanager';

export interface DataPlaneRequest {
  method: string;
  /** Host header, lower case, without the port. */
  host: string;
  /** URL path without the query string, as the client sent it. */
  path: string;
  /** '?a=b' or ''. */
  search: string;
  /** Header names in lower case; the first value when a header repeats. */
  headers: Record<string, string>;
  cookies: Record<string, string>;
}

/** Where ingress-nginx counted a request in its metrics (see metrics.ts): the location, and the canary that served it. */
export interface MetricLocation {
  host: string;
  path: string;
  namespace: string;
  ingress: string;
  service: string;
  /** The alternative upstream (`<namespace>-<service>-<port>`) that served it, or "" for the primary. */
  canary: string;
}

export interface ServiceRef {
  namespace: string;
  name: string;
}

export type RouteDecision =
  | {
      kind: 'service';
      service: ServiceRef;
      /** The path the pod sees (after a controller rewrite). */
      path: string;
      /** What routed it, for the debugging headers: e.g. `ingress calc/calc-canary (canary)`. */
      route: string;
      /** What the controller answers when the Service has no ready pod. */
      noEndpoints: { status: number; error: string };
      metrics?: MetricLocation;
    }
  | {
      kind: 'status';
      status: number;
      /** A short machine-readable reason: default-backend, no-endpoints, NXDOMAIN, ECONNREFUSED... */
      error: string;
      message: string;
      route?: string;
      metrics?: MetricLocation;
    };

export interface DataPlaneAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The JSON a pod answers with. */
export interface PodAnswer {
  pod: string;
  namespace: string;
  release?: string;
  version?: string;
  path: string;
  host: string;
  error?: string;
}

export function statusDecision(status: number, error: string, message: string, route?: string): RouteDecision {
  return { kind: 'status', status, error, message, route };
}
