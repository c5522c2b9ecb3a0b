// Picks the router for the task's inputs: one implementation per (router, routing ownership) that
// capabilities.ts declares supported, and nowhere else is ownership decided. An unknown router or an
// impossible combination is an error here, never a silent default (the inputs refuse them first).
import type { RouterKind, RoutingOwnership } from '../core/model';
import { chartAppGw, managedAppGw } from './appgw/router';
import { ownershipProblem } from './capabilities';
import { gatewayRouter } from './gateway/router';
import { managedNginx } from './nginx/router';
import type { Router, RouterContext } from './router';

type Factory = (ctx: RouterContext) => Router;

// Loaded only when picked: it brings the Azure SDK, which every other router's task start would pay for.
const trafficManager = () => require('./trafficmanager/router') as typeof import('./trafficmanager/router');

/** The implementations; test/unit/capabilities.test.ts checks the keys are exactly the supported ownerships. */
export const ROUTER_FACTORIES: Readonly<Record<RouterKind, Partial<Record<RoutingOwnership, Factory>>>> = {
  nginx: { managed: managedNginx },
  appgw: { managed: managedAppGw, chart: chartAppGw },
  gateway: { managed: gatewayRouter },
  trafficmanager: { managed: (ctx) => trafficManager().managedTrafficManager(ctx), chart: (ctx) => trafficManager().chartTrafficManager(ctx) },
};

export function createRouter(ctx: RouterContext): Router {
  const { router, ownership } = ctx.inputs;
  const factories = Object.hasOwn(ROUTER_FACTORIES, router) ? ROUTER_FACTORIES[router] : undefined;
  if (!factories) throw new Error(`Unknown router "${String(router)}": use ${Object.keys(ROUTER_FACTORIES).join(', ')}.`);
  const problem = ownershipProblem(router, ownership, ctx.app.layout);
  if (problem) throw new Error(problem);
  const make = factories[ownership];
  if (!make) throw new Error(`Router '${router}' has no implementation for routingOwnership '${ownership}'.`);
  return make(ctx);
}

export type { Router, RouterContext, Values } from './router';
