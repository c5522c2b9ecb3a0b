// Gateway API router (App Gateway for Containers, NGINX Gateway Fabric, Envoy Gateway, Istio...): the
// task owns one HTTPRoute per app, a stable Service per slot and, with per-slot namespaces, the
// ReferenceGrant that lets the route reach the other namespace. Every change of who serves is one
// update of the HTTPRoute (see route.ts for its shape); the Gateway's controller reports in
// the route's status whether it took the change (Accepted, ResolvedRefs), and the data plane follows.
import type { CheckTarget } from '../../checks/http';
import type { GatewayInputs } from '../../inputs/types';
import { type KubeObject, KubeError, type ObjectMeta, describeRef } from '../../kubernetes/client';
import { type Routing, type Slot, locate } from '../../core/model';
import { Fence, type FenceFlavour } from '../fence';
import { assertOwnable, ensure, isOwned, type OwnedObject, type ServicePorts, isNonEmpty, servicePortOf, slotServicePorts, stableService } from '../objects';
import type { Gateway, HTTPRoute } from './models';
import type { V1Service } from '@kubernetes/client-node';
import {
  GATEWAY_API,
  HTTPROUTE_API,
  REFERENCEGRANT_API,
  type RoutePlan,
  advice,
  describeParent,
  desiredRoute,
  grantName,
  parentRefOf,
  preflightProblem,
  referenceGrant,
  referencedSlots,
  routeName,
  routeNamespace,
  routeVerdict,
  routingOf,
  slotServiceName,
} from './route';
import { type Exposure, type Intent, type Router, type RouterContext, type Values, valuesOf } from '../router';
import { capabilitiesOf, percentProblem } from '../capabilities';

const PRODUCT = capabilitiesOf('gateway').product;

/**
 * The Gateway's data plane, as the settle fence sees it: a route whose Service has no endpoint is
 * answered 500 (Envoy-based implementations without a valid backend, App Gateway for Containers) or
 * 503 (no healthy upstream).
 */
export const GATEWAY_FENCE: FenceFlavour = {
  product: "the Gateway's data plane",
  noEndpointStatuses: [500, 503],
  settleTimeoutSeconds: 300,
  defaultSettleSeconds: 5,
};
/** How long the Gateway's controller may take to report on a route change before the task gives up. */
const STATUS_TIMEOUT_SECONDS = 120;
const STATUS_POLL_MS = 500;

/** Routing managed by the task, the only ownership the Gateway API router has (capabilities.ts; createRouter picks it). */
export function gatewayRouter(ctx: RouterContext): Router {
  if (!ctx.inputs.gateway) throw new Error("Router 'gateway' needs the Gateway inputs (gatewayName, hostnames or host).");
  return new GatewayRouter(ctx, ctx.inputs.gateway);
}

export class GatewayRouter implements Router {
  readonly label: string;
  /** True once this process waited for the data plane after its last route write (see detach). */
  private settledSinceLastWrite = false;
  private readonly fence: Fence;

  constructor(
    private readonly ctx: RouterContext,
    private readonly gateway: GatewayInputs,
    fenceFlavour: FenceFlavour = GATEWAY_FENCE,
  ) {
    this.label = `${PRODUCT} HTTPRoute on ${describeParent(parentRefOf(gateway))}, routing managed by the task`;
    this.fence = new Fence(ctx, fenceFlavour, { apiVersion: HTTPROUTE_API, kind: 'HTTPRoute', build: (metadata, path, service, port) => fenceRoute(gateway, metadata, path, service, port) }, this.host());
  }

  /** The host name checks and the fence send: the host input, else the route's first concrete host name. */
  private host(): string | undefined {
    return this.ctx.inputs.host ?? this.gateway.hostnames.find((h) => !h.startsWith('*'));
  }

  private get app() {
    return this.ctx.app;
  }

  private get routeRef() {
    return { apiVersion: HTTPROUTE_API, kind: 'HTTPRoute', namespace: routeNamespace(this.app), name: routeName(this.app) };
  }

  private liveRoute(): Promise<KubeObject<HTTPRoute> | undefined> {
    return this.ctx.kube.get<HTTPRoute>(this.routeRef);
  }

  async observe(): Promise<Routing> {
    return routingOf(this.app, await this.liveRoute());
  }

  installValues(slot: Slot): Values {
    const keys = this.ctx.inputs.valueKeys;
    // The task owns the routing: a chart that can render its own Ingress must not publish the slot too.
    return valuesOf([
      [keys.slot, slot],
      [keys.ingressEnabled, false],
    ]);
  }

  async preflight(intent: Intent): Promise<void> {
    const refused = percentProblem('gateway', intent.percent ?? 0);
    if (refused) throw new Error(refused);
    const route = await this.liveRoute();
    if (route && !isOwned(route, this.app)) {
      throw new Error(`${describeRef(this.routeRef)} exists but was not created by the blue/green tasks for app ${this.app.name}; rename the app or remove that route. Nothing was changed.`);
    }
    await assertOwnable(this.ctx.kube, this.app, this.fence.refs());
    const problem = preflightProblem(route, this.gateway);
    if (problem) throw new Error(problem);
    if (!route) return this.checkGatewayExists();
    const verdict = routeVerdict(route, parentRefOf(this.gateway));
    if (verdict.state === 'refused' && verdict.condition === 'ResolvedRefs') await this.restoreBackends(route, `${verdict.reason}: ${verdict.message}`);
  }

  /**
   * A backend of the live route does not resolve (its Service or ReferenceGrant was removed behind the
   * task): the share of requests it gets fails. Restore the objects the task owns before going on, or
   * fail with the Gateway's reason.
   */
  private async restoreBackends(route: KubeObject<HTTPRoute>, reason: string): Promise<void> {
    const parent = describeParent(parentRefOf(this.gateway));
    this.ctx.log.warn(`${parent} reports ResolvedRefs False for ${describeRef(this.routeRef)} (${reason}): restoring the Services and ReferenceGrants the task owns.`);
    try {
      for (const slot of referencedSlots(this.app, route)) await this.backend(slot, false);
    } catch (err) {
      throw new Error(`${parent} cannot resolve the backends of ${describeRef(this.routeRef)}: ResolvedRefs is False (${reason}), and restoring them failed: ${(err as Error).message} Nothing else was changed.`);
    }
    await this.waitForVerdict();
  }

  /** Before the first route is written: a missing Gateway is a typo, said before anything is installed. */
  private async checkGatewayExists(): Promise<void> {
    const ref = { apiVersion: GATEWAY_API, kind: 'Gateway', namespace: this.gateway.namespace, name: this.gateway.name };
    let gateway: KubeObject<Gateway> | undefined;
    try {
      gateway = await this.ctx.kube.get<Gateway>(ref);
    } catch (err) {
      if (err instanceof KubeError && err.code === 403) {
        this.ctx.log.info(`  Cannot read ${describeRef(ref)} (forbidden): its controller's verdict on the route will tell.`);
        return;
      }
      if (/Unrecognized API version and kind/i.test((err as Error).message)) {
        throw new Error('The cluster does not serve the Gateway API (gateway.networking.k8s.io/v1): install a Gateway API implementation (e.g. App Gateway for Containers, NGINX Gateway Fabric) or use another router. Nothing was changed.');
      }
      throw err;
    }
    if (!gateway) throw new Error(`${describeRef(ref)} does not exist: check the inputs gatewayName and gatewayNamespace. Nothing was changed.`);
    const section = this.gateway.sectionName;
    const listeners = gateway.spec?.listeners ?? [];
    if (section && !listeners.some((l) => l.name === section)) {
      throw new Error(`${describeRef(ref)} has no listener named ${section} (it has ${listeners.map((l) => l.name).join(', ') || 'none'}): check the input gatewaySection. Nothing was changed.`);
    }
  }

  async establish(slot: Slot): Promise<void> {
    const ports = { [slot]: await this.backend(slot, true) };
    await this.writeRoute({ production: slot, percent: 0 }, ports, `production: slot ${slot}`);
  }

  async exposeStaging(slot: Slot): Promise<void> {
    const { production } = await this.observe();
    if (!production) throw new Error(`${describeRef(this.routeRef)} routes no production slot, so slot ${slot} cannot be staged beside it; run Deploy again to repair.`);
    if (production === slot) throw new Error(`Slot ${slot} serves production; it cannot be staged.`);
    const ports = { [production]: await this.backend(production, false), [slot]: await this.backend(slot, true) };
    await this.writeRoute({ production, staging: slot, percent: 0 }, ports, `testers reach slot ${slot}, every user stays on slot ${production}`);
    // The lifecycle does not settle after staging (testers' checks retry), but a refusal must fail Deploy
    // with the Gateway's reason rather than surface later as failing checks.
    await this.waitForVerdict();
  }

  async setStagingPercent(slot: Slot, percent: number): Promise<void> {
    const { production, staging } = await this.observe();
    if (!production || staging !== slot) throw new Error(`Slot ${slot} is not the staged slot (${describeRef(this.routeRef)} stages ${staging ?? 'nothing'}); run Deploy first.`);
    const ports = { [production]: await this.backend(production, false), [slot]: await this.backend(slot, false) };
    await this.writeRoute({ production, staging: slot, percent }, ports, `${percent} % of users to slot ${slot}, ${100 - percent} % to slot ${production}`);
  }

  async switchProduction(to: Slot): Promise<void> {
    const routing = await this.observe();
    // The header rule keeps its target, as the other routers' preview does: after a promotion it points
    // at the new production (nothing staged); after a roll-back it still reaches the slot just demoted.
    const tester = routing.staging ?? routing.production;
    const staging = tester && tester !== to ? tester : undefined;
    const ports: Partial<Record<Slot, number>> = { [to]: await this.backend(to, false) };
    if (staging) ports[staging] = await this.backend(staging, false);
    await this.writeRoute({ production: to, staging, percent: 0 }, ports, `production switched to slot ${to}${staging ? `; testers still reach slot ${staging}` : ''}`);
  }

  async withdrawStaging(slot: Slot): Promise<void> {
    const route = await this.liveRoute();
    const { production } = routingOf(this.app, route);
    if (production === slot) {
      this.ctx.log.info(`  Slot ${slot} serves production: it stays routed.`);
      return;
    }
    if (!referencedSlots(this.app, route).includes(slot)) {
      this.ctx.log.info(`  ${describeRef(this.routeRef)} does not route to slot ${slot} (already so)`);
      return;
    }
    if (!production) throw new Error(`${describeRef(this.routeRef)} routes no production slot, so slot ${slot} cannot be taken out without leaving users with nothing; run Deploy to repair.`);
    // Users and testers leave in the same update: one route, applied atomically by the Gateway.
    await this.writeRoute({ production, percent: 0 }, { [production]: await this.backend(production, false) }, `slot ${slot} unrouted: users and testers go to slot ${production}`);
    await this.settle(`slot ${slot} leaves the route`);
  }

  async detach(slot: Slot): Promise<void> {
    const route = await this.liveRoute();
    if (routingOf(this.app, route).production === slot) {
      // Only reached when the production slot holds a broken release that Deploy replaces in place: the
      // route keeps pointing at the slot's stable Service, which selects the new release's pods.
      this.ctx.log.warn(`Slot ${slot} is production in ${describeRef(this.routeRef)}; the route keeps it while its release is replaced.`);
      return;
    }
    if (referencedSlots(this.app, route).includes(slot)) await this.withdrawStaging(slot);
    // The route no longer names the slot, but a task that died right after that write never saw the data
    // plane converge: wait once in this process before the slot's pods go.
    else if (route && !this.settledSinceLastWrite) await this.settle(`the data plane no longer sends anything to slot ${slot}`);
    await this.removeBackend(slot);
  }

  /** The slot's stable Service and grant go with its release; the next Deploy into the slot makes them again. */
  private async removeBackend(slot: Slot): Promise<void> {
    const namespace = locate(this.app, slot).namespace;
    const refs = [{ apiVersion: 'v1', kind: 'Service', namespace, name: slotServiceName(this.app, slot) }];
    if (namespace !== routeNamespace(this.app)) refs.unshift({ apiVersion: REFERENCEGRANT_API, kind: 'ReferenceGrant', namespace, name: grantName(this.app) });
    for (const ref of refs) {
      const live = await this.ctx.kube.get(ref);
      if (!live || !isOwned(live, this.app)) continue;
      await this.ctx.kube.delete(ref);
      this.ctx.log.info(`  ${describeRef(ref)} removed with slot ${slot}`);
    }
  }

  /** The Gateway accepts the route (its status), then its data plane serves it (the fence, fence.ts). */
  async settle(what: string): Promise<void> {
    await this.waitForVerdict();
    await this.fence.settle(what);
    this.settledSinceLastWrite = true;
  }

  /** Polls the route's status until its Gateway accepts the current generation; refusal or silence fails. */
  private async waitForVerdict(): Promise<void> {
    const parent = parentRefOf(this.gateway);
    const started = Date.now();
    let lastReport = started;
    for (;;) {
      const route = await this.liveRoute();
      if (!route) return;
      const verdict = routeVerdict(route, parent);
      const waited = Math.round((Date.now() - started) / 1000);
      if (verdict.state === 'accepted') {
        this.ctx.log.info(`  ${describeParent(parent)} accepts ${describeRef(this.routeRef)} (generation ${route.metadata.generation})${waited ? ` after ${waited} s` : ''}`);
        return;
      }
      if (verdict.state === 'refused') {
        const routed = routingOf(this.app, route);
        throw new Error(
          `${describeParent(parent)} refuses ${describeRef(this.routeRef)}: ${verdict.condition} is False (${verdict.reason}: ${verdict.message}). ${advice(verdict.reason)} ` +
            `The route asks for production on slot ${routed.production ?? '(none)'}${routed.staging ? `, staging on slot ${routed.staging}` : ''}.`,
        );
      }
      if (Date.now() - started > STATUS_TIMEOUT_SECONDS * 1000) {
        throw new Error(
          `No Gateway controller accepted ${describeRef(this.routeRef)} within ${STATUS_TIMEOUT_SECONDS} s (${verdict.why}): check that ${describeParent(parent)} exists and its controller runs (kubectl describe httproute -n ${routeNamespace(this.app)} ${routeName(this.app)}).`,
        );
      }
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        this.ctx.log.info(`  waiting for ${describeParent(parent)} to report on the route: ${verdict.why} (${waited} s)`);
      }
      await new Promise((r) => setTimeout(r, STATUS_POLL_MS));
    }
  }

  target(exposure: Exposure, slot: Slot): CheckTarget {
    const host = this.host();
    if (!host) throw new Error("HTTP checks need a concrete host name to send, but the route's host names are all wildcards: set the host input.");
    const staging = exposure === 'staging';
    return {
      label: `${exposure} (slot ${slot})`,
      baseUrl: `https://${host}`,
      host,
      pathPrefix: '',
      headers: staging ? { [this.ctx.inputs.stagingHeader]: this.ctx.inputs.stagingHeaderValue } : {},
    };
  }

  async minimumDrainSeconds(): Promise<number> {
    return 0;
  }

  /**
   * The slot's stable Service (and ReferenceGrant) exist and match; returns the port the route names.
   * `fromChart`: take the ports from the release's own Service (a slot just installed); otherwise keep
   * the Service as it is, so re-routing a slot never depends on its chart.
   */
  private async backend(slot: Slot, fromChart: boolean): Promise<number> {
    const location = locate(this.app, slot);
    const name = slotServiceName(this.app, slot);
    const { podSelectorLabel, servicePort } = this.ctx.inputs;
    const live = fromChart ? undefined : await this.ctx.kube.get<V1Service>({ apiVersion: 'v1', kind: 'Service', namespace: location.namespace, name });
    const livePorts = live && isOwned(live, this.app) ? (live.spec?.ports ?? []).map(servicePortOf) : [];
    const ports: ServicePorts = isNonEmpty(livePorts) ? livePorts : await slotServicePorts(this.ctx.kube, location, podSelectorLabel, servicePort);
    await this.write(stableService(this.app, location.namespace, name, podSelectorLabel, location.release, ports), `Service ${location.namespace}/${name} selects the pods of ${location.release}`, true);
    if (location.namespace !== routeNamespace(this.app)) {
      await this.write(referenceGrant(this.app, slot), `ReferenceGrant in ${location.namespace} lets the route in ${routeNamespace(this.app)} reach Service ${name}`, true);
    }
    return ports[0].port;
  }

  private async writeRoute(plan: RoutePlan, ports: Partial<Record<Slot, number>>, what: string): Promise<void> {
    const route = desiredRoute(this.app, this.gateway, { path: this.ctx.inputs.path, header: this.ctx.inputs.stagingHeader, headerValue: this.ctx.inputs.stagingHeaderValue }, plan, ports);
    if (await this.write(route, `${describeRef(this.routeRef)}: ${what}`)) this.settledSinceLastWrite = false;
  }

  /** `quiet`: say nothing when the object already matched (the slot Services and grants, checked on every route write). */
  private async write(object: OwnedObject, what: string, quiet = false): Promise<boolean> {
    const wrote = await ensure(this.ctx.kube, this.app, object);
    if (wrote || !quiet) this.ctx.log.info(wrote ? `  ${what}` : `  ${what} (already so)`);
    return wrote;
  }
}

/** The fence as its own HTTPRoute on the app's Gateway and host names: one Exact path to the fence Service. */
function fenceRoute(gateway: GatewayInputs, metadata: ObjectMeta, path: string, service: string, port: number): KubeObject<HTTPRoute> {
  return {
    apiVersion: HTTPROUTE_API,
    kind: 'HTTPRoute',
    metadata,
    spec: {
      parentRefs: [parentRefOf(gateway)],
      hostnames: gateway.hostnames,
      rules: [{ matches: [{ path: { type: 'Exact', value: path } }], backendRefs: [{ name: service, port }] }],
    },
  };
}
