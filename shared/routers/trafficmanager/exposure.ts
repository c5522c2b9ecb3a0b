// Each slot on its own public address, as Traffic Manager needs it: a LoadBalancer Service per slot,
// created by the task (managed routing) or rendered by the chart from the classic values (chart
// routing), with the Azure DNS label and, when given, a static IP or an existing Public IP.
import type { V1Service } from '@kubernetes/client-node';
import type { KubeObject } from '../../kubernetes/client';
import { type Slot, locate } from '../../core/model';
import { ensure, isOwned, ownedMetadata, type ServicePort, slotServicePorts } from '../objects';
import { type RouterContext, type Values, valuesOf } from '../router';

const AZ = 'service.beta.kubernetes.io/';
export const DNS_LABEL_ANNOTATION = `${AZ}azure-dns-label-name`;
export const STATIC_IP_ANNOTATION = `${AZ}azure-load-balancer-ipv4`;
export const PIP_NAME_ANNOTATION = `${AZ}azure-pip-name`;
export const PIP_GROUP_ANNOTATION = `${AZ}azure-load-balancer-resource-group`;

/** How long a new load balancer may take to get its public address (Azure: typically under a minute). */
const ADDRESS_WAIT_SECONDS = 300;

export interface SlotExposure {
  label: string;
  staticIp?: string;
  /** An existing Public IP the load balancer must use (Azure endpoints). */
  publicIp?: { name: string; resourceGroup: string };
}

/**
 * Who makes each slot's LoadBalancer Service, the one thing routing ownership changes for Traffic Manager
 * (the endpoints are always written through ARM). createRouter picks one by the routingOwnership input.
 */
export interface LoadBalancers {
  /** For the router's label. */
  readonly label: string;
  /** The values a slot's release is installed with; `exposure` is read only when the chart needs it. */
  installValues(ctx: RouterContext, slot: Slot, exposure: () => SlotExposure): Values;
  /** The slot's LoadBalancer Service, once it has its public address. */
  ensure(ctx: RouterContext, slot: Slot, exposure: SlotExposure): Promise<KubeObject>;
  /** Before the slot's release is uninstalled. */
  remove(ctx: RouterContext, slot: Slot): Promise<void>;
}

export const TASK_LOAD_BALANCERS: LoadBalancers = {
  label: 'load balancers managed by the task',
  installValues: (ctx, slot) => valuesOf([[ctx.inputs.valueKeys.slot, slot], [ctx.inputs.valueKeys.ingressEnabled, false]]),
  ensure: (ctx, slot, exposure) => ensureLoadBalancer(ctx, slot, exposure),
  remove: (ctx, slot) => deleteLoadBalancer(ctx, slot),
};

export const CHART_LOAD_BALANCERS: LoadBalancers = {
  label: 'load balancers rendered by the chart',
  installValues(ctx, slot, exposure) {
    const keys = ctx.inputs.valueKeys;
    const { label, staticIp } = exposure();
    return valuesOf([
      [keys.slot, slot],
      [keys.ingressEnabled, false],
      [keys.serviceType, 'LoadBalancer'],
      [keys.serviceDns, label],
      [keys.serviceIp, staticIp ?? ''],
    ]);
  },
  ensure: (ctx, slot) => chartLoadBalancer(ctx, slot),
  // The Service goes with the slot's release.
  remove: async () => undefined,
};

export const loadBalancerName = (app: string, slot: Slot) => `${app}-${slot}-lb`;

/** The address a LoadBalancer Service got: its DNS name when the platform reports one, else its IP. */
export function addressOf(service: KubeObject<V1Service> | undefined): string | undefined {
  const ingress = service?.status?.loadBalancer?.ingress ?? [];
  return ingress.find((i) => i.hostname)?.hostname?.toLowerCase() ?? ingress.find((i) => i.ip)?.ip;
}

export function loadBalancerService(ctx: RouterContext, slot: Slot, exposure: SlotExposure, ports: ServicePort[]): KubeObject<V1Service> {
  const location = locate(ctx.app, slot);
  const annotations: Record<string, string> = { [DNS_LABEL_ANNOTATION]: exposure.label };
  if (exposure.staticIp) annotations[STATIC_IP_ANNOTATION] = exposure.staticIp;
  if (exposure.publicIp) {
    annotations[PIP_NAME_ANNOTATION] = exposure.publicIp.name;
    annotations[PIP_GROUP_ANNOTATION] = exposure.publicIp.resourceGroup;
  }
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMetadata(ctx.app, location.namespace, loadBalancerName(ctx.app.name, slot), annotations),
    spec: {
      type: 'LoadBalancer',
      selector: { [ctx.inputs.podSelectorLabel]: location.release },
      ports: ports.map((p) => ({ name: p.name ?? 'http', port: p.port, targetPort: p.targetPort, protocol: p.protocol ?? 'TCP' })),
    },
  };
}

/** Managed routing: the task's LoadBalancer Service for the slot, with its public address. */
export async function ensureLoadBalancer(ctx: RouterContext, slot: Slot, exposure: SlotExposure): Promise<KubeObject<V1Service>> {
  const location = locate(ctx.app, slot);
  const ports = await slotServicePorts(ctx.kube, location, ctx.inputs.podSelectorLabel, ctx.inputs.servicePort);
  const want = loadBalancerService(ctx, slot, exposure, ports);
  const wrote = await ensure(ctx.kube, ctx.app, want);
  const what = `LoadBalancer Service ${location.namespace}/${want.metadata.name} (DNS label ${exposure.label}${exposure.staticIp ? `, IP ${exposure.staticIp}` : ''}) selects slot ${slot}`;
  ctx.log.info(wrote ? `  ${what}` : `  ${what} (already so)`);
  return waitForAddress(ctx, location.namespace, want.metadata.name);
}

/** Chart routing: the LoadBalancer Service the slot's release rendered from the service values. */
export async function chartLoadBalancer(ctx: RouterContext, slot: Slot): Promise<KubeObject<V1Service>> {
  const location = locate(ctx.app, slot);
  const label = ctx.inputs.podSelectorLabel;
  const services = await ctx.kube.list<V1Service>('v1', 'Service', location.namespace);
  const rendered = services.find(
    (s) => s.spec?.type === 'LoadBalancer' && (s.spec?.selector?.[label] === location.release || s.metadata.labels?.[label] === location.release),
  );
  if (!rendered) {
    const keys = ctx.inputs.valueKeys;
    throw new Error(
      `Release ${location.release} in namespace ${location.namespace} has no LoadBalancer Service, so Traffic Manager cannot reach slot ${slot}. ` +
        `With chart-owned routing the chart must render its Service from the values ${keys.serviceType}, ${keys.serviceDns} and ${keys.serviceIp} (see the valueKeys input), or use routing managed by the task.`,
    );
  }
  return waitForAddress(ctx, location.namespace, rendered.metadata.name);
}

async function waitForAddress(ctx: RouterContext, namespace: string, name: string): Promise<KubeObject<V1Service>> {
  const started = Date.now();
  let reported = started;
  for (;;) {
    const service = await ctx.kube.get<V1Service>({ apiVersion: 'v1', kind: 'Service', namespace, name });
    if (!service) throw new Error(`LoadBalancer Service ${namespace}/${name} disappeared while waiting for its public address.`);
    if (addressOf(service)) return service;
    const waited = (Date.now() - started) / 1000;
    if (waited > ADDRESS_WAIT_SECONDS) {
      throw new Error(
        `LoadBalancer Service ${namespace}/${name} got no public address within ${ADDRESS_WAIT_SECONDS} s; check its events (kubectl describe service -n ${namespace} ${name}): a static IP or Public IP it cannot use, or a quota.`,
      );
    }
    if (Date.now() - reported >= 15_000) {
      reported = Date.now();
      ctx.log.info(`  waiting for the public address of ${namespace}/${name} (${Math.round(waited)} s)`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Managed routing: the slot's LoadBalancer Service goes (only if the task made it). */
export async function deleteLoadBalancer(ctx: RouterContext, slot: Slot): Promise<void> {
  const namespace = locate(ctx.app, slot).namespace;
  const ref = { apiVersion: 'v1', kind: 'Service', namespace, name: loadBalancerName(ctx.app.name, slot) };
  const service = await ctx.kube.get(ref);
  if (!service || !isOwned(service, ctx.app)) return;
  await ctx.kube.delete(ref);
  ctx.log.info(`  LoadBalancer Service ${namespace}/${ref.name} deleted: slot ${slot} has no public address any more`);
}
