// Metadata the server owns and the defaults the real apiserver fills in on create and update.
// Clients read these back (helm's three-way patch sees them in the live object, --wait reads generation),
// so they follow the real registry strategies for the kinds our tasks and charts use.
import type { KubeObject, ResourceType, Store } from '../store';
import { deepEqual } from './schema';

/** RFC 3339 without fractions, as metav1.Time serialises. */
export const nowRfc3339 = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Kinds whose strategy keeps metadata.generation (spec-bearing workloads and routing objects). */
const HAS_GENERATION = new Set([
  'Deployment', 'ReplicaSet', 'StatefulSet', 'Job', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'Ingress', 'IngressClass',
  'GatewayClass', 'Gateway', 'HTTPRoute', 'ReferenceGrant',
]);

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return out;
}

/** Allocates Service cluster IPs (AKS's default service CIDR 10.0.0.0/16) and node ports. */
export class ServiceAllocator {
  private nextIp = 256;
  private nextNodePort = 30000;

  constructor(private readonly store: Store) {}

  clusterIp(): string {
    const used = new Set(this.store.ofKind('Service').map((s) => s.spec?.clusterIP as string | undefined));
    for (;;) {
      this.nextIp = this.nextIp >= 65534 ? 256 : this.nextIp + 1;
      const ip = `10.0.${this.nextIp >> 8}.${this.nextIp & 255}`;
      if (!used.has(ip)) return ip;
    }
  }

  nodePort(): number {
    this.nextNodePort = this.nextNodePort >= 32767 ? 30000 : this.nextNodePort + 1;
    return this.nextNodePort;
  }
}

/** Server-owned metadata of a new object; `name` already resolved (generateName handled by the caller). */
export function stampCreate(r: ResourceType, object: KubeObject, store: Store): void {
  const m = object.metadata;
  m.uid = store.newUid();
  m.creationTimestamp = nowRfc3339();
  delete m.resourceVersion;
  delete m.deletionTimestamp;
  delete m.selfLink;
  if (HAS_GENERATION.has(r.kind)) m.generation = 1;
  else delete m.generation;
  if (r.status) object.status = initialStatus(r.kind);
}

function initialStatus(kind: string): Record<string, unknown> | undefined {
  switch (kind) {
    case 'Namespace':
      return { phase: 'Active' };
    case 'Pod':
      return { phase: 'Pending', qosClass: 'BestEffort' };
    case 'Service':
      return { loadBalancer: {} };
    default:
      // Status written by clients on create is dropped, as the real strategies do.
      return undefined;
  }
}

/** Carries server-owned metadata over an update and bumps generation when anything but metadata/status changed. */
export function stampUpdate(r: ResourceType, old: KubeObject, next: KubeObject): void {
  const m = next.metadata;
  for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
    if (old.metadata[k] === undefined) delete m[k];
    else (m as Record<string, unknown>)[k] = old.metadata[k];
  }
  m.name = old.metadata.name;
  if (r.namespaced) m.namespace = old.metadata.namespace;
  else delete m.namespace;
  if (HAS_GENERATION.has(r.kind) && specChanged(old, next)) m.generation = (old.metadata.generation ?? 0) + 1;
}

function specChanged(old: KubeObject, next: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { metadata: _m, status: _s, ...rest } = o;
    void _m;
    void _s;
    return rest;
  };
  return !deepEqual(strip(old), strip(next));
}

const setDefault = <T extends object, K extends keyof T>(o: T, k: K, v: T[K]) => {
  if (o[k] === undefined || o[k] === null) o[k] = v;
};

/** Defaults of the kinds whose defaults clients read back. `old` is the stored object on updates. */
export function applyDefaults(r: ResourceType, object: KubeObject, old: KubeObject | undefined, allocator: ServiceAllocator): void {
  switch (r.kind) {
    case 'Namespace':
      object.metadata.labels = { ...object.metadata.labels, 'kubernetes.io/metadata.name': object.metadata.name ?? '' };
      object.spec ??= {};
      setDefault(object.spec, 'finalizers', ['kubernetes']);
      break;
    case 'Secret':
      setDefault(object, 'type', 'Opaque');
      if (object.stringData && typeof object.stringData === 'object') {
        const data: Record<string, string> = { ...(object.data ?? {}) };
        for (const [k, v] of Object.entries(object.stringData as Record<string, string>)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
        object.data = data;
      }
      delete object.stringData;
      break;
    case 'Service':
      serviceDefaults(object, old, allocator);
      break;
    case 'Deployment': {
      const spec = (object.spec ??= {});
      setDefault(spec, 'replicas', 1);
      setDefault(spec, 'revisionHistoryLimit', 10);
      setDefault(spec, 'progressDeadlineSeconds', 600);
      spec.strategy ??= {};
      setDefault(spec.strategy, 'type', 'RollingUpdate');
      if (spec.strategy.type === 'RollingUpdate') {
        spec.strategy.rollingUpdate ??= {};
        setDefault(spec.strategy.rollingUpdate, 'maxUnavailable', '25%');
        setDefault(spec.strategy.rollingUpdate, 'maxSurge', '25%');
      }
      podTemplateDefaults(spec.template);
      break;
    }
    case 'ReplicaSet':
    case 'StatefulSet':
      object.spec ??= {};
      setDefault(object.spec, 'replicas', 1);
      podTemplateDefaults(object.spec.template);
      break;
    case 'Job':
      object.spec ??= {};
      setDefault(object.spec, 'backoffLimit', 6);
      setDefault(object.spec, 'completions', 1);
      setDefault(object.spec, 'parallelism', 1);
      podTemplateDefaults(object.spec.template);
      break;
    case 'Pod':
      podSpecDefaults(object.spec);
      break;
  }
}

function serviceDefaults(object: KubeObject, old: KubeObject | undefined, allocator: ServiceAllocator): void {
  const spec = (object.spec ??= {});
  setDefault(spec, 'type', 'ClusterIP');
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.type !== 'ExternalName') {
    // An update that omits clusterIP keeps the allocated one (the real registry does the same).
    const previous = old?.spec?.clusterIP;
    if (!spec.clusterIP && previous) spec.clusterIP = previous;
    if (!spec.clusterIP) spec.clusterIP = allocator.clusterIp();
    spec.clusterIPs = [spec.clusterIP];
    setDefault(spec, 'ipFamilies', ['IPv4']);
    setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
    setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  }
  const external = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  if (external) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  const oldPorts: Array<Record<string, unknown>> = old?.spec?.ports ?? [];
  for (const port of (spec.ports ?? []) as Array<Record<string, unknown>>) {
    setDefault(port, 'protocol', 'TCP');
    setDefault(port, 'targetPort', port.port);
    if (external && !port.nodePort) port.nodePort = oldPorts.find((p) => p.port === port.port)?.nodePort ?? allocator.nodePort();
    if (!external) delete port.nodePort;
  }
}

function podTemplateDefaults(template: { spec?: Record<string, unknown> } | undefined): void {
  if (template) podSpecDefaults(template.spec);
}

function podSpecDefaults(spec: Record<string, unknown> | undefined): void {
  if (!spec) return;
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const list of ['containers', 'initContainers'] as const) {
    for (const c of (spec[list] ?? []) as Array<Record<string, unknown>>) {
      const image = String(c.image ?? '');
      const tag = image.includes('@') ? 'digest' : image.slice(image.lastIndexOf('/') + 1).split(':')[1];
      setDefault(c, 'imagePullPolicy', !tag || tag === 'latest' ? 'Always' : 'IfNotPresent');
      setDefault(c, 'terminationMessagePath', '/dev/termination-log');
      setDefault(c, 'terminationMessagePolicy', 'File');
      for (const p of (c.ports ?? []) as Array<Record<string, unknown>>) setDefault(p, 'protocol', 'TCP');
    }
  }
}
