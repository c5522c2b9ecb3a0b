// ingress-nginx: testers reach staging with a header (canary-by-header), users by canary-weight.
// Facts that shape this file: a canary is an alternative backend of the primary Ingress with the same
// host+path; with the primary gone the host answers 404, even at weight 100; weight and selector changes
// apply without a reload. So routing is managed only (capabilities.ts refuses chart-owned nginx): two
// primary Ingresses of one host cannot be swapped without a 404 window.
import type { V1Ingress } from '@kubernetes/client-node';
import type { KubeObject } from '../../kubernetes/client';
import { type IngressFlavour, ManagedIngressRouter } from '../ingress';
import { ingressHost } from '../fence';
import type { RouterContext } from '../router';

const A = 'nginx.ingress.kubernetes.io/';

function rule(ctx: RouterContext, service: string, port: number) {
  const { path, tlsSecret } = ctx.inputs;
  const host = ingressHost(ctx);
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

const stagingPercent = (ingress: KubeObject<V1Ingress> | undefined) => Number(ingress?.metadata.annotations?.[`${A}canary-weight`] ?? 0) || 0;

export const nginxFlavour: IngressFlavour = {
  product: 'ingress-nginx',
  defaultSettleSeconds: 5,
  // A location whose Service has no endpoint: ingress-nginx answers 503 itself.
  noEndpointStatuses: [503],
  settleTimeoutSeconds: 300,
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

export const managedNginx = (ctx: RouterContext) => new ManagedIngressRouter(ctx, nginxFlavour);
