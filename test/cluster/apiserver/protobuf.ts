// Decoding of the protobuf bodies helm's typed client sends (application/vnd.kubernetes.protobuf):
// Secrets (release storage), Namespaces (--create-namespace), ConfigMaps and DeleteOptions.
// The body is the magic `k8s\0` then a runtime.Unknown { typeMeta=1, raw=2, contentEncoding=3,
// contentType=4 } whose `raw` is the object's own message. gogo-protobuf writes empty scalars too,
// so "", 0 and zero timestamps are dropped here rather than becoming fields.
import { ApiError } from './errors';
import type { Json, JsonObject } from './schema';

export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Scalar = 'string' | 'bytes' | 'int' | 'bool' | 'time' | 'fieldsV1';
interface Field {
  name: string;
  type: Scalar | Message;
  repeated?: boolean;
  /** map<string, V>: entries are messages { key = 1; value = 2 } */
  map?: 'string' | 'bytes';
}
type Message = Record<number, Field>;

const OwnerReference: Message = {
  1: { name: 'kind', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
  6: { name: 'controller', type: 'bool' },
  7: { name: 'blockOwnerDeletion', type: 'bool' },
};

const ManagedFieldsEntry: Message = {
  1: { name: 'manager', type: 'string' },
  2: { name: 'operation', type: 'string' },
  3: { name: 'apiVersion', type: 'string' },
  4: { name: 'time', type: 'time' },
  6: { name: 'fieldsType', type: 'string' },
  7: { name: 'fieldsV1', type: 'fieldsV1' },
  8: { name: 'subresource', type: 'string' },
};

const ObjectMeta: Message = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  4: { name: 'selfLink', type: 'string' },
  5: { name: 'uid', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'int' },
  8: { name: 'creationTimestamp', type: 'time' },
  9: { name: 'deletionTimestamp', type: 'time' },
  10: { name: 'deletionGracePeriodSeconds', type: 'int' },
  11: { name: 'labels', type: 'string', map: 'string' },
  12: { name: 'annotations', type: 'string', map: 'string' },
  13: { name: 'ownerReferences', type: OwnerReference, repeated: true },
  14: { name: 'finalizers', type: 'string', repeated: true },
  17: { name: 'managedFields', type: ManagedFieldsEntry, repeated: true },
};

const Secret: Message = {
  1: { name: 'metadata', type: ObjectMeta },
  2: { name: 'data', type: 'bytes', map: 'bytes' },
  3: { name: 'type', type: 'string' },
  4: { name: 'stringData', type: 'string', map: 'string' },
  5: { name: 'immutable', type: 'bool' },
};

const ConfigMap: Message = {
  1: { name: 'metadata', type: ObjectMeta },
  2: { name: 'data', type: 'string', map: 'string' },
  3: { name: 'binaryData', type: 'bytes', map: 'bytes' },
  4: { name: 'immutable', type: 'bool' },
};

const Namespace: Message = {
  1: { name: 'metadata', type: ObjectMeta },
  2: { name: 'spec', type: { 1: { name: 'finalizers', type: 'string', repeated: true } } },
  3: { name: 'status', type: { 1: { name: 'phase', type: 'string' } } },
};

const DeleteOptions: Message = {
  1: { name: 'gracePeriodSeconds', type: 'int' },
  2: { name: 'preconditions', type: { 1: { name: 'uid', type: 'string' }, 2: { name: 'resourceVersion', type: 'string' } } },
  3: { name: 'orphanDependents', type: 'bool' },
  4: { name: 'propagationPolicy', type: 'string' },
  5: { name: 'dryRun', type: 'string', repeated: true },
};

const KINDS: Record<string, Message> = { Secret, ConfigMap, Namespace, DeleteOptions };

const TypeMeta: Message = { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } };
const Unknown: Message = {
  1: { name: 'typeMeta', type: TypeMeta },
  2: { name: 'raw', type: 'bytes' },
  3: { name: 'contentEncoding', type: 'string' },
  4: { name: 'contentType', type: 'string' },
};

// ---- wire format -----------------------------------------------------------------------------------

interface WireField {
  number: number;
  wireType: number;
  /** varint / fixed values as bigint; length-delimited as bytes */
  value: bigint | Buffer;
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.buf[this.pos++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  }

  bytes(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  field(): WireField {
    const tag = this.varint();
    const number = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    switch (wireType) {
      case 0:
        return { number, wireType, value: this.varint() };
      case 1:
        return { number, wireType, value: this.bytes(8).readBigUInt64LE() };
      case 2:
        return { number, wireType, value: this.bytes(Number(this.varint())) };
      case 5:
        return { number, wireType, value: BigInt(this.bytes(4).readUInt32LE()) };
      default:
        throw new Error(`unsupported wire type ${wireType}`);
    }
  }
}

export function readFields(buf: Buffer): WireField[] {
  const reader = new Reader(buf);
  const out: WireField[] = [];
  while (!reader.done) out.push(reader.field());
  return out;
}

const asBytes = (f: WireField): Buffer => {
  if (!Buffer.isBuffer(f.value)) throw new Error(`field ${f.number} is not length-delimited`);
  return f.value;
};
const asInt = (f: WireField): bigint => {
  if (Buffer.isBuffer(f.value)) throw new Error(`field ${f.number} is not a number`);
  return BigInt.asIntN(64, f.value);
};

function decodeTime(buf: Buffer): string | undefined {
  let seconds = 0n;
  for (const f of readFields(buf)) if (f.number === 1) seconds = asInt(f);
  if (seconds === 0n) return undefined;
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function decodeScalar(type: Scalar, f: WireField): Json | undefined {
  switch (type) {
    case 'string': {
      const s = asBytes(f).toString('utf8');
      return s === '' ? undefined : s;
    }
    case 'bytes':
      return asBytes(f).toString('base64');
    case 'int': {
      const n = Number(asInt(f));
      return n === 0 ? undefined : n;
    }
    case 'bool':
      return asInt(f) !== 0n;
    case 'time':
      return decodeTime(asBytes(f));
    case 'fieldsV1': {
      const raw = readFields(asBytes(f)).find((x) => x.number === 1);
      return raw ? (JSON.parse(asBytes(raw).toString('utf8')) as Json) : undefined;
    }
  }
}

function decodeMapEntry(buf: Buffer, valueType: 'string' | 'bytes'): [string, string] {
  let key = '';
  let value = '';
  for (const f of readFields(buf)) {
    if (f.number === 1) key = asBytes(f).toString('utf8');
    if (f.number === 2) value = valueType === 'bytes' ? asBytes(f).toString('base64') : asBytes(f).toString('utf8');
  }
  return [key, value];
}

export function decodeMessage(buf: Buffer, schema: Message): JsonObject {
  const out: JsonObject = {};
  for (const f of readFields(buf)) {
    const spec = schema[f.number];
    if (!spec) continue;
    if (spec.map) {
      const [k, v] = decodeMapEntry(asBytes(f), spec.map);
      const m = (out[spec.name] ??= {}) as JsonObject;
      m[k] = v;
      continue;
    }
    const value = typeof spec.type === 'string' ? decodeScalar(spec.type, f) : decodeMessage(asBytes(f), spec.type);
    if (spec.repeated) {
      // repeated strings keep empty entries: their position is meaningful
      const list = (out[spec.name] ??= []) as Json[];
      list.push(value ?? '');
    } else if (value !== undefined && !(typeof value === 'object' && value !== null && Object.keys(value).length === 0)) {
      out[spec.name] = value;
    }
  }
  return out;
}

/** Decodes a `k8s\0`-enveloped protobuf body into the JSON object the client meant. */
export function decodeProtobufBody(body: Buffer): JsonObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(PROTOBUF_MAGIC)) {
    throw new ApiError(400, 'BadRequest', 'protobuf body does not start with the k8s\\0 magic');
  }
  let unknown: JsonObject;
  try {
    unknown = decodeMessage(body.subarray(4), Unknown);
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `cannot decode protobuf envelope: ${(err as Error).message}`);
  }
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const kind = typeMeta.kind ?? '';
  const schema = KINDS[kind];
  if (!schema) throw new ApiError(415, 'UnsupportedMediaType', `the fake API server decodes protobuf only for ${Object.keys(KINDS).join(', ')}, got kind ${JSON.stringify(kind)}`);
  const raw = Buffer.from(typeof unknown.raw === 'string' ? unknown.raw : '', 'base64');
  let object: JsonObject;
  try {
    object = decodeMessage(raw, schema);
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `cannot decode protobuf ${kind}: ${(err as Error).message}`);
  }
  return { apiVersion: typeMeta.apiVersion ?? 'v1', kind, ...object };
}

// ---- encoding (for tests: the same bytes helm's client produces) -------------------------------------

export function encodeVarint(n: bigint | number): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const bytes: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0n);
  return Buffer.from(bytes);
}

export const encodeTag = (number: number, wireType: number) => encodeVarint((number << 3) | wireType);

export function encodeField(number: number, value: Buffer | string | number | bigint | boolean): Buffer {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return Buffer.concat([encodeTag(number, 0), encodeVarint(typeof value === 'boolean' ? (value ? 1 : 0) : value)]);
  }
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([encodeTag(number, 2), encodeVarint(bytes.length), bytes]);
}

export function encodeEnvelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const typeMeta = Buffer.concat([encodeField(1, apiVersion), encodeField(2, kind)]);
  return Buffer.concat([PROTOBUF_MAGIC, encodeField(1, typeMeta), encodeField(2, raw), encodeField(3, ''), encodeField(4, '')]);
}
