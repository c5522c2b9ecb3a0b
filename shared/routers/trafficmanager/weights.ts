// The pure side of the Traffic Manager router: how weights encode who serves, how a slot's address
// becomes an endpoint target and a DNS label. No I/O here; table tests in test/unit/trafficmanager*.
//
// Traffic Manager has no notion of production or staging: two endpoints, each Enabled or Disabled with
// a weight of 1-1000 (0 is invalid), and every enabled endpoint gets a share of the DNS answers. The
// states this router writes are chosen so the roles can be read back from the endpoints alone:
//   production   Enabled, weight 1000, or the larger weight while staging has a share;
//   staging      Disabled at weight 1 (testers only), or Enabled with the smaller weight (a share of users);
//   drained      Disabled at another weight: it had users (disabling keeps the weight), so clients may
//                still hold its address in their DNS caches until the profile's TTL has passed.
import { type Routing, type Slot, SLOTS } from '../../core/model';
// The largest share staging can have (MAX_STAGING_PERCENT) is declared with the router's other
// capabilities, so the inputs refuse a larger share before the task connects.
import { percentProblem } from '../capabilities';

export const FULL_WEIGHT = 1000;
/** The weight of a staged, disabled endpoint: it marks "never had users". */
export const STAGED_WEIGHT = 1;

export interface EndpointState {
  name: string;
  type: string;
  enabled: boolean;
  weight: number;
  target?: string;
  targetResourceId?: string;
  monitorStatus?: string;
  /** Position in the profile's endpoint list (creation order): the tie-break between equal weights. */
  order: number;
}

export type SlotEndpoints = Partial<Record<Slot, EndpointState>>;

/** `<app>-<slot>`: one endpoint per slot, named so a reader of the profile sees which app and slot it is. */
export const endpointName = (app: string, slot: Slot) => `${app}-${slot}`;

/**
 * Weights out of 1000 giving staging `percent` % of the DNS answers: 10 % -> 900/100. Staging stays
 * strictly lighter than production (50 % -> 501/499), so the roles can be read back.
 */
export function weightsFor(percent: number): { production: number; staging: number } {
  const problem = percent === 0 ? 'a share of 0 % is a disabled staging endpoint, not a weight' : percentProblem('trafficmanager', percent);
  if (problem) throw new RangeError(problem);
  const staging = Math.min(percent * 10, FULL_WEIGHT / 2 - 1);
  return { production: FULL_WEIGHT - staging, staging };
}

/** The share of users (0-100) that weights give the staging endpoint; at least 1 when it gets any. */
export function shareOf(production: number, staging: number): number {
  if (staging <= 0) return 0;
  return Math.max(1, Math.round((100 * staging) / (production + staging)));
}

/** Had users: Enabled now, or disabled but still at a user weight (clients may cache its address). */
export const hadUsers = (e: EndpointState | undefined) => !!e && (e.enabled || e.weight !== STAGED_WEIGHT);

/** Who serves, read from the two slot endpoints (see the file comment for the encoding). */
export function routingOf(endpoints: SlotEndpoints): Routing {
  const enabled = SLOTS.flatMap((slot) => (endpoints[slot]?.enabled ? [{ slot, e: endpoints[slot] as EndpointState }] : []));
  // Equal weights only follow a task that died between the two writes of a switch; either reading keeps
  // users served. The earlier endpoint is read as production, which is not always the one that served
  // before (a kept slot's endpoint is older); the plans complete the switch from the app's record
  // (plans.ts finishSwitch), so nothing depends on this reading being right.
  const [first, second] = [...enabled].sort((a, b) => b.e.weight - a.e.weight || a.e.order - b.e.order);
  if (first && second) {
    return { production: first.slot, staging: second.slot, stagingPercent: shareOf(first.e.weight, second.e.weight) };
  }
  if (first) {
    const production = first.slot;
    const other = SLOTS.find((s) => s !== production) as Slot;
    const staged = endpoints[other] && !endpoints[other].enabled && endpoints[other].weight === STAGED_WEIGHT;
    return { production, staging: staged ? other : undefined, stagingPercent: 0 };
  }
  return { production: undefined, staging: undefined, stagingPercent: 0 };
}

/** Azure's rule for a Public IP DNS label: 3-63 characters, a lower-case letter first. */
export const isAzureDnsLabel = (label: string) => /^[a-z][a-z0-9-]{1,61}[a-z0-9]$/.test(label);

/**
 * The DNS label a slot's load balancer gets when no address says otherwise: `<profile>-<slot>`. Labels
 * are unique per Azure region, and the profile's name usually is its globally unique DNS name.
 */
export function defaultDnsLabel(profile: string, slot: Slot): string {
  let base = profile.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^[^a-z]+/, '');
  base = base.slice(0, 63 - slot.length - 1).replace(/-+$/, '');
  return `${base || 'app'}-${slot}`;
}

const CLOUDAPP = /^([a-z][a-z0-9-]{1,61}[a-z0-9])\.[a-z0-9]+\.cloudapp\.azure\.com$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export interface SlotAddress {
  /** What the endpoint targets and checks connect to: an FQDN or IP (no scheme, no port). */
  target?: string;
  /** DNS label for the slot's load balancer. */
  label: string;
  /** Static IP for the slot's load balancer. */
  staticIp?: string;
}

/**
 * An external endpoint's address input: an IP is also the load balancer's static IP; an Azure
 * `<label>.<region>.cloudapp.azure.com` name gives the DNS label; any other name is the user's own DNS.
 */
export function externalAddress(input: string | undefined, profile: string, slot: Slot): SlotAddress {
  const label = defaultDnsLabel(profile, slot);
  if (!input) return { label };
  const address = input.toLowerCase();
  if (IPV4.test(address) || address.includes(':')) return { target: address, label, staticIp: address };
  return { target: address, label: CLOUDAPP.exec(address)?.[1] ?? label };
}

/** The DNS label in an Azure Public IP's FQDN (`calc-blue.westeurope.cloudapp.azure.com` -> `calc-blue`). */
export const labelOfFqdn = (fqdn: string) => fqdn.toLowerCase().split('.')[0] ?? '';
