// Picks the router for the task's inputs. An unknown router is an error here, never a silent default.
import { chartAppGw, managedAppGw } from './appgw/router';
import { gatewayRouter } from './gateway/router';
import { managedNginx } from './nginx/router';
import type { Router, RouterContext } from './router';

export function createRouter(ctx: RouterContext): Router {
  const { router, ownership } = ctx.inputs;
  switch (router) {
    case 'nginx':
      // Chart-owned ingress-nginx is refused with the inputs (inputs/routing.ts): it cannot switch without a 404 window.
      if (ownership !== 'managed') throw new Error("Router 'nginx' works with routingOwnership 'managed' only.");
      return managedNginx(ctx);
    case 'appgw':
      return ownership === 'managed' ? managedAppGw(ctx) : chartAppGw(ctx);
    case 'gateway':
      return gatewayRouter(ctx);
    case 'trafficmanager':
      // Loaded only here: it brings the Azure SDK, which every other router's task start would pay for.
      return (require('./trafficmanager/router') as typeof import('./trafficmanager/router')).trafficManagerRouter(ctx);
    default:
      throw new Error(`Unknown router "${String(router)}": use nginx, appgw, gateway or trafficmanager.`);
  }
}

export type { Router, RouterContext, Values } from './router';
