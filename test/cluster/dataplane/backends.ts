// Services, their ready pods, and the answer a pod gives. Endpoints are derived from pods (selector,
// namespace, Ready condition), as the endpoint controller would; Endpoints/EndpointSlice objects are not read.
import type { KubeObject } from '../store';
import type { ClusterView } from './view';
import type { PodAnswer, ServiceRef } from './types';

export const RELEASE_LABEL = 'app.kubernetes.io/instance';
export const FAIL_ANNOTATION = 'bluegreen.test/fail';
export const FAIL_PERCENT_ANNOTATION = 'bluegreen.test/fail-percent';
export const FAIL_PATH_ANNOTATION = 'bluegreen.test/fail-path';

export function labelsMatch(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

export function isPodReady(pod: KubeObject): boolean {
  if (pod.metadata.deletionTimestamp || !pod.status?.podIP) return false;
  const conditions: Array<{ type: string; status: string }> = pod.status?.conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Ready pods behind a Service, by name. A missing Service or one without a selector has none. */
export function readyPods(view: ClusterView, ref: ServiceRef): KubeObject[] {
  const service = view.get('Service', ref.namespace, ref.name);
  if (!service || service.spec?.type === 'ExternalName') return [];
  return view
    .list('Pod', ref.namespace)
    .filter((pod) => labelsMatch(service.spec?.selector, pod.metadata.labels) && isPodReady(pod));
}

export const hasReadyPods = (view: ClusterView, ref: ServiceRef): boolean => readyPods(view, ref).length > 0;

/** Round robin per Service, like kube-proxy/the controllers' default balancing (approximately). */
export class RoundRobin {
  private readonly next = new Map<string, number>();

  pick(pods: readonly KubeObject[], ref: ServiceRef): KubeObject | undefined {
    if (pods.length === 0) return undefined;
    const key = `${ref.namespace}/${ref.name}`;
    const i = this.next.get(key) ?? 0;
    this.next.set(key, i + 1);
    return pods[i % pods.length];
  }
}

interface Container {
  image?: string;
  env?: Array<{ name: string; value?: string }>;
}

function envOf(pod: KubeObject, name: string): string | undefined {
  const containers: Container[] = pod.spec?.containers ?? [];
  for (const c of containers) {
    const found = c.env?.find((e) => e.name === name);
    if (found?.value !== undefined) return found.value;
  }
  return undefined;
}

/** `repo:5000/app:1.2` -> `1.2`; `app@sha256:..` -> the digest; no tag -> `latest`. */
export function imageTag(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const at = image.indexOf('@');
  if (at >= 0) return image.slice(at + 1);
  const lastSlash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > lastSlash ? image.slice(colon + 1) : 'latest';
}

export function podVersion(pod: KubeObject): string | undefined {
  const containers: Container[] = pod.spec?.containers ?? [];
  return envOf(pod, 'VERSION') ?? imageTag(containers[0]?.image);
}

export function podFails(pod: KubeObject): boolean {
  return envOf(pod, 'FAIL') === 'true' || pod.metadata.annotations?.[FAIL_ANNOTATION] === 'true';
}

/**
 * A pod that fails a share of its requests (env FAIL_PERCENT=20, only under FAIL_PATH when set, e.g.
 * `/api`; or the annotations bluegreen.test/fail-percent and fail-path, set on running pods): a version
 * whose health endpoint passes every check while real users' requests fail. The share
 * is exact and deterministic per pod: request n fails when floor(n * p / 100) steps up.
 */
export class FailureShare {
  private readonly served = new Map<string, number>();

  fails(pod: KubeObject, path: string): boolean {
    // The annotations let a test make running pods degrade (env is fixed for a pod's life, annotations are not).
    const percent = Number(envOf(pod, 'FAIL_PERCENT') || 0) || Number(pod.metadata.annotations?.[FAIL_PERCENT_ANNOTATION] ?? 0);
    if (!(percent > 0)) return false;
    const under = envOf(pod, 'FAIL_PATH') || pod.metadata.annotations?.[FAIL_PATH_ANNOTATION] || '/';
    if (!path.startsWith(under)) return false;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}/${pod.metadata.uid ?? ''}`;
    const n = (this.served.get(key) ?? 0) + 1;
    this.served.set(key, n);
    return Math.floor((n * Math.min(percent, 100)) / 100) > Math.floor(((n - 1) * Math.min(percent, 100)) / 100);
  }
}

/** What the pod answers: 200 with who it is, or 500 when the test told it to fail (always, or this request of its share). */
export function answerFromPod(pod: KubeObject, path: string, host: string, share?: FailureShare): { status: number; body: PodAnswer } {
  const body: PodAnswer = {
    pod: pod.metadata.name as string,
    namespace: pod.metadata.namespace as string,
    release: pod.metadata.labels?.[RELEASE_LABEL],
    version: podVersion(pod),
    path,
    host,
  };
  if (podFails(pod)) return { status: 500, body: { ...body, error: 'pod told to fail' } };
  if (share?.fails(pod, path)) return { status: 500, body: { ...body, error: 'pod fails a share of its requests' } };
  return { status: 200, body };
}
