// Ingress routers (ingress-nginx, App Gateway) share the slot model: the flavour says what the Ingress
// objects look like; managed and chart-owned routing say who writes them.
//
// Managed routing: four objects owned by the task, created on the first deploy and kept for the life of
// the app. The primary Ingress always exists and always points at the stable `<name>-active` Service;
// production moves by patching that Service's selector (one write, no reload). Testers reach
// `<name>-preview` through the staging Ingress (header or /canary path); when nothing is staged the
// preview selects production, so the staging route never points at nothing.
import type { CheckTarget } from '../checks/http';
import type { V1Ingress, V1Service } from '@kubernetes/client-node';
import type { KubeObject, ObjectMeta } from '../kubernetes/client';
import { type Routing, type Slot, SLOTS, locate } from '../core/model';
import { Fence, type FenceFlavour, fenceIngress } from './fence';
import { percentProblem } from './capabilities';
import { assertOwnable, ensure, type OwnedObject, ownedMetadata, slotServicePorts, stableService } from './objects';
import { type Exposure, type Intent, type Router, type RouterContext, type Values, valuesOf } from './router';

/**
 * What every router in front of one public host has: a product name, how its convergence is observed
 * (the fence's no-endpoints answer, a bound, a fixed fallback wait), a staging route.
 */
export interface HostFlavour extends FenceFlavour {
  /** What a tester adds to reach staging: a header, or a path prefix. */
  stagingRoute(ctx: RouterContext): Pick<CheckTarget, 'headers' | 'pathPrefix'>;
}

export interface IngressFlavour extends HostFlavour {
  primaryIngress(ctx: RouterContext, metadata: ObjectMeta, service: string, port: number): KubeObject<V1Ingress>;
  stagingIngress(ctx: RouterContext, metadata: ObjectMeta, service: string, port: number, percent: number): KubeObject<V1Ingress>;
  stagingPercent(ingress: KubeObject<V1Ingress> | undefined): number;
}

/** The verbs that only depend on the host: checks go to https://<host>, settling observes a fence on it. */
export abstract class HostRouter {
  private readonly fence: Fence;

  constructor(
    protected readonly ctx: RouterContext,
    private readonly host: HostFlavour,
  ) {
    this.fence = new Fence(ctx, host, { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', build: fenceIngress(ctx) }, ctx.inputs.host);
  }

  async preflight(intent: Intent): Promise<void> {
    const problem = percentProblem(this.ctx.inputs.router, intent.percent ?? 0);
    if (problem) throw new Error(problem);
    await assertOwnable(this.ctx.kube, this.ctx.app, this.fence.refs());
  }

  /** Returns once the controller serves every routing write made before the call (see fence.ts). */
  async settle(what: string): Promise<void> {
    await this.fence.settle(what);
  }

  target(exposure: Exposure, slot: Slot): CheckTarget {
    const host = this.ctx.inputs.host ?? '';
    const route = exposure === 'production' ? { headers: {}, pathPrefix: '' } : this.host.stagingRoute(this.ctx);
    return { label: `${exposure} (slot ${slot})`, baseUrl: `https://${host}`, host, ...route };
  }

  async minimumDrainSeconds(): Promise<number> {
    return 0;
  }
}

/** The port the staging Ingress reaches a stable Service on (the Service forwards it to the pods). */
const servicePort = (service: KubeObject<V1Service> | undefined): number => service?.spec?.ports?.[0]?.port ?? 80;

export class ManagedIngressRouter extends HostRouter implements Router {
  readonly label: string;
  private readonly names;

  constructor(
    ctx: RouterContext,
    private readonly flavour: IngressFlavour,
  ) {
    super(ctx, flavour);
    this.label = `${flavour.product}, routing managed by the task`;
    const name = ctx.app.name;
    this.names = { active: `${name}-active`, preview: `${name}-preview`, primary: name, staging: `${name}-preview` };
  }

  private get namespace() {
    return this.ctx.app.namespace;
  }

  private slotOf(service: KubeObject<V1Service> | undefined): Slot | undefined {
    const release = service?.spec?.selector?.[this.ctx.inputs.podSelectorLabel];
    return SLOTS.find((s) => locate(this.ctx.app, s).release === release);
  }

  private async get(kind: 'Service', name: string): Promise<KubeObject<V1Service> | undefined>;
  private async get(kind: 'Ingress', name: string): Promise<KubeObject<V1Ingress> | undefined>;
  private async get(kind: 'Service' | 'Ingress', name: string) {
    const apiVersion = kind === 'Service' ? 'v1' : 'networking.k8s.io/v1';
    return this.ctx.kube.get({ apiVersion, kind, namespace: this.namespace, name });
  }

  async observe(): Promise<Routing> {
    const [active, preview, primary, staging] = await Promise.all([
      this.get('Service', this.names.active),
      this.get('Service', this.names.preview),
      this.get('Ingress', this.names.primary),
      this.get('Ingress', this.names.staging),
    ]);
    const production = primary ? this.slotOf(active) : undefined;
    const previewSlot = staging ? this.slotOf(preview) : undefined;
    const stagingSlot = previewSlot !== production ? previewSlot : undefined;
    return { production, staging: stagingSlot, stagingPercent: stagingSlot ? this.flavour.stagingPercent(staging) : 0 };
  }

  installValues(slot: Slot): Values {
    const keys = this.ctx.inputs.valueKeys;
    // The task owns the routing: a chart that can render its own Ingress must not add a second primary.
    return valuesOf([
      [keys.slot, slot],
      [keys.ingressEnabled, false],
    ]);
  }

  private async service(name: string, slot: Slot): Promise<{ object: KubeObject<V1Service>; port: number }> {
    const location = locate(this.ctx.app, slot);
    const ports = await slotServicePorts(this.ctx.kube, location, this.ctx.inputs.podSelectorLabel, this.ctx.inputs.servicePort);
    return { object: stableService(this.ctx.app, this.namespace, name, this.ctx.inputs.podSelectorLabel, location.release, ports), port: ports[0].port };
  }

  private stagingIngress(port: number, percent: number): KubeObject<V1Ingress> {
    return this.flavour.stagingIngress(this.ctx, ownedMetadata(this.ctx.app, this.namespace, this.names.staging), this.names.preview, port, percent);
  }

  async establish(slot: Slot): Promise<void> {
    const active = await this.service(this.names.active, slot);
    await this.write(active.object, `Service ${this.names.active} selects slot ${slot}`);
    const primary = this.flavour.primaryIngress(this.ctx, ownedMetadata(this.ctx.app, this.namespace, this.names.primary), this.names.active, active.port);
    await this.write(primary, `Ingress ${this.names.primary} routes ${this.ctx.inputs.host}${this.ctx.inputs.path} to ${this.names.active}`);
    if (!(await this.get('Service', this.names.preview))) {
      const preview = await this.service(this.names.preview, slot);
      await this.write(preview.object, `Service ${this.names.preview} selects slot ${slot} (nothing staged yet)`);
    }
    await this.write(this.stagingIngress(active.port, 0), `staging Ingress ${this.names.staging} for testers`);
  }

  async exposeStaging(slot: Slot): Promise<void> {
    const preview = await this.service(this.names.preview, slot);
    // Real users first stay away (0 %), then the preview moves: never the other way round.
    await this.write(this.stagingIngress(preview.port, 0), `staging Ingress ${this.names.staging}: testers only, 0 % of users`);
    await this.write(preview.object, `Service ${this.names.preview} selects slot ${slot}`);
  }

  override async preflight(intent: Intent): Promise<void> {
    await super.preflight(intent);
    const ref = (kind: 'Service' | 'Ingress', name: string) => ({ apiVersion: kind === 'Service' ? 'v1' : 'networking.k8s.io/v1', kind, namespace: this.namespace, name });
    const { active, preview, primary, staging } = this.names;
    await assertOwnable(this.ctx.kube, this.ctx.app, [ref('Service', active), ref('Service', preview), ref('Ingress', primary), ref('Ingress', staging)]);
  }

  async setStagingPercent(slot: Slot, percent: number): Promise<void> {
    await this.preflight({ percent });
    const preview = await this.get('Service', this.names.preview);
    if (this.slotOf(preview) !== slot) throw new Error(`Slot ${slot} is not the staged slot (${this.names.preview} selects ${this.slotOf(preview) ?? 'nothing'}); run Deploy first.`);
    await this.write(this.stagingIngress(servicePort(preview), percent), `staging Ingress ${this.names.staging}: ${percent} % of users`);
  }

  async switchProduction(to: Slot): Promise<void> {
    const active = await this.service(this.names.active, to);
    await this.write(active.object, `production switched: Service ${this.names.active} selects slot ${to}`);
  }

  async withdrawStaging(slot: Slot): Promise<void> {
    const routing = await this.observe();
    if (this.flavour.stagingPercent(await this.get('Ingress', this.names.staging)) > 0) {
      await this.write(this.stagingIngress(servicePort(await this.get('Service', this.names.preview)), 0), `staging Ingress ${this.names.staging}: 0 % of users`);
      await this.settle('users leave the staging slot');
    }
    if (routing.production && routing.production !== slot) {
      const preview = await this.service(this.names.preview, routing.production);
      await this.write(preview.object, `Service ${this.names.preview} selects production (slot ${routing.production}); slot ${slot} is unrouted`);
    }
  }

  async detach(slot: Slot): Promise<void> {
    const preview = await this.get('Service', this.names.preview);
    if (this.slotOf(preview) === slot) await this.withdrawStaging(slot);
  }

  /**
   * A settle after which this router wrote nothing needs no second fence: the data plane already shows
   * every routing write up to that settle (earlier tasks' included), and in managed routing only this
   * router writes the routes. The first settle of a task always fences.
   */
  override async settle(what: string): Promise<void> {
    if (this.settledSinceWrite) {
      this.ctx.log.info(`The data plane already shows every routing change (${what}): nothing was written since the last wait.`);
      return;
    }
    await super.settle(what);
    this.settledSinceWrite = true;
  }

  private settledSinceWrite = false;

  changed(): void {
    this.settledSinceWrite = false;
  }

  private async write(object: OwnedObject, what: string): Promise<void> {
    const wrote = await ensure(this.ctx.kube, this.ctx.app, object);
    if (wrote) this.settledSinceWrite = false;
    this.ctx.log.info(wrote ? `  ${what}` : `  ${what} (already so)`);
  }
}
