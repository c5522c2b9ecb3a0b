// The write path of every resource: create, update (PUT), patch (all four types), delete. Metadata rules,
// defaults, admission, field ownership and resourceVersion preconditions are applied here, in the order
// the real apiserver applies them, before one store write (or none, for a no-op).
import { apiVersionOf, RESOURCES, type KubeObject, type ResourceType, type Store } from '../store';
import type { AdmissionRule } from './admission';
import { recordUpdate, serverSideApply, type OwnershipContext } from './apply';
import { alreadyExists, ApiError, badRequest, conflict, invalid, namespaceNotFound, notFound, pathNotFound, successStatus } from './errors';
import { deleteObject, finishFinalized, type PropagationPolicy } from './gc';
import { applyDefaults, nowRfc3339, randomSuffix, ServiceAllocator, stampCreate, stampUpdate } from './metadata';
import { jsonMergePatch, jsonPatch, strategicMergePatch } from './patch';
import { deepEqual, isObject, type Json, type JsonObject } from './schema';

export interface WriteContext {
  manager: string;
  dryRun: boolean;
}

export interface WriteResult {
  status: number;
  body: KubeObject;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export const PATCH_CONTENT_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

export interface DeleteOptions {
  propagationPolicy?: string;
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

const namespaceResource = RESOURCES.find((r) => r.kind === 'Namespace') as ResourceType;

export class Registry {
  readonly allocator: ServiceAllocator;

  constructor(
    readonly store: Store,
    readonly admission: AdmissionRule[],
  ) {
    this.allocator = new ServiceAllocator(store);
  }

  get(r: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.store.get(r, namespace, name);
    if (!found) throw notFound(r, name);
    return found;
  }

  create(r: ResourceType, namespace: string | undefined, body: Json, ctx: WriteContext): WriteResult {
    const object = this.normalize(r, namespace, body);
    const m = object.metadata;
    if (!m.name && m.generateName) {
      do m.name = `${m.generateName}${randomSuffix()}`;
      while (this.store.get(r, namespace, m.name));
    }
    if (!m.name) throw invalid(r, '', 'metadata.name', 'Required value: name or generateName is required');
    return this.insert(r, object, ctx, false);
  }

  private insert(r: ResourceType, object: KubeObject, ctx: WriteContext, ownershipDone: boolean): WriteResult {
    const { name, namespace } = object.metadata;
    if (r.namespaced && !this.store.get(namespaceResource, undefined, namespace ?? '')) throw namespaceNotFound(namespace ?? '');
    if (this.store.get(r, namespace, name ?? '')) throw alreadyExists(r, name ?? '');
    stampCreate(r, object, this.store);
    applyDefaults(r, object, undefined, this.allocator);
    this.admit(r, 'CREATE', object);
    if (!ownershipDone) recordUpdate(undefined, object, this.ownership(r, ctx));
    if (ctx.dryRun) return { status: 201, body: object };
    return { status: 201, body: this.store.put(r, object) };
  }

  update(r: ResourceType, namespace: string | undefined, name: string, body: Json, ctx: WriteContext, subresource?: string): WriteResult {
    const old = this.get(r, namespace, name);
    const next = this.normalize(r, namespace, body);
    if (next.metadata.name !== name) throw badRequest(`the name of the object (${next.metadata.name ?? ''}) does not match the name on the URL (${name})`);
    return this.commit(r, old, next, ctx, subresource, false);
  }

  patch(r: ResourceType, namespace: string | undefined, name: string, type: PatchType, patch: Json, ctx: WriteContext, force: boolean, subresource?: string): WriteResult {
    const old = this.store.get(r, namespace, name);
    if (type === 'apply') {
      if (!ctx.manager) throw badRequest('PATCH, PUT and POST requests of type apply require a fieldManager');
      if (!isObject(patch)) throw badRequest('apply configuration must be an object');
      const config = structuredClone(patch);
      const meta = (isObject(config.metadata) ? config.metadata : (config.metadata = {})) as JsonObject;
      if (meta.name !== undefined && meta.name !== name) throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
      if (r.namespaced && meta.namespace !== undefined && meta.namespace !== namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      meta.name = name;
      const applied = serverSideApply(old, config, this.ownership(r, ctx), force);
      const next = this.normalize(r, namespace, applied as unknown as Json);
      if (!old) return this.insert(r, next, ctx, true);
      return this.commit(r, old, next, ctx, subresource, true);
    }
    if (!old) throw notFound(r, name);
    const base = old as unknown as JsonObject;
    let patched: Json;
    if (type === 'json') patched = jsonPatch(base, patch);
    else if (type === 'merge') patched = jsonMergePatch(base, patch);
    else patched = strategicMergePatch(base, patch, r.kind);
    return this.commit(r, old, this.normalize(r, namespace, patched), ctx, subresource, false);
  }

  private commit(r: ResourceType, old: KubeObject, next: KubeObject, ctx: WriteContext, subresource: string | undefined, ownershipDone: boolean): WriteResult {
    const rv = next.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) throw conflict(r, old.metadata.name ?? '');
    if (subresource === 'status') {
      next = { ...structuredClone(old), status: next.status };
    } else if (subresource) {
      throw pathNotFound();
    } else if (r.status) {
      next.status = structuredClone(old.status);
      if (next.status === undefined) delete next.status;
    }
    stampUpdate(r, old, next);
    applyDefaults(r, next, old, this.allocator);
    if (!subresource) this.admit(r, 'UPDATE', next, old);
    if (subresource) next.metadata.managedFields = old.metadata.managedFields;
    else if (!ownershipDone) recordUpdate(old, next, this.ownership(r, ctx));
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (deepEqual(next, old)) return { status: 200, body: old };
    if (ctx.dryRun) return { status: 200, body: next };
    const stored = this.store.put(r, next);
    // The update that removes the last finalizer of an object being deleted lets it go.
    finishFinalized(this.store, r, stored);
    return { status: 200, body: stored };
  }

  delete(r: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions): WriteResult {
    const old = this.get(r, namespace, name);
    const pre = options.preconditions ?? {};
    if (pre.uid && pre.uid !== old.metadata.uid) {
      throw new ApiError(409, 'Conflict', `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    if (pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`);
    }
    const policy = policyOf(options);
    if ((options.dryRun ?? []).length > 0) return { status: 200, body: successStatus(r, old) };
    const { object, gone } = deleteObject(this.store, r, old, policy);
    if (!gone) return { status: 200, body: object };
    if (r.kind === 'Namespace') {
      return { status: 200, body: { ...object, metadata: { ...object.metadata, deletionTimestamp: nowRfc3339() }, status: { phase: 'Terminating' } } };
    }
    return { status: 200, body: r.kind === 'Pod' ? object : successStatus(r, object) };
  }

  private admit(r: ResourceType, operation: 'CREATE' | 'UPDATE', object: KubeObject, oldObject?: KubeObject): void {
    for (const rule of this.admission) rule({ resource: r, operation, object, oldObject, store: this.store });
  }

  private ownership(r: ResourceType, ctx: WriteContext): OwnershipContext {
    return { manager: ctx.manager, apiVersion: apiVersionOf(r), kind: r.kind, now: nowRfc3339() };
  }

  /** A client body as an object of this resource: kind/apiVersion filled (client-node omits them), namespace checked. */
  private normalize(r: ResourceType, namespace: string | undefined, body: Json): KubeObject {
    if (!isObject(body)) throw badRequest('the request body must be a JSON object');
    const object = structuredClone(body) as unknown as KubeObject;
    if (object.kind !== undefined && object.kind !== r.kind) {
      throw badRequest(`the kind of the object (${String(object.kind)}) does not match the resource (${r.kind})`);
    }
    object.kind = r.kind;
    object.apiVersion = apiVersionOf(r);
    if (!isObject(object.metadata as unknown as Json)) object.metadata = {};
    if (r.namespaced) {
      if (object.metadata.namespace && object.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      object.metadata.namespace = namespace;
    } else {
      delete object.metadata.namespace;
    }
    return object;
  }
}

function policyOf(options: DeleteOptions): PropagationPolicy {
  const p = options.propagationPolicy;
  if (p === 'Orphan' || p === 'Foreground' || p === 'Background') return p;
  return options.orphanDependents ? 'Orphan' : 'Background';
}
