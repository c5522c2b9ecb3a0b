// Field sets as server-side apply sees them: the leaf fields an object sets, with keyed list items
// (containers by name, ports by port...) as nodes of their own. Serialised as managedFields' FieldsV1
// ("f:spec": {"f:replicas": {}}, "k:{\"name\":\"app\"}": {".": {}, ...}).
import { isAtomicMap, isObject, itemKey, listKind, type Json, type JsonObject } from './schema';

/** A field path, one element per step: `f:name`, `k:{"name":"app"}`, `v:"value"` (set item). */
export type FieldPath = string[];
/** A set of paths, each encoded as JSON of its elements. */
export type FieldSet = Set<string>;

/** Metadata the server owns: never part of what a manager manages. */
const SERVER_METADATA = new Set([
  'name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'managedFields', 'selfLink', 'generateName',
]);

const encodeKey = (key: Record<string, Json>) => {
  const sorted: Record<string, Json> = {};
  for (const k of Object.keys(key).sort()) {
    const v = key[k];
    if (v !== undefined) sorted[k] = v;
  }
  return `k:${JSON.stringify(sorted)}`;
};

/** The fields an object sets (status excluded: it belongs to the /status subresource). */
export function fieldsOf(object: JsonObject, kind: string): FieldSet {
  const out: FieldSet = new Set();
  for (const [k, v] of Object.entries(object)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status' || v === undefined) continue;
    if (k === 'metadata' && isObject(v)) {
      for (const [mk, mv] of Object.entries(v)) {
        if (!SERVER_METADATA.has(mk) && mv !== undefined) walk(mv, kind, ['metadata', mk], ['f:metadata', `f:${mk}`], out);
      }
      continue;
    }
    walk(v, kind, [k], [`f:${k}`], out);
  }
  return out;
}

function walk(value: Json, kind: string, names: string[], path: FieldPath, out: FieldSet): void {
  if (isObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0 || isAtomicMap(kind, names)) {
      out.add(JSON.stringify(path));
      return;
    }
    for (const [k, v] of entries) walk(v, kind, [...names, k], [...path, `f:${k}`], out);
    return;
  }
  if (Array.isArray(value)) {
    const lk = listKind(kind, names);
    const keyed = lk.type === 'map' ? value.map((item) => itemKey(item, lk.keys)) : [];
    if (value.length === 0 || lk.type === 'atomic' || keyed.some((k) => k === undefined)) {
      out.add(JSON.stringify(path));
      return;
    }
    value.forEach((item, i) => {
      if (lk.type === 'set') {
        out.add(JSON.stringify([...path, `v:${JSON.stringify(item)}`]));
        return;
      }
      const itemPath = [...path, encodeKey(keyed[i] as Record<string, Json>)];
      out.add(JSON.stringify(itemPath));
      for (const [k, v] of Object.entries(item as JsonObject)) if (v !== undefined) walk(v, kind, [...names, k], [...itemPath, `f:${k}`], out);
    });
    return;
  }
  out.add(JSON.stringify(path));
}

export const decodePath = (encoded: string): FieldPath => JSON.parse(encoded) as FieldPath;

/** The value an object has at a path, or undefined when absent. */
export function valueAt(object: Json | undefined, path: FieldPath): Json | undefined {
  let node: Json | undefined = object;
  for (const el of path) {
    if (node === undefined || node === null) return undefined;
    if (el.startsWith('f:')) {
      node = isObject(node) ? node[el.slice(2)] : undefined;
    } else if (el.startsWith('k:')) {
      const key = JSON.parse(el.slice(2)) as Record<string, Json>;
      node = Array.isArray(node) ? node.find((item) => matchesKey(item, key)) : undefined;
    } else if (el.startsWith('v:')) {
      const v = JSON.parse(el.slice(2)) as Json;
      node = Array.isArray(node) ? node.find((item) => JSON.stringify(item) === JSON.stringify(v)) : undefined;
    } else {
      return undefined;
    }
  }
  return node;
}

const matchesKey = (item: Json, key: Record<string, Json>) =>
  isObject(item) && Object.entries(key).every(([k, v]) => JSON.stringify(item[k]) === JSON.stringify(v));

/**
 * Removes the field at `path` from `object` (in place). Maps and lists left empty by the removal go too,
 * the way Go's `omitempty` drops them when the real server serialises the object; top-level fields stay.
 */
export function removePath(object: JsonObject, path: FieldPath): void {
  const chain: Json[] = [object];
  for (const el of path.slice(0, -1)) {
    const next = valueAt(chain[chain.length - 1], [el]);
    if (next === undefined || next === null || typeof next !== 'object') return;
    chain.push(next);
  }
  for (const [depth, el] of [...path.entries()].reverse()) {
    const parent = chain[depth];
    if (el.startsWith('f:') && isObject(parent)) delete parent[el.slice(2)];
    else if (Array.isArray(parent)) {
      const target = valueAt(parent, [el]);
      const at = parent.indexOf(target as Json);
      if (at >= 0) parent.splice(at, 1);
    }
    const emptied = Array.isArray(parent) ? parent.length === 0 : isObject(parent) && Object.keys(parent).length === 0;
    if (!emptied || depth <= 1) return;
  }
}

/** `.spec.template.spec.containers[name="app"].image`, the way apply conflicts name a field. */
export function pathString(path: FieldPath): string {
  return path
    .map((el) => {
      if (el.startsWith('f:')) return `.${el.slice(2)}`;
      if (el.startsWith('k:')) {
        const key = JSON.parse(el.slice(2)) as Record<string, Json>;
        return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
      }
      if (el.startsWith('v:')) return `[=${el.slice(2)}]`;
      return `[${el}]`;
    })
    .join('');
}

interface Node {
  self: boolean;
  children: Map<string, Node>;
}

export function toFieldsV1(set: FieldSet): JsonObject {
  const root: Node = { self: false, children: new Map() };
  for (const encoded of set) {
    let node = root;
    for (const el of decodePath(encoded)) {
      let child = node.children.get(el);
      if (!child) node.children.set(el, (child = { self: false, children: new Map() }));
      node = child;
    }
    node.self = true;
  }
  const render = (node: Node): JsonObject => {
    const out: JsonObject = {};
    if (node.self && node.children.size > 0) out['.'] = {};
    for (const [el, child] of [...node.children].sort(([a], [b]) => a.localeCompare(b))) out[el] = render(child);
    return out;
  };
  return render(root);
}

export function fromFieldsV1(tree: unknown): FieldSet {
  const out: FieldSet = new Set();
  const visit = (node: unknown, path: FieldPath) => {
    if (!isObject(node)) return;
    const keys = Object.keys(node);
    if (path.length > 0 && (keys.length === 0 || keys.includes('.'))) out.add(JSON.stringify(path));
    for (const k of keys) if (k !== '.') visit(node[k], [...path, k]);
  };
  visit(tree, []);
  return out;
}
