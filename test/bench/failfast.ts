// Fail-fast: how long a Deploy of a crash-looping version takes to fail, from its start to its result,
// with the default thresholds (failFastRestarts 3) and helm's own timeout at 10 minutes. The local
// cluster's kubelet crashes the container half a second after each start and backs off 2 s, 4 s, 8 s...
// (the real kubelet's 10 s, 20 s, 40 s, five times faster), so the third restart comes about 7.5 s after
// the pods start; on a real cluster it comes about 30 s after.
import { HELM_VERSIONS } from '../../scripts/fetch-helm';
import type { HelmMajor } from '../cluster/helm';
import { startEnv, version } from '../integration/env';
import { median, type Metric, round } from './stats';
import { succeed, timedTask } from './tasktime';

export async function benchFailFast(helm: HelmMajor, runs: number, progress: (line: string) => void): Promise<Metric> {
  const env = await startEnv({ helm, router: 'nginx', ownership: 'managed', readyDelayMs: 0 });
  try {
    await succeed(env, 'Deploy', 1, version('1.0.0'), 'first Deploy');
    const samples: number[] = [];
    for (let i = 1; i <= runs; i += 1) {
      const base = version(`2.0.${i}`);
      const timed = await timedTask(env, 'Deploy', 10 + i, { ...base, setValues: `${base.setValues}\nimage.tag=crash`, timeout: '10m' }, { timeoutMs: 660_000 });
      if (timed.run.result !== 'Failed' || !/keeps crashing/.test(timed.run.message)) {
        throw new Error(`Deploy of a crash-looping version ended ${timed.run.result ?? 'without a result'}: ${timed.run.message}\n${timed.run.log}`);
      }
      samples.push(timed.resultMs ?? timed.exitMs);
      await succeed(env, 'OnFailure', 10 + i, {}, `OnFailure run ${10 + i}`);
      progress(`helm ${HELM_VERSIONS[helm]} run ${i}/${runs}: failed after ${((samples[samples.length - 1] ?? 0) / 1000).toFixed(1)} s`);
    }
    const m = median(samples);
    return {
      id: `failfast-crash-${helm}`,
      name: `Deploy of a crash-looping version, start to failed task, default thresholds (helm ${HELM_VERSIONS[helm]}, --timeout 10m)`,
      value: round(m / 1000, 1),
      unit: 's',
      target: { op: '<=', value: 30 },
      basis: `median of ${runs} (${samples.map((s) => (s / 1000).toFixed(1)).join(', ')} s); emulated back-off 2, 4, 8 s (the kubelet's 10, 20, 40 s: about 30 s to the 3rd restart on a real cluster)`,
      data: { resultMs: samples.map(Math.round), medianMs: Math.round(m) },
    };
  } finally {
    await env.close();
  }
}
