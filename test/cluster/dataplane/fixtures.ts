// Test helpers: the objects real controllers would have produced (pods with IPs and Ready conditions,
// Services, Ingresses, Gateway API objects), put straight into a Store, and an HTTP client for the
// data plane (fetch cannot set the Host header).
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { RESOURCES, type KubeObject, type ResourceType, Store } from '../store';
import { type DataPlane, startDataPlane } from './index';
import { requestRetryingClosedIdle } from '../keepalive';

export const resource = (kind: string) => RESOURCES.find((r) => r.kind === kind) as ResourceType;
const BASE = Date.parse('2025-01-01T00:00:00Z');
/** RFC 3339 creation time `seconds` after a fixed base: lets a test say which object is older. */
export const createdAt = (seconds: number) => new Date(BASE + seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

let ipCounter = 0;

export function put(store: Store, ...objects: KubeObject[]): void {
  for (const o of objects) store.put(resource(o.kind), o);
}

export function clear(store: Store): void {
  for (const r of RESOURCES) for (const o of store.list(r)) store.remove(r, o.metadata.namespace, o.metadata.name as string);
}

export interface PodSpec {
  ready?: boolean;
  version?: string;
  image?: string;
  fail?: 'env' | 'annotation';
  labels?: Record<string, string>;
}

export function pod(namespace: string, name: string, release: string, spec: PodSpec = {}): KubeObject {
  ipCounter += 1;
  const env = [
    ...(spec.version ? [{ name: 'VERSION', value: spec.version }] : []),
    ...(spec.fail === 'env' ? [{ name: 'FAIL', value: 'true' }] : []),
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace, name, creationTimestamp: createdAt(0),
      labels: { 'app.kubernetes.io/instance': release, ...spec.labels },
      annotations: spec.fail === 'annotation' ? { 'bluegreen.test/fail': 'true' } : {},
    },
    spec: { containers: [{ name: 'app', image: spec.image ?? 'registry.test/calc:1.0.0', env }] },
    status: {
      phase: 'Running',
      podIP: `10.244.${(ipCounter >> 8) & 255}.${ipCounter & 255}`,
      conditions: [{ type: 'Ready', status: spec.ready === false ? 'False' : 'True' }],
    },
  };
}

export interface ServiceSpec {
  selector?: Record<string, string>;
  loadBalancer?: { ip?: string; hostname?: string };
  annotations?: Record<string, string>;
}

export function service(namespace: string, name: string, release: string, spec: ServiceSpec = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name, creationTimestamp: createdAt(0), annotations: spec.annotations ?? {} },
    spec: {
      type: spec.loadBalancer ? 'LoadBalancer' : 'ClusterIP',
      selector: spec.selector ?? { 'app.kubernetes.io/instance': release },
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      clusterIP: '10.0.0.10',
    },
    status: spec.loadBalancer ? { loadBalancer: { ingress: [spec.loadBalancer] } } : {},
  };
}

/** A release's Service (named like the release) and `replicas` pods answering `version`. */
export function release(namespace: string, name: string, version: string, spec: PodSpec & { replicas?: number } = {}): KubeObject[] {
  const pods = Array.from({ length: spec.replicas ?? 1 }, (_, i) => pod(namespace, `${name}-pod-${i}`, name, { version, ...spec }));
  return [service(namespace, name, name), ...pods];
}

export interface IngressSpec {
  className?: string;
  host?: string;
  path?: string;
  pathType?: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  service: string;
  annotations?: Record<string, string>;
  created?: number;
}

export function ingress(namespace: string, name: string, spec: IngressSpec): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { namespace, name, creationTimestamp: createdAt(spec.created ?? 0), annotations: spec.annotations ?? {} },
    spec: {
      ...(spec.className ? { ingressClassName: spec.className } : {}),
      rules: [{
        ...(spec.host !== undefined ? { host: spec.host } : {}),
        http: { paths: [{ path: spec.path ?? '/', pathType: spec.pathType ?? 'Prefix', backend: { service: { name: spec.service, port: { number: 80 } } } }] },
      }],
    },
  };
}

export function gateway(namespace: string, name: string, listeners: Array<Record<string, unknown>> = [{ name: 'http', port: 80, protocol: 'HTTP' }], className = 'emulated'): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { namespace, name, creationTimestamp: createdAt(0) },
    spec: { gatewayClassName: className, listeners },
  };
}

export function httpRoute(namespace: string, name: string, spec: Record<string, unknown>, created = 0, generation = 1): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { namespace, name, creationTimestamp: createdAt(created), generation },
    spec,
  };
}

export function referenceGrant(namespace: string, name: string, fromNamespace: string, serviceName?: string): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'ReferenceGrant',
    metadata: { namespace, name, creationTimestamp: createdAt(0) },
    spec: {
      from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: fromNamespace }],
      to: [{ group: '', kind: 'Service', ...(serviceName ? { name: serviceName } : {}) }],
    },
  };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: { pod?: string; release?: string; version?: string; path?: string; error?: string; message?: string };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** GET through the data plane with a Host header (and optional headers/cookies); sent again if reset on a reused connection. */
export function get(baseUrl: string, host: string, path = '/', headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Answer['body'] = {};
        try {
          body = JSON.parse(text);
        } catch {
          body = { message: text };
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    };
    requestRetryingClosedIdle(`${baseUrl}${path}`, { headers: { ...headers, host }, agent, timeout: 5000 }, onResponse, reject);
  });
}

/** Sends `n` requests (a few at a time) and counts answers by `key` (e.g. release, or status). */
export async function tally(n: number, send: () => Promise<Answer>, key: (a: Answer) => string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let done = 0; done < n; done += 10) {
    const batch = await Promise.all(Array.from({ length: Math.min(10, n - done) }, send));
    for (const a of batch) counts[key(a)] = (counts[key(a)] ?? 0) + 1;
  }
  return counts;
}

export function closeClientAgent(): void {
  agent.destroy();
}

/** One row of a controller's routing-semantics table: objects in the store, a request, the answer. */
export interface RoutingRow {
  rule: string;
  objects: KubeObject[];
  path?: string;
  host?: string;
  headers?: Record<string, string>;
  /** Expected status and, for 200, the release that answered. */
  status?: number;
  release?: string;
  /** The path the pod saw (after rewrites). */
  podPath?: string;
  /** Weighted rows: share of `release` over n requests, in percent (+/- 6). */
  share?: { release: string; percent: number; n: number };
}

/** Registers one mocha test per row against a data plane emulating `controller`, with a fresh store per row. */
export function routingTable(controller: Parameters<typeof startDataPlane>[1]['controller'], rows: RoutingRow[], options: { seed?: number; host: string }): { store: Store; plane: () => DataPlane } {
  const store = new Store();
  let dp: DataPlane;
  before(async () => (dp = await startDataPlane(store, { controller, seed: options.seed })));
  after(async () => {
    await dp.close();
    closeClientAgent();
  });
  beforeEach(() => clear(store));
  for (const row of rows) {
    it(row.rule, async () => {
      put(store, ...row.objects);
      const send = () => get(dp.url, row.host ?? options.host, row.path ?? '/', row.headers);
      if (row.share) {
        const counts = await tally(row.share.n, send, (a) => (a.status === 200 ? (a.body.release as string) : String(a.status)));
        const percent = (100 * (counts[row.share.release] ?? 0)) / row.share.n;
        assert.ok(Math.abs(percent - row.share.percent) <= 6, `expected ~${row.share.percent} % ${row.share.release}, got ${percent.toFixed(1)} % (${JSON.stringify(counts)})`);
        return;
      }
      const answer = await send();
      assert.equal(answer.status, row.status, JSON.stringify(answer.body));
      if (row.release) assert.equal(answer.body.release, row.release);
      if (row.podPath) assert.equal(answer.body.path, row.podPath);
    });
  }
  return { store, plane: () => dp };
}
