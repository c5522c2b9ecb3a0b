// The DNS side of Traffic Manager, fed by the fake ARM state: `<profile>.trafficmanager.net` resolves
// to one endpoint's target, chosen the way the Traffic Manager name servers choose (weighted random among
// enabled, non-degraded endpoints; all of them when every one is degraded; NXDOMAIN when none is
// enabled), and each client keeps its answer for the profile's TTL, as stub resolvers and browsers do.
import { pickWeighted, seededRandom, type RandomSource } from '../dataplane/random';
import { monitorStatusOf, type TmEndpoint, type TmProfile } from './trafficmanager-model';
import type { FakeTrafficManager } from './trafficmanager';

export interface Clock {
  /** Milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told: TTL expiry without waiting. */
export class ManualClock implements Clock {
  constructor(private time = 0) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

/** A clock running `factor` times faster than real time (a 60 s TTL lasts 60/factor real seconds). */
export function acceleratedClock(factor: number): Clock {
  const start = Date.now();
  return { now: () => start + (Date.now() - start) * factor };
}

export type DnsAnswer =
  | { kind: 'address'; name: string; target: string; profile: string; endpoint: string; ttlSeconds: number; cached: boolean; expiresAt: number }
  | { kind: 'NXDOMAIN'; name: string; reason: string; cached: boolean };

export interface TrafficManagerDnsOptions {
  seed?: number;
  clock?: Clock;
  /** How long clients cache NXDOMAIN (default 0: not cached, so recovery is seen at once). */
  negativeTtlSeconds?: number;
}

const MAX_NESTING = 10;

export class TrafficManagerDns {
  readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly caches = new Map<string, Map<string, { answer: DnsAnswer; expiresAt: number }>>();
  private readonly negativeTtlMs: number;

  constructor(private readonly tm: FakeTrafficManager, options: TrafficManagerDnsOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.random = seededRandom(options.seed ?? 1);
    this.negativeTtlMs = (options.negativeTtlSeconds ?? 0) * 1000;
  }

  /** Whether this name is served by the Traffic Manager name servers. */
  static isTrafficManagerName(name: string): boolean {
    return /\.trafficmanager\.net\.?$/i.test(name);
  }

  /** A client's lookup: its cached answer while the TTL lasts, else a fresh authoritative answer. */
  resolve(name: string, clientId = 'default'): DnsAnswer {
    const qname = name.toLowerCase().replace(/\.$/, '');
    const cache = this.caches.get(clientId) ?? new Map();
    this.caches.set(clientId, cache);
    const hit = cache.get(qname);
    if (hit && hit.expiresAt > this.clock.now()) return { ...hit.answer, cached: true };
    const answer = this.query(qname);
    const ttlMs = answer.kind === 'address' ? answer.ttlSeconds * 1000 : this.negativeTtlMs;
    if (ttlMs > 0) cache.set(qname, { answer, expiresAt: this.clock.now() + ttlMs });
    else cache.delete(qname);
    return answer;
  }

  /** Forget cached answers (one client's, or everyone's). */
  flush(clientId?: string): void {
    if (clientId === undefined) this.caches.clear();
    else this.caches.delete(clientId);
  }

  /** The authoritative answer, no client cache. */
  query(name: string, depth = 0): DnsAnswer {
    const qname = name.toLowerCase().replace(/\.$/, '');
    const nx = (reason: string): DnsAnswer => ({ kind: 'NXDOMAIN', name: qname, reason, cached: false });
    const profile = this.tm.profileByFqdn(qname);
    if (!profile) return nx(`no Traffic Manager profile ${qname}`);
    if (profile.profileStatus === 'Disabled') return nx(`profile ${profile.name} is disabled`);
    const enabled = profile.endpoints.filter((e) => e.endpointStatus === 'Enabled');
    if (!enabled.length) return nx(`profile ${profile.name} has no enabled endpoint`);
    const healthy = enabled.filter((e) => this.available(profile, e, depth));
    // When every enabled endpoint is degraded Traffic Manager returns all of them rather than nothing.
    const served = healthy.length ? healthy : enabled;
    const chosen = this.choose(profile, served);
    if (!chosen) return nx(`profile ${profile.name} has no routable endpoint`);
    let target = this.tm.targetOf(chosen);
    if (chosen.type === 'NestedEndpoints' && target && depth < MAX_NESTING) {
      const inner = this.query(target, depth + 1);
      if (inner.kind === 'NXDOMAIN') return nx(`nested profile ${target}: ${inner.reason}`);
      target = inner.target;
    }
    if (!target) return nx(`endpoint ${chosen.name} has no target`);
    const ttlSeconds = profile.dnsConfig.ttl;
    return { kind: 'address', name: qname, target, profile: profile.name, endpoint: chosen.name, ttlSeconds, cached: false, expiresAt: this.clock.now() + ttlSeconds * 1000 };
  }

  private available(profile: TmProfile, e: TmEndpoint, depth: number): boolean {
    if (monitorStatusOf(profile, e) === 'Degraded' || !this.tm.targetOf(e)) return false;
    if (e.type !== 'NestedEndpoints') return true;
    const child = e.targetResourceId ? this.tm.profileById(e.targetResourceId) : undefined;
    if (!child || depth >= MAX_NESTING) return false;
    const up = child.endpoints.filter((c) => c.endpointStatus === 'Enabled' && this.available(child, c, depth + 1));
    return up.length >= (e.minChildEndpoints ?? 1);
  }

  /**
   * Weighted and Priority are modelled. Performance, Geographic, Subnet and MultiValue depend on where
   * the client is: the model picks uniformly among the served endpoints.
   */
  private choose(profile: TmProfile, served: TmEndpoint[]): TmEndpoint | undefined {
    if (profile.trafficRoutingMethod === 'Weighted') return pickWeighted(served, (e) => e.weight, this.random);
    if (profile.trafficRoutingMethod === 'Priority') return [...served].sort((a, b) => (a.priority ?? 1000) - (b.priority ?? 1000))[0];
    return served[Math.floor(this.random.next() * served.length)];
  }
}

