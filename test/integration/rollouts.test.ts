// Rollouts that explain themselves and fail fast (docs/rollouts.md). A version that will not become ready
// (crash loop, image that cannot be pulled, missing ConfigMap) fails Deploy with the pod's reason, its
// Warning events and its last log lines, long before helm's own 10-minute timeout; the release is left
// failed for OnFailure, which withdraws it with production untouched. A version that is slow but healthy
// is not failed early. Real helm 3 and 4 against the local cluster, whose kubelet models these states.
import * as assert from 'node:assert/strict';
import type { TaskRun } from '../cluster/agent';
import { type Env, startEnv, version } from './env';
import { activeRelease, releasesIn } from './expect';

/** helm waits up to 10 minutes; the agent gives up after 2: a Deploy that ends before that failed fast. */
const HELM_TIMEOUT = '10m';
const AGENT_TIMEOUT_MS = 120_000;

function deployInputs(v: string, tag: string, extra: string[] = [], inputs: Record<string, string> = {}): Record<string, string> {
  const base = version(v);
  return { ...base, setValues: [base.setValues, `image.tag=${tag}`, ...extra].join('\n'), timeout: HELM_TIMEOUT, ...inputs };
}

function failedFast(run: TaskRun, reason: RegExp): void {
  assert.equal(run.timedOut, false, 'Deploy ended before the agent gave up (helm would have waited 10 minutes)');
  assert.equal(run.outcome, 'Failed', run.log);
  assert.match(run.message, reason);
  assert.match(run.message, /Deploy stopped helm instead of waiting up to 10m \(fail-fast\); release calc-green is failed/);
  assert.match(run.log, /##\[group\]Why the rollout failed: pod calc-green-\S+ /);
  assert.doesNotMatch(run.log, /\n\s+at .+\(.+:\d+:\d+\)/, 'no stack trace in the log');
}

/** OnFailure withdraws the failed slot: production (blue) untouched, green gone. */
async function withdraw(env: Env, run: number): Promise<void> {
  const failure = await env.task('OnFailure', run);
  assert.equal(failure.outcome, 'Succeeded', failure.log);
  assert.deepEqual(releasesIn(env, 'calc'), ['calc-blue']);
  assert.deepEqual(releasesIn(env, 'calc', 'failed'), []);
  assert.equal(activeRelease(env), 'calc-blue');
}

for (const helm of ['v4', 'v3'] as const) {
  describe(`rollouts that explain themselves and fail fast: managed nginx, helm ${helm}`, function () {
    this.timeout(600_000);
    let env: Env;

    before(async () => {
      env = await startEnv({ helm, router: 'nginx', ownership: 'managed' });
      const first = await env.task('Deploy', 1, version('1.0.0'));
      assert.equal(first.outcome, 'Succeeded', first.log);
    });
    after(() => env?.close());

    it('a crash-looping version fails Deploy with default thresholds, with the exit code, events and log lines; OnFailure withdraws it and production never fails', async () => {
      const probe = env.probe();
      const run = await env.task('Deploy', 2, deployInputs('2.0.0', 'crash'), { timeoutMs: AGENT_TIMEOUT_MS });
      failedFast(run, /^Pod calc-green-\S+ keeps crashing: container app exited with code 1 \(Error\) and was restarted 3 times; its last log line: fatal: cannot start/);
      assert.match(run.log, /BackOff pod\/calc-green-\S+( \(x\d+\))?: Back-off restarting failed container app/);
      assert.match(run.log, /Last 2 log lines of container app of pod calc-green-\S+ \(the run that crashed\):\n {2}\[local cluster\] hashicorp\/http-echo:crash starting/);
      assert.deepEqual(releasesIn(env, 'calc', 'failed'), ['calc-green']);
      await withdraw(env, 2);
      const seen = await probe.stop();
      assert.equal(seen.total.failures, 0);
      assert.deepEqual(Object.keys(seen.total.versions), ['1.0.0']);
    });

    if (helm === 'v3') return; // one case for helm 3; the rest are the same watcher

    it('an image that cannot be pulled fails Deploy with the registry\'s answer', async () => {
      const run = await env.task('Deploy', 3, deployInputs('3.0.0', 'missing', [], { failFastSeconds: '5' }), { timeoutMs: AGENT_TIMEOUT_MS });
      failedFast(run, /^Pod calc-green-\S+ cannot pull image hashicorp\/http-echo:missing: not found\./);
      assert.match(run.log, /Failed pod\/calc-green-\S+( \(x\d+\))?: Failed to pull image "hashicorp\/http-echo:missing": rpc error: code = NotFound/);
      assert.match(run.log, /calc-green-\S+ {2}not ready {2}(ErrImagePull|ImagePullBackOff)/);
      await withdraw(env, 3);
    });

    it('a missing ConfigMap fails Deploy with the kubelet\'s CreateContainerConfigError', async () => {
      const ref = ['extraEnv[0].name=DB_HOST', 'extraEnv[0].valueFrom.configMapKeyRef.name=calc-settings', 'extraEnv[0].valueFrom.configMapKeyRef.key=dbHost'];
      const run = await env.task('Deploy', 4, deployInputs('4.0.0', '1.0', ref, { failFastSeconds: '5' }), { timeoutMs: AGENT_TIMEOUT_MS });
      failedFast(run, /^Pod calc-green-\S+ cannot start container app: configmap "calc-settings" not found\./);
      assert.match(run.log, /Failed pod\/calc-green-\S+( \(x\d+\))?: Error: configmap "calc-settings" not found/);
      await withdraw(env, 4);
    });

    it('a slow but healthy version (ready after 20 s) is not failed early: progress lines, then staged', async () => {
      const run = await env.task('Deploy', 5, deployInputs('5.0.0', 'ready-after-20s', [], { failFastSeconds: '5', failFastRestarts: '1' }), { timeoutMs: AGENT_TIMEOUT_MS });
      assert.equal(run.outcome, 'Succeeded', run.log);
      assert.match(run.log, /\n {2}\[\d+ s\] calc-green: [01]\/2 ready; waiting: calc-green-\S+ Running \(not ready\)/);
      assert.doesNotMatch(run.log, /fail-fast|Why the rollout failed/);
      assert.deepEqual(releasesIn(env, 'calc'), ['calc-blue', 'calc-green']);
      assert.equal(activeRelease(env), 'calc-blue');
    });
  });
}
