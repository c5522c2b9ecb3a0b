// OnSuccess wall time when the data plane takes as long as the real controllers to apply a change: a
// promotion of a validated v2 over v1 (retirePolicy delete, drainSeconds 0) in managed mode, timed from
// the task's start until it reports its result (tasktime.ts). Each promotion settles twice (after the switch, and before the old
// release is uninstalled); a settle now waits exactly as long as the controller takes (the fence,
// shared/routers/fence.ts). For comparison the same promotion runs with the fence hidden (fenceblind.ts),
// so the router waits the fixed settleSeconds per change the tasks used before (nginx 5 s, AGIC 30 s).
//
// One environment per router serves every run: each measurement deploys the next version into the idle
// slot and validates it (Deploy, RouteTraffic: not timed, under TEST_DELAYS so setup stays short), waits
// until the data plane has applied everything, then sets the measured delays and runs OnSuccess. The
// configurations alternate their order from run to run, so a slow spell of the machine spreads over all.
import type { DataPlaneDelays } from '../cluster/dataplane';
import { REALISTIC_DELAYS } from '../cluster/dataplane';
import { appgwFlavour } from '../../shared/routers/appgw/router';
import { nginxFlavour } from '../../shared/routers/nginx/router';
import { checksFor, type Env, type RouterName, startEnv, TEST_DELAYS, version } from '../integration/env';
import { startFenceBlind } from './fenceblind';
import { describeSettles, type Settle, settlesIn, summarise } from './settles';
import { median, type Metric, round } from './stats';
import { succeed } from './tasktime';
import { must } from '../must';

export type PromoteRouter = Extract<RouterName, 'nginx' | 'appgw'>;
export type DelayProfile = 'realistic' | 'uniform2s';
export type SettleMode = 'fence' | 'fixed';

export const PROFILES: Record<DelayProfile, { label: string; delays: Required<DataPlaneDelays> }> = {
  realistic: { label: 'REALISTIC_DELAYS', delays: REALISTIC_DELAYS },
  uniform2s: { label: '2 s per change', delays: { syncDelayMs: 2000, reloadDelayMs: 2000, armDelayMs: 2000, propagationDelayMs: 2000 } },
};

const FLAVOUR = { nginx: nginxFlavour, appgw: appgwFlavour } as const;
const PRODUCT = { nginx: 'ingress-nginx', appgw: 'App Gateway' } as const;

/** What one change costs the router's controller under a profile, for the metric's name. */
export function delayLabel(router: PromoteRouter, profile: DelayProfile): string {
  const d = PROFILES[profile].delays;
  const s = (ms: number) => `${round(ms / 1000)} s`;
  const what = router === 'nginx' ? `sync ${s(d.syncDelayMs)}, reload ${s(d.reloadDelayMs)}` : `ARM ${s(d.armDelayMs)}`;
  return `${PROFILES[profile].label} (${what})`;
}

export interface PromoteSample {
  ms: number;
  settles: Settle[];
  /** The process was still running after its result and was killed (tasktime.ts). */
  reaped?: boolean;
}

const SETTLED_BOUND_MS = 120_000;

/** Resolves once the data plane has applied every change so far; bounded. */
async function dataPlaneSettled(env: Env): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the data plane still had ${env.dataplane.pending} changes to apply after ${SETTLED_BOUND_MS / 1000} s`)), SETTLED_BOUND_MS);
  });
  try {
    await Promise.race([env.dataplane.settled(), bound]);
  } finally {
    clearTimeout(timer);
  }
}

class Promoter {
  private run = 1;

  private constructor(
    private readonly env: Env,
    private readonly router: PromoteRouter,
  ) {}

  static async start(router: PromoteRouter): Promise<Promoter> {
    const env = await startEnv({ helm: 'v4', router, ownership: 'managed', readyDelayMs: 0 });
    try {
      await succeed(env, 'Deploy', 1, version('1.0.0'), 'Deploy v1 (first deploy)');
      return new Promoter(env, router);
    } catch (err) {
      await env.close();
      throw err;
    }
  }

  /** Deploys and validates the next version, then times its promotion under `profile`. */
  async promote(profile: DelayProfile, mode: SettleMode): Promise<PromoteSample> {
    const { env } = this;
    this.run += 1;
    const run = this.run;
    const v = `${run}.0.0`;
    const checks = checksFor(v);
    await succeed(env, 'Deploy', run, version(v), `Deploy ${v}`);
    await succeed(env, 'RouteTraffic', run, checks, `RouteTraffic ${v}`);
    await dataPlaneSettled(env);
    const flavour = FLAVOUR[this.router];
    const blind = mode === 'fixed' ? await startFenceBlind(env.dataplane.url, must(flavour.noEndpointStatuses[0], `the ${this.router} router's no-endpoint status`)) : undefined;
    const inputs: Record<string, string> = { ...checks, retirePolicy: 'delete', drainSeconds: '0' };
    if (blind) Object.assign(inputs, { checkAddress: blind.url, settleSeconds: String(flavour.defaultSettleSeconds) });
    env.dataplane.setDelays(PROFILES[profile].delays);
    try {
      const promoted = await succeed(env, 'OnSuccess', run, inputs, `OnSuccess ${v} (${profile}, ${mode})`, { timeoutMs: 600_000 });
      const ms = promoted.resultMs ?? promoted.exitMs;
      const settles = settlesIn(promoted.run.log);
      const off = settles.filter((s) => s.how !== mode);
      if (!settles.length || off.length) {
        throw new Error(`OnSuccess ${v} (${profile}, ${mode}) settled ${describeSettles(settles)}; expected only ${mode} settles, so this is not the measurement it claims.\n${promoted.run.log}`);
      }
      return { ms, settles, reaped: promoted.reaped };
    } finally {
      await blind?.close();
      await dataPlaneSettled(env);
      env.dataplane.setDelays(TEST_DELAYS);
    }
  }

  close(): Promise<void> {
    return this.env.close();
  }
}

const CONFIGS: Array<{ profile: DelayProfile; mode: SettleMode }> = [
  { profile: 'realistic', mode: 'fence' },
  { profile: 'realistic', mode: 'fixed' },
  { profile: 'uniform2s', mode: 'fence' },
  { profile: 'uniform2s', mode: 'fixed' },
];

export function promoteMetric(router: PromoteRouter, profile: DelayProfile, mode: SettleMode, samples: PromoteSample[], fixedMedianMs?: number): Metric {
  const ms = median(samples.map((s) => s.ms));
  // The run with the median wall time shows the settles (they are the same in every run but for timing).
  const typical = [...samples].sort((a, b) => a.ms - b.ms)[Math.floor((samples.length - 1) / 2)];
  const waited = median(samples.map((s) => summarise(s.settles).seconds));
  const how = mode === 'fence' ? 'fence' : `fixed ${FLAVOUR[router].defaultSettleSeconds} s per settle, fence hidden`;
  const saving = fixedMedianMs !== undefined ? `; ${round((fixedMedianMs - ms) / 1000)} s less than the fixed waits` : '';
  return {
    id: `promote-${router}-${profile}-${mode}`,
    name: `OnSuccess, managed ${PRODUCT[router]}, ${delayLabel(router, profile)}, ${how}`,
    value: round(ms / 1000),
    unit: 's',
    basis: `median of ${samples.length} (${samples.map((s) => round(s.ms / 1000).toFixed(1)).join(', ')} s); ${describeSettles(typical?.settles ?? [])}, median ${waited.toFixed(1)} s${saving}`,
    data: {
      delays: PROFILES[profile].delays,
      wallMs: samples.map((s) => Math.round(s.ms)),
      settles: samples.map((s) => s.settles),
      medianSettleSeconds: waited,
      processesReaped: samples.filter((s) => s.reaped).length,
    },
  };
}

export const DELAY_PROFILES: readonly DelayProfile[] = ['realistic', 'uniform2s'];

/** Times OnSuccess for each delay profile asked for (default both), fence and fixed wait each. */
export async function benchPromote(router: PromoteRouter, runs: number, progress: (line: string) => void, profiles: readonly DelayProfile[] = DELAY_PROFILES): Promise<Metric[]> {
  const configs = CONFIGS.filter((c) => profiles.includes(c.profile));
  const promoter = await Promoter.start(router);
  const samples = new Map<string, PromoteSample[]>(configs.map((c) => [`${c.profile}/${c.mode}`, []]));
  try {
    for (let i = 1; i <= runs; i += 1) {
      const order = i % 2 ? configs : [...configs].reverse();
      for (const { profile, mode } of order) {
        const sample = await promoter.promote(profile, mode);
        samples.get(`${profile}/${mode}`)!.push(sample);
        progress(`${router} run ${i}/${runs}, ${PROFILES[profile].label}, ${mode}: OnSuccess ${round(sample.ms / 1000).toFixed(1)} s, ${describeSettles(sample.settles)}`);
      }
    }
  } finally {
    await promoter.close();
  }
  return profiles.flatMap((profile) => {
    const fixed = samples.get(`${profile}/fixed`)!;
    return [promoteMetric(router, profile, 'fence', samples.get(`${profile}/fence`)!, median(fixed.map((s) => s.ms))), promoteMetric(router, profile, 'fixed', fixed)];
  });
}
