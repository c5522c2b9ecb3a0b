import type { Router, RouterContext } from './router';

export function trafficManagerRouter(_ctx: RouterContext): Router {
  throw new Error('The Traffic Manager router is not available in this version of the extension.');
}
