// Field ownership: server-side apply (PATCH application/apply-patch+yaml) and the Update entries every
// other write records. What matters to our tasks is modelled: a manager's fields, removal of the fields
// it applied before and omits now, and conflicts with other managers when values differ.
import type { KubeObject } from '../store';
import { ApiError } from './errors';
import { decodePath, fieldsOf, fromFieldsV1, pathString, removePath, toFieldsV1, valueAt, type FieldSet } from './fieldset';
import { deepEqual, isAtomicMap, isObject, itemKey, listKind, sameKey, type Json, type JsonObject } from './schema';

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

interface Owner {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  subresource?: string;
  fields: FieldSet;
  changed: boolean;
}

export interface OwnershipContext {
  manager: string;
  apiVersion: string;
  kind: string;
  /** RFC 3339, no fractions. */
  now: string;
}

function decodeOwners(object: KubeObject | undefined): Owner[] {
  const entries = object?.metadata.managedFields;
  if (!Array.isArray(entries)) return [];
  const out: Owner[] = [];
  for (const e of entries as Partial<ManagedFieldsEntry>[]) {
    if (!e || typeof e.manager !== 'string' || (e.operation !== 'Apply' && e.operation !== 'Update')) continue;
    out.push({
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion ?? '',
      time: e.time ?? '',
      subresource: e.subresource,
      fields: fromFieldsV1(e.fieldsV1),
      changed: false,
    });
  }
  return out;
}

function encodeOwners(owners: Owner[], now: string): ManagedFieldsEntry[] {
  return owners
    .filter((o) => o.fields.size > 0)
    .map((o) => ({
      manager: o.manager,
      operation: o.operation,
      apiVersion: o.apiVersion,
      time: o.changed ? now : o.time,
      fieldsType: 'FieldsV1' as const,
      fieldsV1: toFieldsV1(o.fields),
      ...(o.subresource ? { subresource: o.subresource } : {}),
    }));
}

/** The real server's manager identity: name, operation, and for updates the API version. */
function describe(o: Owner): string {
  const name = JSON.stringify(o.manager);
  return o.operation === 'Update' ? `${name} using ${o.apiVersion}` : name;
}

function ownerFor(owners: Owner[], ctx: OwnershipContext, operation: 'Apply' | 'Update'): Owner {
  let me = owners.find((o) => o.manager === ctx.manager && o.operation === operation && !o.subresource && (operation === 'Apply' || o.apiVersion === ctx.apiVersion));
  if (!me) {
    me = { manager: ctx.manager, operation, apiVersion: ctx.apiVersion, time: ctx.now, fields: new Set(), changed: true };
    owners.push(me);
  }
  me.apiVersion = ctx.apiVersion;
  return me;
}

/** `...k:{"name":"app"}, f:name`: a list item's key field, which goes only with its item. */
const isItemKey = (encoded: string) => {
  const path = decodePath(encoded);
  const [parent, last] = path.slice(-2);
  return parent?.startsWith('k:') === true && last?.startsWith('f:') === true && Object.keys(JSON.parse(parent.slice(2)) as object).includes(last.slice(2));
};

const isLeaf = (encoded: string) => {
  const last = decodePath(encoded).at(-1) ?? '';
  return !last.startsWith('k:') && !last.startsWith('v:');
};

/**
 * Server-side apply of `config` by `ctx.manager` onto `live` (undefined when the apply creates).
 * Throws the real server's 409 on conflicts unless `force`.
 */
export function serverSideApply(live: KubeObject | undefined, config: JsonObject, ctx: OwnershipContext, force: boolean): KubeObject {
  const owners = decodeOwners(live);
  const me = ownerFor(owners, ctx, 'Apply');
  const applied = fieldsOf(config, ctx.kind);
  const liveJson = (live ?? {}) as unknown as JsonObject;

  const conflicts: Array<{ owner: Owner; path: string }> = [];
  for (const owner of owners) {
    if (owner === me || owner.subresource) continue;
    for (const p of applied) {
      if (!owner.fields.has(p) || !isLeaf(p)) continue;
      if (!deepEqual(valueAt(liveJson, decodePath(p)), valueAt(config, decodePath(p)))) conflicts.push({ owner, path: p });
    }
  }
  if (conflicts.length > 0 && !force) throw conflictError(conflicts);
  for (const { owner, path } of conflicts) {
    owner.fields.delete(path);
    owner.changed = true;
  }

  const merged = applyMerge(live ? structuredClone(liveJson) : {}, config, ctx.kind, []) as JsonObject;
  const dropped = [...me.fields].filter((p) => !applied.has(p) && !owners.some((o) => o !== me && o.fields.has(p)) && !isItemKey(p));
  // Shallowest first: a dropped list item goes whole, server-set fields and all.
  for (const p of dropped.sort((a, b) => decodePath(a).length - decodePath(b).length)) removePath(merged, decodePath(p));

  if (!sameSet(me.fields, applied)) me.changed = true;
  me.fields = applied;
  const result = merged as unknown as KubeObject;
  result.metadata ??= {};
  result.metadata.managedFields = encodeOwners(owners, ctx.now);
  return result;
}

function conflictError(conflicts: Array<{ owner: Owner; path: string }>): ApiError {
  const causes = conflicts.map((c) => ({ type: 'FieldManagerConflict', message: `conflict with ${describe(c.owner)}`, field: pathString(decodePath(c.path)) }));
  const [only] = causes;
  let message: string;
  if (causes.length === 1 && only) {
    message = `Apply failed with 1 conflict: ${only.message}: ${only.field}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const who = describe(c.owner);
      byManager.set(who, [...(byManager.get(who) ?? []), pathString(decodePath(c.path))]);
    }
    const lines: string[] = [];
    for (const who of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${who}:`);
      for (const p of byManager.get(who) ?? []) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

/** Merges an applied configuration into the live object: maps by key, keyed lists by item, the rest replaced. */
function applyMerge(live: Json | undefined, config: Json, kind: string, names: string[]): Json {
  if (isObject(config)) {
    if (!isObject(live) || isAtomicMap(kind, names)) return structuredClone(config);
    const out: JsonObject = { ...live };
    for (const [k, v] of Object.entries(config)) {
      if (v === null) delete out[k];
      else out[k] = applyMerge(out[k], v, kind, [...names, k]);
    }
    return out;
  }
  if (Array.isArray(config) && Array.isArray(live)) {
    const lk = listKind(kind, names);
    if (lk.type === 'set') return [...live, ...config.filter((v) => !live.some((l) => deepEqual(l, v)))];
    if (lk.type === 'map' && config.every((item) => itemKey(item, lk.keys))) {
      const liveOnly = live.filter((l) => !config.some((c) => sameKey(itemKey(l, lk.keys), itemKey(c, lk.keys))));
      const merged = config.map((c) => {
        const match = live.find((l) => sameKey(itemKey(l, lk.keys), itemKey(c, lk.keys)));
        return applyMerge(match, c, kind, names);
      });
      return [...merged, ...liveOnly];
    }
  }
  return structuredClone(config);
}

const sameSet = (a: FieldSet, b: FieldSet) => a.size === b.size && [...a].every((p) => b.has(p));

/**
 * Records a non-apply write (create, PUT, merge/strategic/json patch) by `ctx.manager`: it takes over
 * every field whose value it changed; fields it removed leave every manager. If the write replaced
 * managedFields itself (helm 4's client-side-apply migration does), those entries are the base.
 */
export function recordUpdate(old: KubeObject | undefined, next: KubeObject, ctx: OwnershipContext): void {
  const given = next.metadata.managedFields;
  const explicit = Array.isArray(given) && given.length > 0 && !deepEqual(given, old?.metadata.managedFields);
  const owners = decodeOwners(explicit ? next : old);
  const before = old ? fieldsOf(old as unknown as JsonObject, ctx.kind) : new Set<string>();
  const after = fieldsOf(next as unknown as JsonObject, ctx.kind);
  const oldJson = old as unknown as JsonObject | undefined;
  const nextJson = next as unknown as JsonObject;
  const changed = [...after].filter((p) => !before.has(p) || (isLeaf(p) && !deepEqual(valueAt(oldJson, decodePath(p)), valueAt(nextJson, decodePath(p)))));
  const removed = [...before].filter((p) => !after.has(p));
  if (changed.length > 0 || removed.length > 0) {
    for (const owner of owners) {
      for (const p of [...changed, ...removed]) if (owner.fields.delete(p)) owner.changed = true;
    }
    if (changed.length > 0) {
      const me = ownerFor(owners, ctx, 'Update');
      for (const p of changed) me.fields.add(p);
      me.changed = true;
    }
  }
  next.metadata.managedFields = encodeOwners(owners, ctx.now);
}
