// The one interface every router implements. A router knows its objects (Services, Ingresses, an
// HTTPRoute, Traffic Manager endpoints) and nothing of helm; the lifecycle knows the order of the verbs
// and nothing of the objects.
import type { CheckTarget } from '../checks/http';
import type { RoutingInputs } from '../inputs/types';
import type { Kube } from '../kubernetes/client';
import type { App, Routing, Slot } from '../core/model';
import type { Log } from '../report/log';
import type { SlotRenderer, Values } from '../core/rendering';

export { type SlotRenderer, type Values, setDotted, valuesOf } from '../core/rendering';

export type Exposure = 'production' | 'staging';

export interface Router {
  /** For the log: "ingress-nginx, routing managed by the task". */
  readonly label: string;
  /** Read who serves right now from the router's objects. */
  observe(): Promise<Routing>;
  /** Values the slot's release is installed with so the chart fits the router (routing values in chart mode). */
  installValues(slot: Slot, exposure: Exposure): Values;
  /** Route every user to `slot` (first deploy, or repair when nothing serves production). */
  establish(slot: Slot): Promise<void>;
  /** Make `slot` reachable by testers only (0 % of real users). */
  exposeStaging(slot: Slot): Promise<void>;
  /** Send `percent` % of real users to the staging slot. Throws (changing nothing) where impossible. */
  setStagingPercent(slot: Slot, percent: number): Promise<void>;
  /** Move production from the current slot to `to` without a gap. */
  switchProduction(to: Slot, from: Slot | undefined): Promise<void>;
  /** Take `slot` out of every route (users first, then testers); production is not touched. */
  withdrawStaging(slot: Slot): Promise<void>;
  /**
   * The slot's release is about to be uninstalled: afterwards no route the router owns may point at it
   * (real users leave first). Routes the release renders itself go with it.
   */
  detach(slot: Slot): Promise<void>;
  /** Wait until the data plane applies the last change. */
  settle(what: string): Promise<void>;
  /** Something besides the router changed what the data plane serves (helm installed or removed pods): the next settle must observe. */
  changed?(): void;
  /** Where HTTP checks reach a slot in a role (the address part may be overridden by the checkAddress input). */
  target(exposure: Exposure, slot: Slot): CheckTarget;
  /** Before anything changes: refuse what this router cannot do (e.g. a percentage on App Gateway). */
  preflight(intent: Intent): Promise<void>;
  /** Seconds clients may keep reaching the old slot after a switch (DNS TTL); retirement waits at least this. */
  minimumDrainSeconds(): Promise<number>;
}

/** What the task is about to do, for `preflight` to refuse before anything changes. */
export interface Intent {
  /** A share of real users for the staging slot. */
  percent?: number;
  /** Production moves to this slot. */
  promote?: Slot;
}

export interface RouterContext {
  app: App;
  inputs: RoutingInputs;
  kube: Kube;
  log: Log;
  /** Chart-owned routing only: re-renders a slot's release with routing values (helm/rerender.ts implements it). */
  renderer?: SlotRenderer;
  /** Seconds the data plane needs to apply a change (input; the router's default when undefined). */
  settleSeconds?: number;
  /** Base URL the HTTP checks connect to instead of the public host (the Host header stays the host). */
  checkAddress?: string;
  /** Called before every write outside Kubernetes (Azure): throws once the task lost the app's lease. */
  writeGuard?: () => void;
}
