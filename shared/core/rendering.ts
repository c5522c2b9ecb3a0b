// Routing values and the port through which chart-owned routing changes a route: the router decides the
// values, something else (helm, in helm/rerender.ts) re-renders the slot's release with them. Routers
// depend on this port, helm implements it, and neither imports the other.
import type { Slot } from './model';

/** Helm values, nested (`{ ingress: { weight: 30 } }`). */
export type Values = Record<string, unknown>;

/** Re-renders a slot's release with routing values, keeping everything else it was installed with. */
export interface SlotRenderer {
  render(slot: Slot, values: Values): Promise<void>;
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
  // split() returns at least one part: the last is the leaf.
  node[parts[parts.length - 1]!] = value;
  return values;
}

export function valuesOf(pairs: Array<[string, unknown]>): Values {
  const values: Values = {};
  for (const [key, value] of pairs) setDotted(values, key, value);
  return values;
}
