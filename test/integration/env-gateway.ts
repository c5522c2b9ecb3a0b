// The playground for the Gateway API router: the local cluster with a GatewayClass and a Gateway in
// their own namespace (as a platform team runs them), the data plane emulating the Gateway's controller
// (route status written at once, traffic after a propagation delay), and helpers to read the route.
import type { LocalCluster } from '../cluster/cluster';
import type { WriteRecord } from '../cluster/apiserver/faults';
import type { HelmMajor } from '../cluster/helm';
import type { KubeObject } from '../cluster/store';
import { type Env, HOST, startEnv } from './env';

export const GATEWAY_NAMESPACE = 'infra';
export const GATEWAY_NAME = 'public';
export const GATEWAY_CLASS = 'emulated';

export type Listener = Record<string, unknown>;

/** A listener on port 80 that accepts HTTPRoutes from every namespace (the usual shared Gateway). */
export const OPEN_LISTENER: Listener = { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } };

export interface GatewayEnvOptions {
  helm: HelmMajor;
  layout: 'shared' | 'perSlot';
  listeners?: Listener[];
  /** Traffic follows a route change after this long (status is written at once); default TEST_DELAYS. */
  propagationDelayMs?: number;
  /** The real controllers' delays (REALISTIC_DELAYS). */
  realistic?: boolean;
  inputs?: Record<string, string>;
  prepare?(cluster: LocalCluster): void;
}

export function seedGateway(cluster: LocalCluster, listeners: Listener[] = [OPEN_LISTENER]): void {
  cluster.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: GATEWAY_NAMESPACE } });
  cluster.seed({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: GATEWAY_CLASS }, spec: { controllerName: 'bluegreen.test/gateway-emulator' } });
  cluster.seed({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: GATEWAY_NAME, namespace: GATEWAY_NAMESPACE },
    spec: { gatewayClassName: GATEWAY_CLASS, listeners },
  });
}

export function startGatewayEnv(o: GatewayEnvOptions): Promise<Env> {
  return startEnv({
    helm: o.helm,
    router: 'gateway',
    ownership: 'managed',
    layout: o.layout,
    propagationDelayMs: o.propagationDelayMs,
    realistic: o.realistic,
    dataplane: { gatewayClassName: GATEWAY_CLASS },
    inputs: { gatewayName: GATEWAY_NAME, gatewayNamespace: GATEWAY_NAMESPACE, gatewaySection: 'http', hostnames: HOST, ...o.inputs },
    prepare(cluster) {
      seedGateway(cluster, o.listeners);
      o.prepare?.(cluster);
    },
  });
}

/** Where the task keeps the app's HTTPRoute: the home namespace of the layout. */
export const routeNamespace = (env: Env) => (env.options.layout === 'shared' ? env.options.namespace : `blue-${env.options.namespace}`);

export function liveRoute(env: Env): KubeObject | undefined {
  return env.cluster.store.ofKind('HTTPRoute').find((r) => r.metadata.namespace === routeNamespace(env) && r.metadata.name === env.options.app);
}

/** `{ tester: 'calc-slot-green', users: { 'calc-slot-blue': 70, 'calc-slot-green': 30 } }` */
export function routeSummary(env: Env): { tester?: string; users: Record<string, number> } | undefined {
  const route = liveRoute(env);
  if (!route) return undefined;
  const [header, defaults] = route.spec.rules as Array<{ backendRefs: Array<{ name: string; weight?: number }> }>;
  return { tester: header?.backendRefs[0]?.name, users: Object.fromEntries(defaults?.backendRefs.map((b) => [b.name, b.weight ?? 1]) ?? []) };
}

/** The settle fence (`<app>-bluegreen-fence` route and Service) routes no user: it is not a routing write. */
const isFence = (w: WriteRecord) => /-bluegreen-fence$/.test(w.name ?? '');

export const isRouteWrite = (w: WriteRecord) => w.resource === 'httproutes' && !w.dryRun && w.subresource === undefined && !isFence(w);

/** Writes of the task's own routing objects (route, grants, the `<app>-slot-<slot>` Services), not helm's. */
export const isRoutingWrite = (w: WriteRecord) =>
  !isFence(w) && (['httproutes', 'referencegrants'].includes(w.resource) || (w.resource === 'services' && /-slot-(blue|green)$/.test(w.name ?? '')));

export const describeWrite = (w: WriteRecord) => `${w.method} ${w.resource} ${w.namespace}/${w.name}`;
