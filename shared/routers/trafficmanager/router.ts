// Azure Traffic Manager (weighted DNS): each slot has its own public address (a LoadBalancer Service
// with an Azure DNS label) and its own endpoint in the profile; users resolve the profile's name and get
// one enabled endpoint's address, weighted. Facts that shape this file (docs/routing-semantics.md):
// weights are 1-1000, never 0; all endpoints disabled is NXDOMAIN, so the last enabled endpoint is never
// disabled; clients keep a resolved address for the profile's TTL and longer, so a slot whose endpoint
// was disabled keeps serving for TTL + margin before it is removed. How the roles are encoded in the
// endpoints is in weights.ts. Even with chart-owned routing the endpoints are written
// through ARM: only the slot's LoadBalancer Service comes from the chart.
import type { CheckTarget } from '../../checks/http';
import type { TrafficManagerInputs } from '../../inputs/types';
import { TRAFFIC_MANAGER_TTL_MARGIN } from '../../inputs/routing';
import { type Routing, type Slot, SLOTS, otherSlot } from '../../core/model';
import type { Exposure, Intent, Router, RouterContext, Values } from '../router';
import { type EndpointChange, type ProfileState, type PublicIpState, TrafficManagerArm } from './arm';
import { addressOf, CHART_LOAD_BALANCERS, type LoadBalancers, type SlotExposure, TASK_LOAD_BALANCERS } from './exposure';
import { percentProblem } from '../capabilities';
import {
  type EndpointState,
  FULL_WEIGHT,
  STAGED_WEIGHT,
  type SlotEndpoints,
  endpointName,
  externalAddress,
  hadUsers,
  labelOfFqdn,
  routingOf,
  weightsFor,
} from './weights';

/** Traffic Manager's name servers apply an endpoint change within seconds. */
const DEFAULT_SETTLE_SECONDS = 5;

export class TrafficManagerRouter implements Router {
  readonly label: string;
  private readonly tm: TrafficManagerInputs;
  private readonly arm: TrafficManagerArm;
  private profileState?: ProfileState;
  private readonly publicIps = new Map<Slot, PublicIpState>();
  /** Endpoint targets (FQDN or IP) as last read or written: where checks reach a slot. */
  private readonly addresses = new Map<Slot, string>();
  /**
   * Since when each slot's endpoint has been out of DNS answers while clients may still cache it: the
   * time this task disabled it, or first saw it disabled after it had users (a re-run after a crash).
   */
  private readonly drainingSince = new Map<Slot, number>();

  constructor(
    private readonly ctx: RouterContext,
    private readonly loadBalancers: LoadBalancers,
  ) {
    if (!ctx.inputs.trafficManager) throw new Error("Router 'trafficmanager' needs the Traffic Manager inputs (connection, resource group, profile).");
    this.tm = ctx.inputs.trafficManager;
    this.arm = new TrafficManagerArm(this.tm, ctx.writeGuard);
    this.label = `Azure Traffic Manager profile ${this.arm.profileName} (${this.tm.endpointType}), ${loadBalancers.label}`;
  }

  private get margin(): number {
    return this.tm.ttlMarginSeconds ?? Number(TRAFFIC_MANAGER_TTL_MARGIN);
  }

  private name(slot: Slot): string {
    return endpointName(this.ctx.app.name, slot);
  }

  private async readProfile(): Promise<ProfileState> {
    const profile = await this.arm.profile();
    if (!profile) throw new Error(`${this.arm.missingProfile()} Nothing was changed.`);
    this.profileState = profile;
    return profile;
  }

  private slotEndpoints(profile: ProfileState): SlotEndpoints {
    const out: SlotEndpoints = {};
    for (const slot of SLOTS) {
      const e = profile.endpoints.find((x) => x.name.toLowerCase() === this.name(slot).toLowerCase());
      if (e) out[slot] = e;
    }
    return out;
  }

  async observe(): Promise<Routing> {
    const endpoints = this.slotEndpoints(await this.readProfile());
    for (const slot of SLOTS) {
      const e = endpoints[slot];
      if (e?.target) this.addresses.set(slot, e.target);
      if (e && !e.enabled && hadUsers(e) && !this.drainingSince.has(slot)) this.drainingSince.set(slot, Date.now());
    }
    return routingOf(endpoints);
  }

  async preflight(intent: Intent): Promise<void> {
    const problem = percentProblem('trafficmanager', intent.percent ?? 0);
    if (problem) throw new Error(`${problem} Nothing was changed.`);
    if (this.tm.endpointType === 'AzureEndpoints' && (!this.tm.bluePublicIp || !this.tm.greenPublicIp)) {
      throw new Error('Azure endpoints point at a Public IP resource per slot: set bluePublicIp and greenPublicIp (each with a DNS name), or use trafficManagerEndpointType ExternalEndpoints. Nothing was changed.');
    }
    const profile = await this.readProfile();
    this.checkProfile(profile);
    if (this.tm.endpointType === 'AzureEndpoints') for (const slot of SLOTS) await this.publicIpOf(slot);
    if (intent.percent) {
      // Only an enabled endpoint is probed: a staged (disabled) one has no monitor status yet.
      const endpoints = this.slotEndpoints(profile);
      const staging = routingOf(endpoints).staging;
      const staged = staging && endpoints[staging];
      if (staged && staged.enabled && staged.monitorStatus === 'Degraded') this.refuseDegraded(staged);
    }
    if (intent.promote) {
      // Refused before OnSuccess records anything: Traffic Manager would not send users to it.
      const next = this.slotEndpoints(profile)[intent.promote];
      if (next?.enabled && next.monitorStatus === 'Degraded') this.refuseDegraded(next);
    }
  }

  /** What this router cannot work with: another routing method, or our endpoint names with another type. */
  private checkProfile(profile: ProfileState): void {
    if (profile.routingMethod !== 'Weighted') {
      throw new Error(
        `Traffic Manager profile ${this.arm.profileName} uses the ${profile.routingMethod} routing method; blue/green needs Weighted routing (the weights decide who gets users). ` +
          'Change the profile to Weighted, or use another profile. Nothing was changed.',
      );
    }
    for (const e of Object.values(this.slotEndpoints(profile))) {
      if (e.type !== this.tm.endpointType) {
        throw new Error(
          `Traffic Manager profile ${this.arm.profileName} has endpoint ${e.name} of type ${e.type}, but trafficManagerEndpointType is ${this.tm.endpointType}. ` +
            `Set trafficManagerEndpointType to ${e.type}, or delete that endpoint. Nothing was changed.`,
        );
      }
    }
    const ours = new Set(SLOTS.map((s) => this.name(s).toLowerCase()));
    const foreign = profile.endpoints.filter((e) => e.enabled && !ours.has(e.name.toLowerCase()));
    if (foreign.length) {
      this.ctx.log.warn(`Traffic Manager profile ${this.arm.profileName} has other enabled endpoints (${foreign.map((e) => e.name).join(', ')}): they receive a share of users whatever slot serves production.`);
    }
    if (!profile.enabled) this.ctx.log.warn(`Traffic Manager profile ${this.arm.profileName} is disabled: its name answers NXDOMAIN until it is enabled.`);
  }

  /** Azure endpoints: the slot's Public IP must exist and have a DNS name (Traffic Manager answers with it). */
  private async publicIpOf(slot: Slot): Promise<PublicIpState> {
    const known = this.publicIps.get(slot);
    if (known) return known;
    const input = slot === 'blue' ? 'bluePublicIp' : 'greenPublicIp';
    const id = this.tm[input] as string;
    const pip = await this.arm.publicIp(id);
    if (!pip) throw new Error(`Public IP ${id} (input ${input}) does not exist or is not visible to the service connection. Nothing was changed.`);
    if (!pip.fqdn) throw new Error(`Public IP ${id} (input ${input}) has no DNS name; Traffic Manager needs one for Azure endpoints: set a DNS name label on it. Nothing was changed.`);
    const wanted = slot === 'blue' ? this.tm.blueAddress : this.tm.greenAddress;
    if (wanted && wanted.toLowerCase() !== labelOfFqdn(pip.fqdn)) {
      throw new Error(`Input ${slot}Address is '${wanted}', but Public IP ${id} has the DNS name ${pip.fqdn}: leave ${slot}Address empty or set it to '${labelOfFqdn(pip.fqdn)}'. Nothing was changed.`);
    }
    this.publicIps.set(slot, pip);
    return pip;
  }

  /** The slot's DNS label and fixed address, from the inputs (and, for Azure endpoints, its Public IP). */
  private exposureOf(slot: Slot): SlotExposure & { target?: string } {
    if (this.tm.endpointType === 'ExternalEndpoints') return externalAddress(slot === 'blue' ? this.tm.blueAddress : this.tm.greenAddress, this.tm.profile, slot);
    const pip = this.publicIps.get(slot);
    if (!pip?.fqdn) throw new Error(`The Public IP of slot ${slot} was not read before the install: the router's preflight must run first.`);
    const [, resourceGroup = '', name = ''] = /\/resourceGroups\/([^/]+)\/.*\/publicIPAddresses\/([^/]+)$/i.exec(pip.id) ?? [];
    return { label: labelOfFqdn(pip.fqdn), staticIp: pip.ip, publicIp: { name, resourceGroup }, target: pip.fqdn };
  }

  installValues(slot: Slot): Values {
    return this.loadBalancers.installValues(this.ctx, slot, () => this.exposureOf(slot));
  }

  /** The slot's public address (its load balancer first), as endpoint target fields. */
  private async expose(slot: Slot): Promise<Pick<EndpointChange, 'target' | 'targetResourceId'>> {
    if (this.tm.endpointType === 'AzureEndpoints') await this.publicIpOf(slot);
    const exposure = this.exposureOf(slot);
    const lb = await this.loadBalancers.ensure(this.ctx, slot, exposure);
    if (this.tm.endpointType === 'AzureEndpoints') return { targetResourceId: this.publicIps.get(slot)?.id };
    const target = exposure.target ?? addressOf(lb);
    if (!target) throw new Error(`Slot ${slot} has no public address to give Traffic Manager.`);
    return { target };
  }

  async establish(slot: Slot): Promise<void> {
    const address = await this.expose(slot);
    await this.setEndpoint(slot, { ...address, enabled: true, weight: FULL_WEIGHT }, `production: every user resolves slot ${slot}`);
    const other = otherSlot(slot);
    if ((await this.arm.endpoint(this.name(other)))?.enabled) await this.setEndpoint(other, { enabled: false }, `slot ${other} gets no new users`);
  }

  async exposeStaging(slot: Slot): Promise<void> {
    const address = await this.expose(slot);
    await this.setEndpoint(slot, { ...address, enabled: false, weight: STAGED_WEIGHT }, `staged: testers reach slot ${slot} on its own address, no user resolves it`);
  }

  async setStagingPercent(slot: Slot, percent: number): Promise<void> {
    const problem = percentProblem('trafficmanager', percent);
    if (problem) throw new Error(`${problem} Nothing was changed.`);
    const routing = await this.observe();
    if (routing.production === slot) throw new Error(`Slot ${slot} serves production; a staging share applies to the other slot. Nothing was changed.`);
    const endpoint = await this.arm.endpoint(this.name(slot));
    if (percent === 0) {
      if (endpoint?.enabled) await this.setEndpoint(slot, { enabled: false }, `0 % of users: no new user resolves slot ${slot}`);
      // Back to the plain production state, so a later reading never depends on a leftover weight.
      if (routing.production) await this.setEndpoint(routing.production, { weight: FULL_WEIGHT }, `production serves every user`);
      return;
    }
    if (!routing.production) throw new Error(`No slot serves production, so no share of users can go to slot ${slot}. Nothing was changed.`);
    if (!endpoint) throw new Error(`Slot ${slot} has no Traffic Manager endpoint (${this.name(slot)}); run Deploy first. Nothing was changed.`);
    if (endpoint.enabled && endpoint.monitorStatus === 'Degraded') this.refuseDegraded(endpoint);
    const weights = weightsFor(percent);
    // Production's weight first: until staging is enabled, it still gets every user.
    await this.setEndpoint(routing.production, { weight: weights.production }, `production keeps ${100 - percent} % of users`);
    await this.setEndpoint(slot, { enabled: true, weight: weights.staging }, `${percent} % of users resolve slot ${slot}`);
  }

  async switchProduction(to: Slot, from: Slot | undefined): Promise<void> {
    const current = await this.arm.endpoint(this.name(to));
    if (current?.enabled && current.monitorStatus === 'Degraded') this.refuseDegraded(current);
    const address = current ? {} : await this.expose(to);
    // Enable the new slot at full weight before the old one is disabled: never zero enabled endpoints.
    await this.setEndpoint(to, { ...address, enabled: true, weight: FULL_WEIGHT }, `every user may resolve slot ${to}`);
    if (from) await this.setEndpoint(from, { enabled: false }, `no new user resolves slot ${from}; clients that have its address keep it for the DNS TTL`);
  }

  async withdrawStaging(slot: Slot): Promise<void> {
    const endpoint = await this.arm.endpoint(this.name(slot));
    if (!endpoint) return;
    if (endpoint.enabled) await this.setEndpoint(slot, { enabled: false }, `users leave slot ${slot}`);
    // The load balancer stays, so a client that still has the address is served: deleting the endpoint now is safe.
    await this.arm.deleteEndpoint(this.name(slot));
    this.ctx.log.info(`  Traffic Manager endpoint ${this.name(slot)} deleted; slot ${slot} keeps its own address`);
  }

  async detach(slot: Slot): Promise<void> {
    const endpoint = await this.arm.endpoint(this.name(slot));
    if (endpoint) {
      if (endpoint.enabled) await this.setEndpoint(slot, { enabled: false }, `no new user resolves slot ${slot}`);
      else if (hadUsers(endpoint) && !this.drainingSince.has(slot)) this.drainingSince.set(slot, Date.now());
      await this.drain(slot);
      await this.arm.deleteEndpoint(this.name(slot));
      this.ctx.log.info(`  Traffic Manager endpoint ${this.name(slot)} deleted`);
    }
    await this.loadBalancers.remove(this.ctx, slot);
  }

  /** Waits out the rest of TTL + margin since the slot's endpoint left the DNS answers (nothing if that has passed). */
  private async drain(slot: Slot): Promise<void> {
    const since = this.drainingSince.get(slot);
    if (since === undefined) return;
    const total = await this.drainSeconds();
    const left = Math.ceil((since + total * 1000 - Date.now()) / 1000);
    if (left > 0) await this.ctx.log.wait(left, `clients that resolved slot ${slot} before its endpoint was disabled let their DNS answer expire (TTL ${this.profileState?.ttl} s + margin ${this.margin} s)`);
  }

  async settle(what: string): Promise<void> {
    await this.ctx.log.wait(this.ctx.settleSeconds ?? DEFAULT_SETTLE_SECONDS, `Traffic Manager's name servers apply the change (${what})`);
  }

  target(exposure: Exposure, slot: Slot): CheckTarget {
    const base = { headers: {}, pathPrefix: '' };
    if (exposure === 'production') {
      const host = this.ctx.inputs.host ?? this.profileState?.fqdn;
      if (!host) throw new Error('The Traffic Manager profile was not read yet, so its DNS name is unknown.');
      return { ...base, label: `production (slot ${slot})`, baseUrl: `http://${host}`, host };
    }
    const address = this.addresses.get(slot);
    if (!address) throw new Error(`Slot ${slot} has no Traffic Manager endpoint (${this.name(slot)}) with an address; run Deploy again to stage it.`);
    const port = this.ctx.inputs.servicePort && this.ctx.inputs.servicePort !== 80 ? `:${this.ctx.inputs.servicePort}` : '';
    return { ...base, label: `staging (slot ${slot})`, baseUrl: `http://${address.includes(':') ? `[${address}]` : address}${port}`, host: address };
  }

  async minimumDrainSeconds(): Promise<number> {
    const seconds = await this.drainSeconds();
    this.ctx.log.info(`Clients keep an address from ${this.profileState?.fqdn} for its DNS TTL of ${this.profileState?.ttl} s (and resolvers a little longer): a slot keeps serving ${seconds} s (TTL + margin ${this.margin} s) after its endpoint was disabled.`);
    return seconds;
  }

  private async drainSeconds(): Promise<number> {
    const profile = this.profileState ?? (await this.readProfile());
    return profile.ttl + this.margin;
  }

  private refuseDegraded(e: EndpointState): never {
    const m = this.profileState?.monitor;
    const probe = m ? ` (${m.protocol ?? 'HTTP'} port ${m.port ?? 80} path ${m.path ?? '/'})` : '';
    throw new Error(
      `Traffic Manager reports endpoint ${e.name} Degraded: its health probe${probe} fails, so Traffic Manager would not send it users. ` +
        'Fix the slot or the profile\'s monitor settings, or run BlueGreenOnFailure. Nothing was changed.',
    );
  }

  /**
   * Brings one endpoint to `change` (creating it with a PUT, else a PATCH of what differs). Disabling the
   * last enabled endpoint of the profile is refused: its name would answer NXDOMAIN.
   */
  private async setEndpoint(slot: Slot, change: EndpointChange, why: string): Promise<void> {
    const name = this.name(slot);
    const current = await this.arm.endpoint(name);
    const disabling = change.enabled === false && !!current?.enabled;
    if (disabling) {
      const profile = await this.readProfile();
      if (!profile.endpoints.some((e) => e.enabled && e.name.toLowerCase() !== name.toLowerCase())) {
        throw new Error(`Endpoint ${name} is the only enabled endpoint of Traffic Manager profile ${this.arm.profileName}; disabling it would make the name answer NXDOMAIN. Nothing was changed.`);
      }
    }
    const diff = current ? differences(current, change) : change;
    const describe = `Traffic Manager endpoint ${name}: ${describeChange(change)} (${why})`;
    if (current && Object.keys(diff).length === 0) {
      this.ctx.log.info(`  ${describe} (already so)`);
      return;
    }
    if (!current && change.target === undefined && change.targetResourceId === undefined) {
      throw new Error(`Slot ${slot} has no Traffic Manager endpoint (${name}); run Deploy first. Nothing was changed.`);
    }
    const written = await this.arm.writeEndpoint(name, diff, !!current);
    if (disabling) this.drainingSince.set(slot, Date.now());
    if (written.target) this.addresses.set(slot, written.target);
    this.ctx.log.info(`  ${describe}`);
  }
}

function differences(current: EndpointState, change: EndpointChange): EndpointChange {
  const diff: EndpointChange = {};
  if (change.enabled !== undefined && change.enabled !== current.enabled) diff.enabled = change.enabled;
  if (change.weight !== undefined && change.weight !== current.weight) diff.weight = change.weight;
  if (change.target !== undefined && change.target.toLowerCase() !== current.target) diff.target = change.target;
  if (change.targetResourceId !== undefined && change.targetResourceId.toLowerCase() !== current.targetResourceId?.toLowerCase()) diff.targetResourceId = change.targetResourceId;
  return diff;
}

function describeChange(change: EndpointChange): string {
  const parts = [];
  if (change.enabled !== undefined) parts.push(change.enabled ? 'Enabled' : 'Disabled');
  if (change.weight !== undefined) parts.push(`weight ${change.weight}`);
  if (change.target) parts.push(`target ${change.target}`);
  if (change.targetResourceId) parts.push(`Public IP ${change.targetResourceId.split('/').pop()}`);
  return parts.join(', ');
}

/** Routing ownership only decides who makes the slots' load balancers (createRouter picks by it). */
export const managedTrafficManager = (ctx: RouterContext): Router => new TrafficManagerRouter(ctx, TASK_LOAD_BALANCERS);
export const chartTrafficManager = (ctx: RouterContext): Router => new TrafficManagerRouter(ctx, CHART_LOAD_BALANCERS);
