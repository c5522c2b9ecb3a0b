// State read time with 1000 unrelated helm releases in other namespaces against none. The read is the
// tasks' own code in-process (router observe + shared/core/state readState) against the local API server, for
// an app with a production and a staged slot. Rounds alternate "none" and "1000" (the seeded Secrets are
// put into and taken out of the store directly) so drift of the machine hits both sides alike.
import { type ResourceType, resourceByKind } from '../cluster/store';
import { startEnv, version } from '../integration/env';
import { decodeRelease } from '../../shared/helm/storage';
import { stateReader } from '../demo/state';
import { succeed } from './tasktime';
import { unrelatedReleases } from './releases';
import { median, type Metric, percentile, round, timed } from './stats';

function served(kind: string): ResourceType {
  const r = resourceByKind('v1', kind);
  if (!r) throw new Error(`the local cluster does not serve v1 ${kind}`);
  return r;
}

export interface StateReadOptions {
  releases: number;
  namespaces: number;
  rounds: number;
  readsPerRound: number;
}

export async function benchStateRead(o: StateReadOptions, progress: (line: string) => void): Promise<Metric> {
  const env = await startEnv({ helm: 'v4', router: 'nginx', ownership: 'managed', readyDelayMs: 0, settleSeconds: 0 });
  try {
    await succeed(env, 'Deploy', 1, version('1.0.0'), 'Deploy v1');
    await succeed(env, 'Deploy', 2, version('2.0.0'), 'Deploy v2');
    const reader = stateReader(env.cluster.kubeconfigPath, env.common);
    const describe = async () => {
      const s = await reader.read();
      return `production ${s.routing.production} ${s.slots.blue.release?.version}, staging ${s.routing.staging} ${s.slots.green.release?.version}`;
    };
    const expected = await describe();
    if (expected !== 'production blue 1.0.0, staging green 2.0.0') throw new Error(`unexpected state before the benchmark: ${expected}`);

    const { value: seeded, ms: buildMs } = await timed(async () => unrelatedReleases(o.releases, o.namespaces));
    if (decodeRelease(seeded.secrets[0]?.data.release).name !== 'svc-1') throw new Error('a seeded release does not decode the way shared/helm/storage reads helm storage');
    const secret = served('Secret');
    const namespace = served('Namespace');
    const store = env.cluster.store;
    const seed = () => {
      for (const n of seeded.namespaces) env.cluster.seed(n);
      for (const s of seeded.secrets) env.cluster.seed(s);
    };
    const unseed = () => {
      for (const s of seeded.secrets) store.remove(secret, s.metadata.namespace, s.metadata.name ?? '');
      for (const n of seeded.namespaces) store.remove(namespace, undefined, n.metadata.name ?? '');
    };
    // Seeding and removing fire 1000 store events at the data plane and the controllers; let them finish
    // so their work does not land inside one side's timings.
    const quiet = async () => {
      await env.dataplane.settled();
      await new Promise((r) => setTimeout(r, 300));
    };
    const reads = async (n: number) => {
      const ms: number[] = [];
      for (let i = 0; i < n; i += 1) ms.push((await timed(() => reader.read())).ms);
      return ms;
    };

    await reads(50);
    const none: number[] = [];
    const many: number[] = [];
    let seedMs = 0;
    const withReleases = async () => {
      seedMs += (await timed(async () => seed())).ms;
      await quiet();
      await reads(5);
      many.push(...(await reads(o.readsPerRound)));
      unseed();
      await quiet();
      await reads(5);
    };
    // ABBA order: whichever side runs first in a round runs second in the next.
    for (let round = 1; round <= o.rounds; round += 1) {
      if (round % 2) {
        none.push(...(await reads(o.readsPerRound)));
        await withReleases();
      } else {
        await withReleases();
        none.push(...(await reads(o.readsPerRound)));
      }
      if (round === 1) {
        seed();
        const stored = store.ofKind('Secret').filter((s) => s.type === 'helm.sh/release.v1').length;
        const seen = await describe();
        unseed();
        if (stored < o.releases) throw new Error('seeding did not store the releases');
        if (seen !== expected) throw new Error(`the unrelated releases changed what the state read sees: ${seen}`);
      }
      progress(`round ${round}/${o.rounds}: none ${median(none).toFixed(1)} ms, ${o.releases} releases ${median(many).toFixed(1)} ms (medians so far)`);
    }
    const a = median(none);
    const b = median(many);
    return {
      id: 'state-read-ratio',
      name: `State read with ${o.releases} unrelated helm releases / with none`,
      value: round(b / a, 2),
      unit: '×',
      target: { op: '<=', value: 1.5 },
      basis: `${b.toFixed(1)} ms / ${a.toFixed(1)} ms, medians of ${many.length} reads each (p90 ${percentile(many, 90).toFixed(1)} / ${percentile(none, 90).toFixed(1)} ms)`,
      data: {
        releases: o.releases,
        namespaces: o.namespaces,
        medianNoneMs: round(a, 2),
        medianSeededMs: round(b, 2),
        p90NoneMs: round(percentile(none, 90), 2),
        p90SeededMs: round(percentile(many, 90), 2),
        reads: many.length,
        buildReleasesMs: Math.round(buildMs),
        seedMsPerRound: Math.round(seedMs / o.rounds),
        rounds: o.rounds,
      },
    };
  } finally {
    await env.close();
  }
}
