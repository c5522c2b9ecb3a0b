import type { Router, RouterContext } from './router';

export function gatewayRouter(_ctx: RouterContext): Router {
  throw new Error('The Gateway API router is not available in this version of the extension.');
}
