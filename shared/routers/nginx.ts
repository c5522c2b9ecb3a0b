// ingress-nginx: testers reach staging with a header (canary-by-header), users by canary-weight.
// Facts that shape this file (../../../shared/notes/routing-semantics.md): a canary is an alternative
// backend of the primary Ingress with the same host+path; with the primary gone the host answers 404,
// even at weight 100; weight and selector changes apply without a reload.
import type { KubeObject } from '../kube';
import type { Slot } from '../model';
import { type ChartFlavour, ChartIngressRouter } from './chart';
import { type IngressFlavour, ManagedIngressRouter } from './ingress';
import type { RouterContext } from './router';

const A = 'nginx.ingress.kubernetes.io/';

function rule(ctx: RouterContext, service: string, port: number) {
  const { host, path, tlsSecret } = ctx.inputs;
  return {
    ingressClassName: ctx.inputs.ingressClass,
    ...(tlsSecret ? { tls: [{ hosts: [host], secretName: tlsSecret }] } : {}),
    rules: [{ host, http: { paths: [{ path, pathType: 'Prefix', backend: { service: { name: service, port: { number: port } } } }] } }],
  };
}

export function canaryAnnotations(ctx: RouterContext, percent: number): Record<string, string> {
  const { stagingHeader, stagingHeaderValue, stagingCookie } = ctx.inputs;
  return {
    [`${A}canary`]: 'true',
    [`${A}canary-by-header`]: stagingHeader,
    // `always` is the controller's own trigger value; any other value needs canary-by-header-value.
    ...(stagingHeaderValue !== 'always' ? { [`${A}canary-by-header-value`]: stagingHeaderValue } : {}),
    ...(stagingCookie ? { [`${A}canary-by-cookie`]: stagingCookie } : {}),
    [`${A}canary-weight`]: String(percent),
  };
}

const stagingPercent = (ingress: KubeObject | undefined) => Number(ingress?.metadata.annotations?.[`${A}canary-weight`] ?? 0) || 0;

const nginxFlavour: IngressFlavour = {
  product: 'ingress-nginx',
  defaultSettleSeconds: 5,
  primaryIngress: (ctx, metadata, service, port) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata, spec: rule(ctx, service, port) }),
  stagingIngress: (ctx, metadata, service, port, percent) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { ...metadata, annotations: canaryAnnotations(ctx, percent) },
    spec: rule(ctx, service, port),
  }),
  stagingPercent,
  stagingRoute: (ctx) => ({ headers: { [ctx.inputs.stagingHeader]: ctx.inputs.stagingHeaderValue }, pathPrefix: '' }),
};

const nginxChartFlavour: ChartFlavour = {
  product: 'ingress-nginx',
  defaultSettleSeconds: 5,
  isStaging: (ingress) => ingress.metadata.annotations?.[`${A}canary`] === 'true',
  stagingPercent,
  stagingRoute: nginxFlavour.stagingRoute,
  // ingress-nginx cannot swap two primary Ingresses without a window: its admission webhook refuses a
  // second primary for the host, and with the old primary deleted the host has no server (404) until
  // the new one is rendered and nginx reloads. All users move first (weight 100, no reload), so the
  // window only costs the requests that arrive between the last two renders. Managed routing has none.
  async switchProduction(router: ChartIngressRouter, to: Slot, from: Slot) {
    await router.render(to, 'staging', 100, 'all users to the new slot through the canary');
    await router.settle('users move to the new slot');
    await router.render(from, 'unrouted', 0, 'the old primary goes (404 window opens)');
    await router.render(to, 'production', 0, 'the new primary (404 window closes)');
  },
};

export const managedNginx = (ctx: RouterContext) => new ManagedIngressRouter(ctx, nginxFlavour);
export const chartNginx = (ctx: RouterContext) => new ChartIngressRouter(ctx, nginxChartFlavour);
