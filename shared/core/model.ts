// The blue/green domain: slots, layouts, releases, roles. Pure types and tiny pure helpers only.

export type Slot = 'blue' | 'green';
export const SLOTS: readonly Slot[] = ['blue', 'green'];
export const otherSlot = (slot: Slot): Slot => (slot === 'blue' ? 'green' : 'blue');

/** Where a slot's release lives. */
export type Layout =
  /** release `<name>-<slot>` in `<namespace>` */
  | 'shared'
  /** release `<slot>-<name>` in namespace `<slot>-<namespace>` (the classic scripts' layout) */
  | 'perSlot';

export type RouterKind = 'nginx' | 'appgw' | 'gateway' | 'trafficmanager';
export const ROUTER_KINDS: readonly RouterKind[] = ['nginx', 'appgw', 'gateway', 'trafficmanager'];

/** Who renders the routing objects: the chart from values the task sets, or the task itself. */
export type RoutingOwnership = 'chart' | 'managed';

/** One app under blue/green: its name and where its slots live. */
export interface App {
  name: string;
  namespace: string;
  layout: Layout;
}

export interface SlotLocation {
  slot: Slot;
  release: string;
  namespace: string;
}

export function locate(app: App, slot: Slot): SlotLocation {
  return app.layout === 'shared'
    ? { slot, release: `${app.name}-${slot}`, namespace: app.namespace }
    : { slot, release: `${slot}-${app.name}`, namespace: `${slot}-${app.namespace}` };
}

/** The namespace that holds the app's lease and the objects the task owns (managed routing). */
export function homeNamespace(app: App): string {
  return app.layout === 'shared' ? app.namespace : locate(app, 'blue').namespace;
}

/** helm's release statuses (`helm list -o json` `.status`). */
export type ReleaseStatus =
  | 'deployed'
  | 'failed'
  | 'pending-install'
  | 'pending-upgrade'
  | 'pending-rollback'
  | 'uninstalling'
  | 'superseded'
  | 'uninstalled'
  | 'unknown';

/** What helm says is deployed in one slot. */
export interface Release {
  slot: Slot;
  name: string;
  namespace: string;
  revision: number;
  status: ReleaseStatus;
  /** chart name-version, e.g. `calculator-1.4.0` */
  chart: string;
  appVersion: string;
  /** Last deployed, RFC 3339. */
  updated: string;
  /** The lifecycle run that made the current revision (recorded by Deploy), if any. */
  run?: string;
}

/** What a slot is to users, read from the router's objects (production, staging) or from helm (retired). */
export type Role = 'production' | 'staging' | 'idle' | 'absent';

/** Who serves, as the router's objects say right now. */
export interface Routing {
  /** The slot that receives default traffic, if the router has a production route at all. */
  production?: Slot;
  /** The slot exposed to testers (header, path, own address), if any. */
  staging?: Slot;
  /** Share of real users sent to staging, 0-100. */
  stagingPercent: number;
}
