// Application Gateway Ingress Controller: host and path routing only. Testers reach staging on
// `/canary/...` (a second Ingress whose backend-path-prefix strips the prefix); there is no header,
// cookie or weight routing, so a percentage of users is impossible (capabilities.ts). Every change is an ARM update of
// the gateway (tens of seconds): settling observes a fence (fence.ts), and old pods keep serving through the update.
import type { V1Ingress } from '@kubernetes/client-node';
import type { KubeObject, ObjectMeta } from '../../kubernetes/client';
import { CANARY_PREFIX } from '../capabilities';
import type { Slot } from '../../core/model';
import { type ChartFlavour, ChartIngressRouter } from '../chart';
import { type IngressFlavour, ManagedIngressRouter } from '../ingress';
import { ingressHost } from '../fence';
import type { RouterContext } from '../router';

const A = 'appgw.ingress.kubernetes.io/';

const withSlash = (path: string) => (path.endsWith('/') ? path : `${path}/`);

function drainAnnotations(): Record<string, string> {
  // Draining applies to the backend being retired as much as to the new one.
  return { [`${A}connection-draining`]: 'true', [`${A}connection-draining-timeout`]: '30' };
}

function ingress(ctx: RouterContext, metadata: ObjectMeta, service: string, port: number, path: string, pathType: string, annotations: Record<string, string>): KubeObject<V1Ingress> {
  const { tlsSecret } = ctx.inputs;
  const host = ingressHost(ctx);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { ...metadata, annotations },
    spec: {
      ingressClassName: ctx.inputs.ingressClass,
      ...(tlsSecret ? { tls: [{ hosts: [host], secretName: tlsSecret }] } : {}),
      rules: [{ host, http: { paths: [{ path, pathType, backend: { service: { name: service, port: { number: port } } } }] } }],
    },
  };
}

const isCanaryPath = (i: KubeObject<V1Ingress>) => (i.spec?.rules ?? []).some((r) => (r.http?.paths ?? []).some((p) => p.path?.startsWith(CANARY_PREFIX)));

export const appgwFlavour: IngressFlavour = {
  product: 'App Gateway (AGIC)',
  defaultSettleSeconds: 30,
  // A path whose backend pool is empty: Application Gateway answers 502 itself.
  noEndpointStatuses: [502],
  settleTimeoutSeconds: 600,
  primaryIngress: (ctx, metadata, service, port) => ingress(ctx, metadata, service, port, ctx.inputs.path, 'Prefix', drainAnnotations()),
  // `/canary/*` ImplementationSpecific: Prefix `/canary` would also match `/canaryX`.
  stagingIngress: (ctx, metadata, service, port) =>
    ingress(ctx, metadata, service, port, `${CANARY_PREFIX}${withSlash(ctx.inputs.path)}*`, 'ImplementationSpecific', {
      ...drainAnnotations(),
      [`${A}backend-path-prefix`]: withSlash(ctx.inputs.path),
    }),
  stagingPercent: () => 0,
  stagingRoute: () => ({ headers: {}, pathPrefix: CANARY_PREFIX }),
};

const appgwChartFlavour: ChartFlavour = {
  product: 'App Gateway (AGIC)',
  defaultSettleSeconds: 30,
  // A path whose backend pool is empty: Application Gateway answers 502 itself.
  noEndpointStatuses: [502],
  settleTimeoutSeconds: 600,
  isStaging: isCanaryPath,
  stagingPercent: () => 0,
  stagingRoute: appgwFlavour.stagingRoute,
  // Both slots may claim the host for a moment: App Gateway keeps the older rule until the old slot's
  // Ingress goes, and the old pods keep answering until the gateway's update lands.
  async switchProduction(router: ChartIngressRouter, to: Slot, from: Slot) {
    await router.render(to, 'production', 0, 'the new slot claims the production path');
    await router.render(from, 'unrouted', 0, 'the old slot gives it up');
  },
};

export const managedAppGw = (ctx: RouterContext) => new ManagedIngressRouter(ctx, appgwFlavour);
export const chartAppGw = (ctx: RouterContext) => new ChartIngressRouter(ctx, appgwChartFlavour);
