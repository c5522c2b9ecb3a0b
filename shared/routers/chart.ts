// Chart-owned routing (the classic scripts' model): each slot's chart renders its own Ingress from
// values the task sets; the router reads the rendered Ingresses to know who serves, and changes
// routing by re-rendering a slot with other values through the SlotRenderer port (core/rendering.ts).
import type { V1Ingress } from '@kubernetes/client-node';
import type { KubeObject } from '../kubernetes/client';
import { type Routing, type Slot, SLOTS, locate } from '../core/model';
import { type HostFlavour, HostRouter } from './ingress';
import { type Exposure, type Router, type RouterContext, type Values, valuesOf } from './router';

/** What a controller needs when the charts render the routing (App Gateway only: chart-owned ingress-nginx is refused). */
export interface ChartFlavour extends HostFlavour {
  /** Is this rendered Ingress the slot's staging route (canary / `/canary` path)? */
  isStaging(ingress: KubeObject<V1Ingress>): boolean;
  stagingPercent(ingress: KubeObject<V1Ingress>): number;
  /** The ordered re-renders that move production from `from` to `to`. */
  switchProduction(router: ChartIngressRouter, to: Slot, from: Slot): Promise<void>;
}

const RELEASE_ANNOTATION = 'meta.helm.sh/release-name';

export class ChartIngressRouter extends HostRouter implements Router {
  readonly label: string;

  constructor(
    ctx: RouterContext,
    private readonly flavour: ChartFlavour,
  ) {
    super(ctx, flavour);
    this.label = `${flavour.product}, routing rendered by the chart`;
  }

  /** The slot's rendered Ingresses for our host, oldest first (the controllers' tie-break). */
  private async ingressesOf(slot: Slot): Promise<Array<KubeObject<V1Ingress>>> {
    const location = locate(this.ctx.app, slot);
    const all = await this.ctx.kube.list<V1Ingress>('networking.k8s.io/v1', 'Ingress', location.namespace);
    return all
      .filter((i) => i.metadata.annotations?.[RELEASE_ANNOTATION] === location.release)
      .filter((i) => !this.ctx.inputs.host || (i.spec?.rules ?? []).some((r) => r.host === this.ctx.inputs.host));
  }

  async observe(): Promise<Routing> {
    const rendered = await Promise.all(SLOTS.map(async (slot) => ({ slot, ingresses: await this.ingressesOf(slot) })));
    const primaries = rendered
      .flatMap(({ slot, ingresses }) => ingresses.filter((i) => !this.flavour.isStaging(i)).map((i) => ({ slot, created: String(i.metadata.creationTimestamp ?? '') })))
      .sort((a, b) => a.created.localeCompare(b.created));
    const production = primaries[0]?.slot;
    const staged = rendered.find(({ slot, ingresses }) => slot !== production && ingresses.some((i) => this.flavour.isStaging(i)));
    const stagingIngress = staged?.ingresses.find((i) => this.flavour.isStaging(i));
    return { production, staging: staged?.slot, stagingPercent: stagingIngress ? this.flavour.stagingPercent(stagingIngress) : 0 };
  }

  /** The routing values of a slot; `percent` only matters for staging. */
  routingValues(slot: Slot, exposure: Exposure | 'unrouted', percent = 0): Values {
    const { valueKeys: keys, host, ingressClass, stagingHeader, stagingHeaderValue } = this.ctx.inputs;
    if (exposure === 'unrouted') return valuesOf([[keys.slot, slot], [keys.ingressEnabled, false]]);
    return valuesOf([
      [keys.slot, slot],
      [keys.ingressEnabled, true],
      [keys.ingressClass, ingressClass],
      [keys.host, host],
      [keys.canary, exposure === 'staging'],
      [keys.weight, exposure === 'staging' ? percent : 0],
      [keys.canaryHeader, stagingHeader],
      [keys.canaryHeaderValue, stagingHeaderValue],
    ]);
  }

  installValues(slot: Slot, exposure: Exposure): Values {
    return this.routingValues(slot, exposure);
  }

  async render(slot: Slot, exposure: Exposure | 'unrouted', percent = 0, why = ''): Promise<void> {
    this.ctx.log.info(`  re-rendering slot ${slot} as ${exposure}${exposure === 'staging' ? ` (${percent} % of users)` : ''}${why ? `: ${why}` : ''}`);
    // Only a task that changes routing has a renderer; reading who serves needs none.
    if (!this.ctx.renderer) throw new Error('Chart-owned routing needs a slot renderer to change a route (helm re-renders the slot).');
    await this.ctx.renderer.render(slot, this.routingValues(slot, exposure, percent));
  }

  async establish(slot: Slot): Promise<void> {
    const routing = await this.observe();
    if (routing.production !== slot) await this.render(slot, 'production');
  }

  async exposeStaging(slot: Slot): Promise<void> {
    const routing = await this.observe();
    if (routing.staging !== slot || routing.stagingPercent !== 0) await this.render(slot, 'staging', 0);
  }

  async setStagingPercent(slot: Slot, percent: number): Promise<void> {
    await this.preflight({ percent });
    await this.render(slot, 'staging', percent);
  }

  async switchProduction(to: Slot, from: Slot | undefined): Promise<void> {
    if (!from) return this.render(to, 'production', 0, 'no slot serves production');
    await this.flavour.switchProduction(this, to, from);
  }

  async withdrawStaging(slot: Slot): Promise<void> {
    const routing = await this.observe();
    if (routing.staging === slot && routing.stagingPercent > 0) {
      await this.render(slot, 'staging', 0, 'users leave the staging slot first');
      await this.settle('users leave the staging slot');
    }
    await this.render(slot, 'unrouted');
  }

  async detach(slot: Slot): Promise<void> {
    const routing = await this.observe();
    if (routing.staging === slot && routing.stagingPercent > 0) {
      await this.render(slot, 'staging', 0, 'users leave the slot before it is removed');
      await this.settle('users leave the slot');
    }
  }

}
