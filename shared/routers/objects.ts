// Objects the task owns in managed routing: built here, written only when they differ, and never
// written over an object somebody else owns.
import { APP_LABEL, type Kube, type KubeObject, type ObjectRef, OWNER_LABEL, OWNER_VALUE, describeRef, refOf } from '../kubernetes/client';
import type { V1Service, V1ServicePort } from '@kubernetes/client-node';
import type { App, SlotLocation } from '../core/model';

export function ownedMetadata(app: App, namespace: string, name: string, annotations?: Record<string, string>) {
  return {
    name,
    namespace,
    labels: { [OWNER_LABEL]: OWNER_VALUE, [APP_LABEL]: app.name },
    ...(annotations && Object.keys(annotations).length ? { annotations } : {}),
  };
}

/** An object the task writes and compares with the live one: its metadata and spec. */
export type OwnedObject = KubeObject & { spec?: unknown };

export const isOwned = (object: KubeObject | undefined, app: App) =>
  object?.metadata.labels?.[OWNER_LABEL] === OWNER_VALUE && object.metadata.labels?.[APP_LABEL] === app.name;

/** True when every field of `want` is present with the same value in `have` (extra fields in `have` are fine). */
export function covers(have: unknown, want: unknown): boolean {
  if (Array.isArray(want)) return Array.isArray(have) && have.length === want.length && want.every((w, i) => covers(have[i], w));
  if (want && typeof want === 'object') {
    if (!have || typeof have !== 'object') return false;
    return Object.entries(want).every(([k, v]) => covers((have as Record<string, unknown>)[k], v));
  }
  return have === want || (typeof want === 'number' && String(want) === have);
}

const ROUTING_ANNOTATION = /^(nginx\.ingress\.kubernetes\.io|appgw\.ingress\.kubernetes\.io)\//;

/** The controller annotations on an object: these must match exactly (a dropped one must go). */
function routingAnnotations(object: KubeObject): string {
  const entries = Object.entries(object.metadata.annotations ?? {}).filter(([k]) => ROUTING_ANNOTATION.test(k));
  return JSON.stringify(entries.sort(([a], [b]) => a.localeCompare(b)));
}

function notOursError(ref: ObjectRef, app: App): Error {
  return new Error(
    `${describeRef(ref)} exists but was not created by the blue/green tasks for app ${app.name} (it lacks the label ${APP_LABEL}=${app.name}); ` +
      'rename the app or remove that object. Nothing was changed.',
  );
}

/** Before anything changes: none of the objects the task will own may exist under someone else's name. */
export async function assertOwnable(kube: Kube, app: App, refs: ObjectRef[]): Promise<void> {
  const found = await Promise.all(refs.map(async (ref) => ({ ref, object: await kube.get(ref) })));
  const foreign = found.find(({ object }) => object && !isOwned(object, app));
  if (foreign) throw notOursError(foreign.ref, app);
}

/**
 * Server-side applies `want` unless the live object already matches it. Refuses to take over an object
 * of the same name that the task does not own. Returns true when it wrote.
 */
export async function ensure(kube: Kube, app: App, want: OwnedObject): Promise<boolean> {
  const have = await kube.get(refOf(want));
  if (have && !isOwned(have, app)) throw notOursError(refOf(want), app);
  if (have && covers(have, { metadata: want.metadata, spec: want.spec }) && routingAnnotations(have) === routingAnnotations(want)) return false;
  await kube.apply(want);
  return true;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort: number | string;
  protocol?: string;
}

/** The ports of a stable Service: never none. */
export type ServicePorts = [ServicePort, ...ServicePort[]];

export const isNonEmpty = <T>(list: T[]): list is [T, ...T[]] => list.length > 0;

/** A live Service's port as the stable Services copy it (the API server defaults targetPort to port). */
export const servicePortOf = (p: V1ServicePort): ServicePort => ({ name: p.name, port: p.port, targetPort: p.targetPort ?? p.port, protocol: p.protocol });

/**
 * The ports of the app's own Service in a slot (the chart's Service selecting the release's pods), so the
 * stable Services forward to the same container port. `wanted` picks one port by number.
 */
export async function slotServicePorts(kube: Kube, location: SlotLocation, podLabel: string, wanted?: number): Promise<ServicePorts> {
  const services = await kube.list<V1Service>('v1', 'Service', location.namespace);
  const ours = services.filter((s) => s.spec?.selector?.[podLabel] === location.release || s.metadata.labels?.[podLabel] === location.release);
  const ports: ServicePort[] = ours.flatMap((s) => s.spec?.ports ?? []).map(servicePortOf);
  if (wanted !== undefined) {
    const match = ports.find((p) => p.port === wanted);
    if (match) return [{ ...match, name: match.name ?? 'http' }];
    return [{ name: 'http', port: wanted, targetPort: wanted, protocol: 'TCP' }];
  }
  if (!isNonEmpty(ports)) {
    throw new Error(
      `Release ${location.release} in namespace ${location.namespace} has no Service selecting its pods (${podLabel}=${location.release}); ` +
        'the managed routing forwards to the same port as the chart\'s Service. Add a Service to the chart or set the servicePort input.',
    );
  }
  const first = ports[0];
  return [{ ...first, name: first.name ?? 'http' }];
}

export function stableService(app: App, namespace: string, name: string, podLabel: string, release: string, ports: ServicePort[]): KubeObject<V1Service> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMetadata(app, namespace, name),
    spec: {
      type: 'ClusterIP',
      selector: { [podLabel]: release },
      ports: ports.map((p) => ({ name: p.name ?? 'http', port: p.port, targetPort: p.targetPort, protocol: p.protocol ?? 'TCP' })),
    },
  };
}
