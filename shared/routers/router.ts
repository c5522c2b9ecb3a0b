// The one interface every router implements. A router knows its objects (Services, Ingresses, an
// HTTPRoute, Traffic Manager endpoints) and nothing of helm; the lifecycle knows the order of the verbs
// and nothing of the objects.
import type { CheckTarget } from '../checks/http';
import type { RoutingInputs } from '../inputs/read';
import type { Kube } from '../kubernetes/client';
import type { App, Routing, Slot } from '../core/model';
import type { Log } from '../report/log';

/** Helm values, nested (`{ ingress: { weight: 30 } }`). */
export type Values = Record<string, unknown>;

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
  /** Chart-owned routing: re-render a slot's release with these routing values (the lifecycle runs helm). */
  render(slot: Slot, values: Values): Promise<void>;
  /** Seconds the data plane needs to apply a change (input; the router's default when undefined). */
  settleSeconds?: number;
  /** Base URL the HTTP checks connect to instead of the public host (the Host header stays the host). */
  checkAddress?: string;
  /** Called before every write outside Kubernetes (Azure): throws once the task lost the app's lease. */
  writeGuard?: () => void;
}

/** `setDotted({}, 'ingress.weight', 30)` -> `{ ingress: { weight: 30 } }`; an empty key sets nothing. */
export function setDotted(values: Values, dotted: string, value: unknown): Values {
  if (!dotted) return values;
  const parts = dotted.split('.');
  // Value keys are validated as inputs (inputs/rules.ts RESERVED_VALUE_NAMES); this guard keeps a reserved
  // name from ever reaching Object.prototype.
  const reserved = parts.find((part) => part === '__proto__' || part === 'constructor' || part === 'prototype');
  if (reserved !== undefined) throw new Error(`The value key '${dotted}' uses the reserved name '${reserved}', which cannot be a value name.`);
  let node = values;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Values;
  }
  node[parts[parts.length - 1]] = value;
  return values;
}

export function valuesOf(pairs: Array<[string, unknown]>): Values {
  const values: Values = {};
  for (const [key, value] of pairs) setDotted(values, key, value);
  return values;
}
