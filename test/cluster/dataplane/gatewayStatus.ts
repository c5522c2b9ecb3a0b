// Writes HTTPRoute status the way a Gateway controller does: one entry per parentRef that points at one
// of our Gateways (or at a Gateway that does not exist), with Accepted and ResolvedRefs conditions
// carrying the route's generation. Status reflects the store at once; traffic follows after the
// data plane's propagation delay (the order a real controller has too).
import { RESOURCES, type KubeObject, type ResourceType, type Store } from '../store';
import { attach, parentRefs, resolvedRefs, type GatewayScope, type ParentRef, type Verdict } from './gatewayapi';
import { liveView } from './view';

export const EMULATOR_CONTROLLER_NAME = 'bluegreen.test/gateway-emulator';

const HTTPROUTE = RESOURCES.find((r) => r.kind === 'HTTPRoute') as ResourceType;
const TRIGGERS = new Set(['HTTPRoute', 'Gateway', 'ReferenceGrant', 'Service', 'Namespace']);

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  observedGeneration: number;
  lastTransitionTime: string;
}

interface RouteParentStatus {
  parentRef: ParentRef;
  controllerName: string;
  conditions: Condition[];
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function condition(type: string, verdict: Verdict, generation: number, previous: Condition[] | undefined): Condition {
  const status = verdict.ok ? 'True' : 'False';
  const before = previous?.find((c) => c.type === type);
  // lastTransitionTime only moves when the status flips, as the API conventions require.
  const lastTransitionTime = before && before.status === status ? before.lastTransitionTime : now();
  return { type, status, reason: verdict.reason, message: verdict.message, observedGeneration: generation, lastTransitionTime };
}

const sameRef = (a: ParentRef, b: ParentRef) => JSON.stringify(a) === JSON.stringify(b);

export function routeStatus(route: KubeObject, store: Store, scope: GatewayScope, controllerName = EMULATOR_CONTROLLER_NAME): RouteParentStatus[] {
  const view = liveView(store);
  const generation = route.metadata.generation ?? 1;
  const existing: RouteParentStatus[] = route.status?.parents ?? [];
  const refs = resolvedRefs(route, view);
  const ours: RouteParentStatus[] = [];
  for (const parentRef of parentRefs(route)) {
    const a = attach(route, parentRef, view, scope);
    if (!a.ours) continue;
    const previous = existing.find((p) => p.controllerName === controllerName && sameRef(p.parentRef, parentRef))?.conditions;
    ours.push({
      parentRef,
      controllerName,
      conditions: [condition('Accepted', a.accepted, generation, previous), condition('ResolvedRefs', refs, generation, previous)],
    });
  }
  return [...existing.filter((p) => p.controllerName !== controllerName), ...ours];
}

/**
 * Keeps every HTTPRoute's status current. Writes are deferred out of the store's event dispatch (other
 * subscribers, such as watch streams, must see events in resourceVersion order) and made only on change,
 * so the writer's own status writes settle instead of looping.
 */
export function startRouteStatusWriter(store: Store, scope: GatewayScope, controllerName = EMULATOR_CONTROLLER_NAME): () => void {
  let scheduled: NodeJS.Immediate | undefined;
  const sync = () => {
    scheduled = undefined;
    for (const route of store.list(HTTPROUTE)) {
      if (route.metadata.deletionTimestamp) continue;
      const parents = routeStatus(route, store, scope, controllerName);
      if (JSON.stringify(parents) === JSON.stringify(route.status?.parents ?? [])) continue;
      store.put(HTTPROUTE, { ...route, status: { ...route.status, parents } });
    }
  };
  const unsubscribe = store.subscribe((event) => {
    if (TRIGGERS.has(event.resource.kind) && !scheduled) scheduled = setImmediate(sync);
  });
  scheduled = setImmediate(sync);
  return () => {
    unsubscribe();
    if (scheduled) clearImmediate(scheduled);
  };
}
