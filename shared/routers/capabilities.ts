// What each router can do, as data: which routing ownerships it takes, what it needs of the layout and the
// inputs, how testers reach staging, and what share of real users it can send there. Read twice, by the
// same small functions: by the input readers (shared/inputs/), which refuse before anything is written
// whenever the router is known, and by the routers' preflight and createRouter (defence in depth, e.g.
// a percentage that comes from a plan). No router implementation is imported here: the inputs load
// this file without the Azure SDK or the Kubernetes client. A new router declares its entry first.
import { type Layout, ROUTER_KINDS, type RouterKind, type RoutingOwnership } from '../core/model';

/** The path prefix testers add to reach staging behind App Gateway (AGIC). */
export const CANARY_PREFIX = '/canary';
/**
 * Traffic Manager's largest share for staging. Both endpoints are symmetric: production is told apart by
 * its larger weight, so staging must stay below half of the users.
 */
export const MAX_STAGING_PERCENT = 50;

/** How testers reach the staging slot while users stay on production. */
export type StagingAccess = { by: 'header'; cookie: boolean } | { by: 'path prefix'; prefix: string } | { by: 'own address' };

/** An ownership the router works with, or the reason (with what to do instead) it refuses it. */
export type OwnershipSupport = { supported: true } | { supported: false; why: string };

export interface RouterCapabilities {
  /** The product, as messages name it. */
  product: string;
  /** Who may own the routing objects: the task (`managed`) or each slot's chart (`chart`). */
  ownerships: Record<RoutingOwnership, OwnershipSupport>;
  /** Managed routing needs namespaceLayout shared: why (undefined: any layout). */
  managedNeedsSharedLayout?: string;
  /** The `host` input is required (the router routes one public host). */
  hostRequired: boolean;
  staging: StagingAccess;
  /**
   * The largest share of real users the staging slot can get (0: none), and, below 100, why no more:
   * after "<product> " when it is 0, after "<product> can send at most <max> %...: " otherwise.
   */
  userShare: { max: number; why?: string };
}

const SUPPORTED: OwnershipSupport = { supported: true };
const ONE_STABLE_SERVICE = 'the Ingress reaches pods through one stable Service, and a Service selects pods only in its own namespace';

export const CAPABILITIES: Readonly<Record<RouterKind, RouterCapabilities>> = {
  nginx: {
    product: 'ingress-nginx',
    ownerships: {
      managed: SUPPORTED,
      chart: {
        supported: false,
        why:
          'ingress-nginx cannot swap the primary Ingresses of two chart releases without a window in which the host answers 404 (its admission webhook refuses a second primary for the host, and with the old one deleted nothing serves until the new one exists and nginx reloads). ' +
          'Set routingOwnership to managed: the task then owns the Ingresses and moves production with one Service selector patch, with no window; the chart deploys just the app and its own Service.',
      },
    },
    managedNeedsSharedLayout: ONE_STABLE_SERVICE,
    hostRequired: true,
    staging: { by: 'header', cookie: true },
    userShare: { max: 100 },
  },
  appgw: {
    product: 'App Gateway (AGIC)',
    ownerships: { managed: SUPPORTED, chart: SUPPORTED },
    managedNeedsSharedLayout: ONE_STABLE_SERVICE,
    hostRequired: true,
    staging: { by: 'path prefix', prefix: CANARY_PREFIX },
    userShare: { max: 0, why: 'routes by host and path only and cannot split traffic by percentage' },
  },
  gateway: {
    product: 'Gateway API',
    ownerships: {
      managed: SUPPORTED,
      chart: {
        supported: false,
        why: 'the task owns the HTTPRoute and switches production in one update of it. Set routingOwnership to managed; the chart then deploys just the app and its own Service.',
      },
    },
    hostRequired: false,
    staging: { by: 'header', cookie: false },
    userShare: { max: 100 },
  },
  trafficmanager: {
    product: 'Traffic Manager',
    ownerships: { managed: SUPPORTED, chart: SUPPORTED },
    hostRequired: false,
    staging: { by: 'own address' },
    userShare: { max: MAX_STAGING_PERCENT, why: 'production is the endpoint with the larger weight, so a larger share would make the staging slot production' },
  },
};

export const capabilitiesOf = (router: RouterKind): RouterCapabilities => CAPABILITIES[router];

export const supportedOwnerships = (router: RouterKind): RoutingOwnership[] =>
  (Object.keys(CAPABILITIES[router].ownerships) as RoutingOwnership[]).filter((o) => CAPABILITIES[router].ownerships[o].supported);

/** `a`, `a or b`, `a, b or c`. */
const orList = (words: string[]): string => (words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`);

/** Why `router` cannot work with this ownership in this layout (undefined: it can). One sentence, for inputs and createRouter alike. */
export function ownershipProblem(router: RouterKind, ownership: RoutingOwnership, layout: Layout): string | undefined {
  const c = CAPABILITIES[router];
  const support = c.ownerships[ownership];
  if (!support.supported) {
    return `Router '${router}' works with routingOwnership ${orList(supportedOwnerships(router).map((o) => `'${o}'`))} only: ${support.why}`;
  }
  if (ownership === 'managed' && layout === 'perSlot' && c.managedNeedsSharedLayout) {
    const others = ROUTER_KINDS.filter((r) => r !== router && CAPABILITIES[r].ownerships.managed.supported && !CAPABILITIES[r].managedNeedsSharedLayout);
    const chart = c.ownerships.chart.supported ? ', or routingOwnership chart' : '';
    return `Managed routing with router '${router}' needs namespaceLayout 'shared': ${c.managedNeedsSharedLayout}; use namespaceLayout shared, router ${orList(others)}${chart}.`;
  }
  return undefined;
}

/** The inputs a share of users comes from: the reader names the input it refuses. */
export type PercentInput = 'trafficPercent' | 'trafficSteps';

/**
 * Why `router` cannot send `percent` % of real users to the staging slot (undefined: it can; 0 % always
 * can). With `input`, the sentence names the input it refuses, as an InputError must.
 */
export function percentProblem(router: RouterKind, percent: number, input?: PercentInput): string | undefined {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) return `${percent} is not a whole percentage from 0 to 100.`;
  const c = CAPABILITIES[router];
  const { max, why } = c.userShare;
  if (percent <= max) return undefined;
  const steps = input === 'trafficSteps';
  if (max === 0) {
    const lead = input ? `Input '${input}' ${steps ? 'cannot be used' : 'must be 0'} with router '${router}': ` : '';
    const others = ROUTER_KINDS.filter((r) => CAPABILITIES[r].userShare.max > 0);
    return (
      `${lead}${c.product} ${why}, so no share of users can go to the staging slot: ${steps ? 'leave trafficSteps empty' : 'set trafficPercent to 0'} ` +
      `(testers still reach staging ${testersReach(c.staging)}), or use router ${orList(others)}.`
    );
  }
  const lead = input ? `Input '${input}' ${steps ? `has a step of ${percent} %` : `is ${percent}`} with router '${router}': ` : '';
  return `${lead}${c.product} can send at most ${max} % of users to the staging slot, not ${percent} %: ${why}. Use ${max} or less, and run BlueGreenOnSuccess to move every user.`;
}

/** "with the staging header", "on /canary", "on the slot's own address". */
export function testersReach(staging: StagingAccess): string {
  switch (staging.by) {
    case 'header':
      return `with the staging header${staging.cookie ? ' (or cookie)' : ''}`;
    case 'path prefix':
      return `on ${staging.prefix}`;
    case 'own address':
      return "on the slot's own address";
  }
}
