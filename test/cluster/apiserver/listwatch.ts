// List and watch. Lists honour label/field selectors and limit/continue; watches replay the event log
// from a resourceVersion, or (WatchList, what helm 4's status watcher uses) send the current objects as
// ADDED followed by a BOOKMARK annotated `k8s.io/initial-events-end: "true"`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiVersionOf, type KubeObject, type ResourceType, type Store, type StoreEvent } from '../store';
import { ApiError, badRequest } from './errors';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors';

export interface Filter {
  namespace?: string;
  labels: ReturnType<typeof parseLabelSelector>;
  fields: ReturnType<typeof parseFieldSelector>;
}

export function filterOf(namespace: string | undefined, query: URLSearchParams): Filter {
  return { namespace, labels: parseLabelSelector(query.get('labelSelector')), fields: parseFieldSelector(query.get('fieldSelector')) };
}

function matches(r: ResourceType, filter: Filter, object: KubeObject): boolean {
  if (r.namespaced && filter.namespace !== undefined && object.metadata.namespace !== filter.namespace) return false;
  return matchesLabels(filter.labels, object.metadata.labels) && matchesFields(filter.fields, object);
}

interface ContinueToken {
  rv: string;
  after: string;
}

const positionOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export function listObjects(store: Store, r: ResourceType, namespace: string | undefined, query: URLSearchParams): KubeObject {
  const filter = filterOf(namespace, query);
  let items = store.list(r, namespace).filter((o) => matches(r, filter, o));
  let rv = store.resourceVersion;
  const token = query.get('continue');
  if (token) {
    let parsed: ContinueToken;
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    } catch {
      throw badRequest('continue key is not valid: illegal base64 data');
    }
    // The fake keeps no snapshots: a continued list reads the current state after the last key.
    rv = parsed.rv;
    items = items.filter((o) => positionOf(o) > parsed.after);
  }
  const limit = Number(query.get('limit') ?? 0);
  const metadata: Record<string, unknown> = { resourceVersion: rv };
  const last = limit > 0 && items.length > limit ? items[limit - 1] : undefined;
  if (last) {
    const rest = items.length - limit;
    items = items.slice(0, limit);
    metadata.continue = Buffer.from(JSON.stringify({ rv, after: positionOf(last) } satisfies ContinueToken)).toString('base64url');
    metadata.remainingItemCount = rest;
  }
  return { kind: `${r.kind}List`, apiVersion: apiVersionOf(r), metadata, items };
}

interface LoggedEvent {
  rv: number;
  event: StoreEvent;
}

/** The recent history of the store, so a watch can start from a resourceVersion a list returned. */
export class EventLog {
  private readonly events: LoggedEvent[] = [];
  private readonly unsubscribe: () => void;
  private firstRv: number;

  constructor(
    store: Store,
    private readonly capacity = 4000,
  ) {
    this.firstRv = Number(store.resourceVersion);
    this.unsubscribe = store.subscribe((event) => {
      this.events.push({ rv: Number(event.object.metadata.resourceVersion), event });
      if (this.events.length > this.capacity) {
        const dropped = this.events.splice(0, this.events.length - this.capacity);
        this.firstRv = dropped.at(-1)?.rv ?? this.firstRv;
      }
    });
  }

  /** Events after `rv`, or undefined when that history is no longer kept (410 Gone). */
  since(rv: number): StoreEvent[] | undefined {
    if (rv < this.firstRv) return undefined;
    return this.events.filter((e) => e.rv > rv).map((e) => e.event);
  }

  close(): void {
    this.unsubscribe();
  }
}

type WatchEvent = { type: string; object: KubeObject };

/** Serves one watch request as a stream of JSON lines until the client goes, the timeout ends it, or the server closes. */
export function serveWatch(
  store: Store,
  log: EventLog,
  r: ResourceType,
  namespace: string | undefined,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const filter = filterOf(namespace, query);
  const send = (e: WatchEvent) => res.write(`${JSON.stringify(e)}\n`);
  const rvParam = query.get('resourceVersion') ?? '';
  const sendInitialEvents = query.get('sendInitialEvents') === 'true';
  if (sendInitialEvents && query.get('resourceVersionMatch') !== 'NotOlderThan') {
    throw new ApiError(422, 'Invalid', 'resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
  }
  let replay: StoreEvent[] | undefined = [];
  if (!sendInitialEvents && rvParam !== '' && rvParam !== '0') {
    replay = log.since(Number(rvParam));
  }

  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache, private' });
  if (replay === undefined) {
    send({
      type: 'ERROR',
      object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${rvParam}`, reason: 'Expired', code: 410 },
    });
    res.end();
    return;
  }
  const kindOf = (o: KubeObject) => ({ ...o, kind: r.kind, apiVersion: apiVersionOf(r) });
  const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  // What this watcher has been told exists: an object modified out of its selector is DELETED for it,
  // one modified into it is ADDED, as the real watch cache reports them.
  const known = new Set<string>();
  const initial = store.list(r, namespace).filter((o) => matches(r, filter, o));
  for (const o of initial) known.add(keyOf(o));
  const deliver = (e: StoreEvent) => {
    if (!sameResource(e.resource, r)) return;
    const key = keyOf(e.object);
    const inside = matches(r, filter, e.object);
    let type: string | undefined;
    if (e.type === 'DELETED') type = inside || known.has(key) ? 'DELETED' : undefined;
    else if (inside) type = known.has(key) && e.type === 'MODIFIED' ? 'MODIFIED' : 'ADDED';
    else if (known.has(key)) type = 'DELETED';
    if (!type) return;
    if (type === 'DELETED') known.delete(key);
    else known.add(key);
    send({ type, object: kindOf(e.object) });
  };
  // Synthetic ADDED events for the current state: always with WatchList, and for a watch from "now".
  if (sendInitialEvents || rvParam === '' || rvParam === '0') {
    for (const o of initial) send({ type: 'ADDED', object: kindOf(o) });
  } else {
    // A watch from a resourceVersion replays history: start from what existed before it.
    for (const e of replay) if (e.type === 'ADDED') known.delete(keyOf(e.object));
  }
  if (sendInitialEvents) {
    send({
      type: 'BOOKMARK',
      object: { kind: r.kind, apiVersion: apiVersionOf(r), metadata: { resourceVersion: store.resourceVersion, annotations: { 'k8s.io/initial-events-end': 'true' } } },
    });
  }
  for (const e of replay) deliver(e);

  const unsubscribe = store.subscribe(deliver);
  const timeoutSeconds = Number(query.get('timeoutSeconds') ?? 0);
  const timer = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined;
  const stop = () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
  };
  res.on('close', stop);
  req.on('close', stop);
}

const sameResource = (a: ResourceType, b: ResourceType) => a.group === b.group && a.plural === b.plural;
