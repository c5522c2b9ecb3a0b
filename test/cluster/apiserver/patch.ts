// The three patch formats of PATCH requests: strategic merge patch (helm 3's three-way upgrades, kubectl),
// JSON merge patch (RFC 7386) and JSON patch (RFC 6902, client-node's default content type).
import { ApiError } from './errors';
import { deepEqual, isObject, itemKey, listKind, sameKey, type Json, type JsonObject } from './schema';

const clone = <T>(v: T): T => structuredClone(v);

// ---- strategic merge patch -------------------------------------------------------------------------

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

/** Applies a strategic merge patch to `original` (a whole object of kind `kind`). */
export function strategicMergePatch(original: JsonObject, patch: Json, kind: string): JsonObject {
  if (!isObject(patch)) throw new ApiError(400, 'BadRequest', 'strategic merge patch must be a JSON object');
  const merged = mergeMap(original, patch, kind, []);
  if (merged === undefined) throw new ApiError(422, 'Invalid', 'a strategic merge patch cannot delete the whole object');
  return merged;
}

function mergeMap(original: JsonObject | undefined, patch: JsonObject, kind: string, path: string[]): JsonObject | undefined {
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return stripDirectives(patch) as JsonObject;
  if (directive !== undefined && directive !== 'merge') throw new ApiError(400, 'BadRequest', `unknown patch directive ${JSON.stringify(directive)}`);

  const result: JsonObject = original ? clone(original) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith(DELETE_FROM)) continue;
    const field = k.slice(DELETE_FROM.length);
    const current = result[field];
    if (!Array.isArray(v)) throw new ApiError(400, 'BadRequest', `${k} must be a list`);
    if (Array.isArray(current)) result[field] = current.filter((item) => !v.some((d) => deepEqual(d, item)));
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) {
      delete result[k];
    } else if (isObject(v)) {
      const child = mergeMap(isObject(result[k]) ? (result[k] as JsonObject) : undefined, v, kind, [...path, k]);
      if (child === undefined) delete result[k];
      else result[k] = child;
    } else if (Array.isArray(v)) {
      result[k] = mergeList(Array.isArray(result[k]) ? (result[k] as Json[]) : [], v, kind, [...path, k]);
    } else {
      result[k] = v;
    }
  }
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith(SET_ORDER)) continue;
    const field = k.slice(SET_ORDER.length);
    if (!Array.isArray(order)) throw new ApiError(400, 'BadRequest', `${k} must be a list`);
    const current = result[field];
    if (Array.isArray(current)) result[field] = applyOrder(current, order, listKind(kind, [...path, field]));
  }
  const retain = patch.$retainKeys;
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw new ApiError(400, 'BadRequest', '$retainKeys must be a list');
    for (const k of Object.keys(result)) if (!retain.includes(k)) delete result[k];
  }
  return result;
}

function mergeList(original: Json[], patch: Json[], kind: string, path: string[]): Json[] {
  const lk = listKind(kind, path);
  if (lk.type === 'atomic') return patch.map(stripDirectives);
  if (lk.type === 'set') {
    const out = clone(original);
    for (const v of patch) if (!out.some((o) => deepEqual(o, v))) out.push(v);
    return out;
  }
  if (patch.some((item) => isObject(item) && item.$patch === 'replace')) {
    return patch.filter((item) => !(isObject(item) && item.$patch === 'replace')).map(stripDirectives);
  }
  const out = clone(original);
  for (const item of patch) {
    if (!isObject(item)) throw new ApiError(400, 'BadRequest', `list ${path.join('.')} merges by ${lk.keys.join(',')} but got ${JSON.stringify(item)}`);
    const key = itemKey(item, lk.keys);
    if (key === undefined) throw new ApiError(422, 'Invalid', `map: ${JSON.stringify(item)} does not contain declared merge key: ${lk.keys.join(',')}`);
    const at = out.findIndex((o) => sameKey(itemKey(o, lk.keys), key));
    if (item.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    const merged = mergeMap(at >= 0 ? (out[at] as JsonObject) : undefined, item, kind, path);
    if (merged === undefined) {
      if (at >= 0) out.splice(at, 1);
    } else if (at >= 0) out[at] = merged;
    else out.push(merged);
  }
  return out;
}

/**
 * `$setElementOrder/<list>` gives the order of the items the client knows; items only the server has
 * (added by another writer) keep their place after them, as the real patcher does for most lists.
 */
function applyOrder(current: Json[], order: Json[], lk: ReturnType<typeof listKind>): Json[] {
  const matches = (item: Json, o: Json) => (lk.type === 'map' ? sameKey(itemKey(item, lk.keys), itemKey(o, lk.keys)) : deepEqual(item, o));
  const ordered: Json[] = [];
  for (const o of order) {
    const found = current.find((item) => matches(item, o));
    if (found !== undefined && !ordered.includes(found)) ordered.push(found);
  }
  return [...ordered, ...current.filter((item) => !ordered.includes(item))];
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, child] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(child);
  return out;
}

// ---- JSON merge patch (RFC 7386) -------------------------------------------------------------------

export function jsonMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = jsonMergePatch(out[k], v);
  }
  return out;
}

// ---- JSON patch (RFC 6902) -------------------------------------------------------------------------

interface Operation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: Json;
}

const unprocessable = (message: string) => new ApiError(422, 'Invalid', message);

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw unprocessable(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = JsonObject | Json[];

/** Walks to the parent of the pointer's last token. */
function locate(doc: Json, pointer: string): { parent: Container; token: string } {
  const tokens = parsePointer(pointer);
  const last = tokens.at(-1);
  if (last === undefined) throw unprocessable('operations on the document root are not supported');
  let node: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node) ? node[Number(t)] : isObject(node) ? node[t] : undefined;
    if (next === undefined || next === null || typeof next !== 'object') throw unprocessable(`doc is missing path: ${pointer}`);
    node = next;
  }
  return { parent: node as Container, token: last };
}

function getAt(doc: Json, pointer: string): Json | undefined {
  const { parent, token } = locate(doc, pointer);
  return Array.isArray(parent) ? parent[Number(token)] : parent[token];
}

function arrayIndex(parent: Json[], token: string, forInsert: boolean): number {
  if (forInsert && token === '-') return parent.length;
  const i = Number(token);
  const max = forInsert ? parent.length : parent.length - 1;
  if (!/^\d+$/.test(token) || i > max) throw unprocessable(`index ${token} out of bounds`);
  return i;
}

function addAt(doc: Json, pointer: string, value: Json): void {
  const { parent, token } = locate(doc, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, token, true), 0, value);
  else parent[token] = value;
}

function removeAt(doc: Json, pointer: string): Json {
  const { parent, token } = locate(doc, pointer);
  if (Array.isArray(parent)) {
    const [removed] = parent.splice(arrayIndex(parent, token, false), 1);
    if (removed === undefined) throw unprocessable(`index ${token} out of bounds`);
    return removed;
  }
  const old = parent[token];
  if (!(token in parent) || old === undefined) throw unprocessable(`Unable to remove nonexistent key: ${token}: missing value`);
  delete parent[token];
  return old;
}

export function jsonPatch(document: JsonObject, patch: Json): JsonObject {
  if (!Array.isArray(patch)) throw new ApiError(400, 'BadRequest', 'json patch must be a list of operations');
  const doc = clone(document) as Json;
  for (const raw of patch) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw new ApiError(400, 'BadRequest', `invalid json patch operation ${JSON.stringify(raw)}`);
    const op = raw as unknown as Operation;
    switch (op.op) {
      case 'add':
        addAt(doc, op.path, clone(op.value ?? null));
        break;
      case 'remove':
        removeAt(doc, op.path);
        break;
      case 'replace': {
        const { parent, token } = locate(doc, op.path);
        if (Array.isArray(parent)) parent[arrayIndex(parent, token, false)] = clone(op.value ?? null);
        else if (!(token in parent)) throw unprocessable(`replace operation does not apply: doc is missing key: ${op.path}: missing value`);
        else parent[token] = clone(op.value ?? null);
        break;
      }
      case 'move': {
        const value = removeAt(doc, op.from ?? '');
        addAt(doc, op.path, value);
        break;
      }
      case 'copy': {
        const value = getAt(doc, op.from ?? '');
        if (value === undefined) throw unprocessable(`copy from missing path ${op.from}`);
        addAt(doc, op.path, clone(value));
        break;
      }
      case 'test':
        if (!deepEqual(getAt(doc, op.path), op.value)) throw unprocessable(`testing value ${op.path} failed: test failed`);
        break;
      default:
        throw new ApiError(400, 'BadRequest', `Unexpected kind: ${String((op as { op: unknown }).op)}`);
    }
  }
  if (!isObject(doc)) throw unprocessable('json patch produced a non-object');
  return doc;
}
