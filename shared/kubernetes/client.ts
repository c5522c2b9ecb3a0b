// The Kubernetes API as the core uses it: read, list, server-side apply, merge patch, delete. Errors
// become one sentence naming the object and what the server said.
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import * as tl from 'azure-pipelines-task-lib/task';
import type { KubeObject } from './models';

export type { KubeObject, ObjectMeta, Wire } from './models';

/** The field manager our writes carry: `kubectl get -o yaml --show-managed-fields` names us. */
export const FIELD_MANAGER = 'bluegreen-task';

/** Labels on every object the task owns (managed routing). */
export const OWNER_LABEL = 'app.kubernetes.io/managed-by';
export const OWNER_VALUE = 'bluegreen-task';
export const APP_LABEL = 'bluegreen.azure-pipelines/app';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export class KubeError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

const describeRef = (ref: ObjectRef) => `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;

function serverMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body = typeof err.body === 'string' ? safeJson(err.body) : err.body;
    const message = (body as { message?: string } | undefined)?.message;
    return `${err.code}${message ? ` ${message}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

const codeOf = (err: unknown) => (err instanceof ApiException ? err.code : undefined);

/**
 * The resources the tasks touch, with their (fixed) plural names. KubernetesObjectApi otherwise asks the
 * server's discovery for every apiVersion once per process: a handful of round trips per task that
 * tell it nothing new. Anything not listed here still goes through discovery.
 */
const KNOWN_RESOURCES: Record<string, Array<[kind: string, plural: string, namespaced: boolean]>> = {
  v1: [['Namespace', 'namespaces', false], ['Secret', 'secrets', true], ['ConfigMap', 'configmaps', true], ['Service', 'services', true], ['Pod', 'pods', true], ['Event', 'events', true]],
  'apps/v1': [['Deployment', 'deployments', true], ['StatefulSet', 'statefulsets', true]],
  'networking.k8s.io/v1': [['Ingress', 'ingresses', true]],
  'coordination.k8s.io/v1': [['Lease', 'leases', true]],
  'gateway.networking.k8s.io/v1': [['HTTPRoute', 'httproutes', true], ['Gateway', 'gateways', true]],
  'gateway.networking.k8s.io/v1beta1': [['ReferenceGrant', 'referencegrants', true]],
};

function objectApi(config: KubeConfig): KubernetesObjectApi {
  const api = KubernetesObjectApi.makeApiClient(config);
  const cache = (api as unknown as { apiVersionResourceCache: Record<string, unknown> }).apiVersionResourceCache;
  for (const [groupVersion, resources] of Object.entries(KNOWN_RESOURCES)) {
    cache[groupVersion] = {
      groupVersion,
      resources: resources.map(([kind, name, namespaced]) => ({ kind, name, namespaced, singularName: kind.toLowerCase(), verbs: [] })),
    };
  }
  return api;
}

export class Kube {
  private readonly api: KubernetesObjectApi;
  private writeGuard: (() => void) | undefined;
  /** Mutating calls made, for the log and for "writes per promotion" measurements. */
  writes = 0;

  constructor(readonly config: KubeConfig) {
    this.api = objectApi(config);
  }

  /**
   * Runs `guard` before every write (apply, mergePatch, create, replace, delete); a write it throws
   * for is never sent. A task fences its writes with its lease this way: `setWriteGuard(() =>
   * lease.assertHeld())`. `undefined` removes the guard.
   */
  setWriteGuard(guard: (() => void) | undefined): void {
    this.writeGuard = guard;
  }

  private beforeWrite(): void {
    this.writeGuard?.();
    this.writes += 1;
  }

  // Reads name the model of the kind (`get<V1Service>(ref)`); writes take the object as built, typed where
  // it was built. The casts below are where the wire's JSON becomes the model: we trust the server.
  async get<T extends KubernetesObject = KubernetesObject>(ref: ObjectRef): Promise<KubeObject<T> | undefined> {
    try {
      return (await this.api.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } })) as unknown as KubeObject<T>;
    } catch (err) {
      if (codeOf(err) === 404) return undefined;
      throw new KubeError(`Cannot read ${describeRef(ref)}: ${serverMessage(err)}`, codeOf(err));
    }
  }

  async list<T extends KubernetesObject = KubernetesObject>(apiVersion: string, kind: string, namespace: string | undefined, labelSelector?: string): Promise<Array<KubeObject<T>>> {
    try {
      const result = await this.api.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector);
      return result.items as unknown as Array<KubeObject<T>>;
    } catch (err) {
      if (codeOf(err) === 404) return [];
      throw new KubeError(`Cannot list ${kind} in ${namespace ?? 'all namespaces'}: ${serverMessage(err)}`, codeOf(err));
    }
  }

  /** The last `tailLines` lines of a container's log (`previous`: of its last terminated run; no container: the pod's only one). */
  async podLog(namespace: string, name: string, container: string | undefined, tailLines: number, previous = false): Promise<string> {
    try {
      const core = this.config.makeApiClient(CoreV1Api);
      return await core.readNamespacedPodLog({ name, namespace, container, tailLines, previous });
    } catch (err) {
      throw new KubeError(`Cannot read the log of container ${container} of pod ${namespace}/${name}: ${serverMessage(err)}`, codeOf(err));
    }
  }

  /** Server-side apply as our field manager: the object ends up as given, whatever wrote it before. */
  async apply<T extends KubeObject>(object: T): Promise<T> {
    const ref = refOf(object);
    this.beforeWrite();
    tl.debug(`apply ${describeRef(ref)}`);
    try {
      return (await this.api.patch(object as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply)) as unknown as T;
    } catch (err) {
      throw new KubeError(`Cannot apply ${describeRef(ref)}: ${serverMessage(err)}`, codeOf(err));
    }
  }

  /** JSON merge patch; `resourceVersion` in the patch makes it conditional. */
  async mergePatch<T extends KubernetesObject = KubernetesObject>(ref: ObjectRef, patch: Record<string, unknown>): Promise<KubeObject<T>> {
    this.beforeWrite();
    tl.debug(`merge-patch ${describeRef(ref)}`);
    const spec = { ...patch, apiVersion: ref.apiVersion, kind: ref.kind, metadata: { ...(patch.metadata as object), name: ref.name, namespace: ref.namespace } };
    try {
      return (await this.api.patch(spec, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch)) as unknown as KubeObject<T>;
    } catch (err) {
      throw new KubeError(`Cannot patch ${describeRef(ref)}: ${serverMessage(err)}`, codeOf(err));
    }
  }

  async create<T extends KubeObject>(object: T): Promise<T> {
    const ref = refOf(object);
    this.beforeWrite();
    try {
      return (await this.api.create(object as KubernetesObject, undefined, undefined, FIELD_MANAGER)) as unknown as T;
    } catch (err) {
      throw new KubeError(`Cannot create ${describeRef(ref)}: ${serverMessage(err)}`, codeOf(err));
    }
  }

  /** PUT with the object's resourceVersion: fails with code 409 if someone wrote it in between. */
  async replace<T extends KubeObject>(object: T): Promise<T> {
    const ref = refOf(object);
    this.beforeWrite();
    try {
      return (await this.api.replace(object as KubernetesObject, undefined, undefined, FIELD_MANAGER)) as unknown as T;
    } catch (err) {
      throw new KubeError(`Cannot update ${describeRef(ref)}: ${serverMessage(err)}`, codeOf(err));
    }
  }

  /**
   * Deletes the object; false when it was already gone. With `resourceVersion` the delete is
   * conditional: it fails with code 409 if someone wrote the object since that version.
   */
  async delete(ref: ObjectRef, resourceVersion?: string): Promise<boolean> {
    this.beforeWrite();
    tl.debug(`delete ${describeRef(ref)}`);
    const options = resourceVersion ? { preconditions: { resourceVersion } } : undefined;
    try {
      await this.api.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }, undefined, undefined, undefined, undefined, 'Background', options);
      return true;
    } catch (err) {
      if (codeOf(err) === 404) return false;
      throw new KubeError(`Cannot delete ${describeRef(ref)}: ${serverMessage(err)}`, codeOf(err));
    }
  }
}

export function refOf(object: KubeObject): ObjectRef {
  return { apiVersion: object.apiVersion ?? '', kind: object.kind ?? '', namespace: object.metadata.namespace, name: object.metadata.name };
}

export { describeRef };
