// Failure paths, bad input and concurrency: each fails with one clear sentence and leaves
// production serving, with no write beyond the lease's own bookkeeping.
import * as assert from 'node:assert/strict';
import type { TaskRun } from '../cluster/agent';
import type { WriteRecord } from '../cluster/apiserver/faults';
import { EXAMPLE_CHART, type Env, startEnv, version } from './env';
import { activeRelease, releasesIn } from './expect';

/** Routing objects and releases: the lease and the settle's fence route are bookkeeping, not changes. */
const routingOrRelease = (w: WriteRecord) => w.resource !== 'leases' && !(w.name ?? '').endsWith('-bluegreen-fence');

describe('failure paths and bad input: managed nginx, helm v4', function () {
  this.timeout(300_000);
  let env: Env;
  let run = 10;

  /** Runs a task and returns it with the writes it made (lease bookkeeping excluded). */
  async function attempt(task: Parameters<Env['task']>[0], inputs: Record<string, string>, runId = ++run): Promise<{ result: TaskRun; writes: WriteRecord[] }> {
    const mark = env.cluster.writes.mark();
    const result = await env.task(task, runId, inputs);
    return { result, writes: env.cluster.writes.since(mark).filter(routingOrRelease) };
  }

  const failedClearly = (result: TaskRun, pattern: RegExp) => {
    assert.equal(result.outcome, 'Failed', result.log);
    assert.match(result.message, pattern);
    assert.doesNotMatch(result.log, /\n\s+at .+\(.+:\d+:\d+\)/, 'no stack trace in the log');
  };

  before(async () => {
    env = await startEnv({ helm: 'v4', router: 'nginx', ownership: 'managed' });
    assert.equal((await env.task('Deploy', 1, version('1.0.0'))).outcome, 'Succeeded');
  });
  after(() => env?.close());

  it('a never-ready version fails Deploy with helm\'s reason; OnFailure removes it; production never fails', async () => {
    const probe = env.probe();
    const { result } = await attempt('Deploy', version('2.0.0', { neverReady: true }), 20);
    failedClearly(result, /helm could not install calc-green in namespace calc: .*(context deadline exceeded|not ready|timed out|deadline)/i);
    assert.equal(activeRelease(env), 'calc-blue');
    const failure = await env.task('OnFailure', 20);
    assert.equal(failure.outcome, 'Succeeded', failure.log);
    assert.deepEqual(releasesIn(env, 'calc'), ['calc-blue']);
    assert.deepEqual(releasesIn(env, 'calc', 'failed'), []);
    const result2 = await probe.stop();
    assert.equal(result2.total.failures, 0);
    assert.deepEqual(Object.keys(result2.total.versions), ['1.0.0']);
  });

  it('a local chart that does not exist: clear error, nothing written', async () => {
    const { result, writes } = await attempt('Deploy', { ...version('2.0.0'), chart: './charts/nope' });
    failedClearly(result, /Chart '\.\/charts\/nope' was not found/);
    assert.deepEqual(writes, []);
  });

  it('a chart repository that does not answer: clear error, nothing written', async () => {
    const { result, writes } = await attempt('Deploy', { ...version('2.0.0'), chart: 'calculator', chartRepository: 'http://127.0.0.1:9/charts' });
    failedClearly(result, /Chart calculator could not be fetched from http:\/\/127\.0\.0\.1:9\/charts/);
    assert.deepEqual(writes, []);
  });

  it('a namespace that does not exist, with createNamespace false: clear error, nothing written', async () => {
    const { result, writes } = await attempt('Deploy', { ...version('2.0.0'), namespace: 'missing', createNamespace: 'false' });
    failedClearly(result, /Namespace missing does not exist; create it, or set createNamespace to true/);
    assert.deepEqual(writes, []);
  });

  it('a release with our release name that the tasks did not install: refused, nothing written', async () => {
    const helm = await env.cluster.helm('v4', ['install', 'calc-green', EXAMPLE_CHART, '-n', 'calc', '--set', 'ingress.enabled=false']);
    assert.equal(helm.code, 0, helm.stderr);
    try {
      const { result, writes } = await attempt('Deploy', version('2.0.0'));
      failedClearly(result, /Release calc-green in namespace calc was not installed by the blue\/green tasks for app calc/);
      assert.deepEqual(writes, []);
    } finally {
      await env.cluster.helm('v4', ['uninstall', 'calc-green', '-n', 'calc']);
    }
  });

  it('an object with a managed name that the tasks do not own: refused, nothing written', async () => {
    env.cluster.seed({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'other-active', namespace: 'calc' }, spec: { ports: [{ port: 80 }] } });
    const { result, writes } = await attempt('Deploy', { ...version('1.0.0'), name: 'other' });
    failedClearly(result, /Service calc\/other-active exists but was not created by the blue\/green tasks for app other/);
    assert.deepEqual(writes, [], 'nothing installed, nothing routed');
    assert.equal(activeRelease(env), 'calc-blue');
  });

  it('OnSuccess refuses a failed staged release and leaves production alone', async () => {
    const staged = await attempt('Deploy', version('2.0.0', { neverReady: true }), 30);
    assert.equal(staged.result.outcome, 'Failed');
    const { result, writes } = await attempt('OnSuccess', {}, 30);
    failedClearly(result, /Slot green holds release calc-green \(version 2\.0\.0, failed, run p1\.build-30\); only a deployed release can be promoted/);
    assert.deepEqual(writes, []);
    assert.equal(activeRelease(env), 'calc-blue');
    assert.equal((await env.task('OnFailure', 30)).outcome, 'Succeeded');
  });

  it('OnSuccess refuses a release staged by another run', async () => {
    assert.equal((await env.task('Deploy', 40, version('2.0.0'))).outcome, 'Succeeded');
    const { result, writes } = await attempt('OnSuccess', {}, 41);
    failedClearly(result, /holds release calc-green .* staged by another run \(this run is p1\.build-41\); nothing was changed/);
    assert.deepEqual(writes, []);
    assert.equal((await env.task('OnFailure', 40)).outcome, 'Succeeded');
    assert.deepEqual(releasesIn(env, 'calc'), ['calc-blue']);
  });

  it('secret values reach the release and never the log, even with System.Debug', async () => {
    const secret = 'S3cr3t-Pa55w0rd-for-the-db';
    const run = await env.task('Deploy', 60, { ...version('2.0.0'), secretValues: `db.password=${secret}` }, { variables: { 'System.Debug': 'true' } });
    assert.equal(run.outcome, 'Succeeded', run.log);
    assert.ok(run.secretsRegistered.includes(secret), 'registered with the agent');
    // The one place it may appear is the command that registers it (the agent consumes that line).
    const printed = (run.rawStdout + run.rawStderr).split('\n').filter((l) => !l.startsWith('##vso[task.setsecret]'));
    assert.deepEqual(printed.filter((l) => l.includes(secret)), [], 'the task never printed it');
    const values = await env.cluster.helm('v4', ['get', 'values', 'calc-green', '-n', 'calc', '-o', 'json']);
    assert.equal(JSON.parse(values.stdout).db.password, secret, 'helm got it (through a values file)');
    assert.equal((await env.task('OnFailure', 60)).outcome, 'Succeeded');
  });

  it('an app that was never deployed: OnSuccess and OnFailure have nothing to do, RouteTraffic fails; nothing written', async () => {
    const ghost = { name: 'ghost', namespace: 'ghost' };
    for (const task of ['OnSuccess', 'OnFailure'] as const) {
      const { result, writes } = await attempt(task, ghost);
      assert.equal(result.outcome, 'Succeeded', result.log);
      assert.match(result.message, new RegExp(`App ghost is not deployed \\(namespace ghost does not exist\\): nothing to ${task === 'OnSuccess' ? 'promote' : 'withdraw'}\\.`));
      assert.deepEqual(writes, []);
    }
    const { result, writes } = await attempt('RouteTraffic', { ...ghost, checks: 'GET / expect 200' });
    failedClearly(result, /App ghost is not deployed \(namespace ghost does not exist\): nothing to validate\. Run Deploy first\./);
    assert.deepEqual(writes, []);
  });

  it('RouteTraffic with a malformed check fails before anything happens', async () => {
    const { result, writes } = await attempt('RouteTraffic', { checks: 'GET /ping expect ok' });
    failedClearly(result, /Check "GET \/ping expect ok" is not valid/);
    assert.deepEqual(writes, []);
  });

  it('re-running a finished lifecycle changes nothing', async () => {
    assert.equal((await env.task('Deploy', 50, version('2.0.0'))).outcome, 'Succeeded');
    assert.equal((await env.task('OnSuccess', 50)).outcome, 'Succeeded');
    const deployAgain = await attempt('Deploy', version('2.0.0'), 50);
    assert.equal(deployAgain.result.outcome, 'Succeeded', deployAgain.result.log);
    assert.match(deployAgain.result.log, /already holds this run's release calc-green/);
    assert.deepEqual(deployAgain.writes, [], 'a second Deploy of the same run writes nothing');
    const again = await attempt('OnSuccess', {}, 50);
    assert.equal(again.result.outcome, 'Succeeded', again.result.log);
    assert.deepEqual(again.writes, [], 'a second OnSuccess of the same run writes nothing');
    const failure = await attempt('OnFailure', {}, 50);
    assert.equal(failure.result.outcome, 'Succeeded');
    assert.match(failure.result.message, /already serves production; OnFailure never touches production/);
    assert.deepEqual(failure.writes, []);
    assert.equal(activeRelease(env), 'calc-green');
  });
});

describe('policies: keep the old slot, keep the failed slot, nothing to promote (managed nginx, helm v3)', function () {
  this.timeout(300_000);
  let env: Env;
  const previewRelease = () => env.cluster.store.ofKind('Service', 'calc').find((s) => s.metadata.name === 'calc-preview')?.spec?.selector?.['app.kubernetes.io/instance'];
  before(async () => {
    env = await startEnv({ helm: 'v3', router: 'nginx', ownership: 'managed' });
    assert.equal((await env.task('Deploy', 1, version('1.0.0'))).outcome, 'Succeeded');
  });
  after(() => env?.close());

  it('OnSuccess with nothing staged by this run succeeds and says why', async () => {
    const run = await env.task('OnSuccess', 2);
    assert.equal(run.outcome, 'Succeeded', run.log);
    assert.match(run.message, /Nothing to promote: no slot holds a release from this run \(p1\.build-2\)/);
    assert.equal(run.outputs.promoted, 'false');
  });

  it('retirePolicy keep: the old slot stays installed without traffic, and the next Deploy replaces it', async () => {
    assert.equal((await env.task('Deploy', 3, version('2.0.0'))).outcome, 'Succeeded');
    const probe = env.probe();
    const promote = await env.task('OnSuccess', 3, { retirePolicy: 'keep' });
    assert.equal(promote.outcome, 'Succeeded', promote.log);
    assert.match(promote.log, /Slot blue keeps calc-blue \(version 1\.0\.0\) deployed but unrouted, for a fast rollback/);
    assert.deepEqual(releasesIn(env, 'calc'), ['calc-blue', 'calc-green']);
    assert.equal(activeRelease(env), 'calc-green');
    assert.equal(previewRelease(), 'calc-green', 'nothing routes to the kept slot');
    await new Promise((r) => setTimeout(r, 500));
    const result = await probe.stop();
    assert.equal(result.total.failures, 0);
    const next = await env.task('Deploy', 4, version('3.0.0'));
    assert.equal(next.outcome, 'Succeeded', next.log);
    assert.match(next.log, /Slot blue holds release calc-blue \(version 1\.0\.0, deployed, run p1\.build-1\), no longer routed: replacing it/);
    assert.equal(next.outputs.version, '3.0.0');
  });

  it('keepFailedSlot: the rejected release stays installed, unrouted, and the next Deploy replaces it', async () => {
    const reject = await env.task('OnFailure', 4, { keepFailedSlot: 'true' });
    assert.equal(reject.outcome, 'Succeeded', reject.log);
    assert.equal(reject.outputs.rejectedSlot, 'blue');
    assert.deepEqual(releasesIn(env, 'calc'), ['calc-blue', 'calc-green'], 'kept for debugging');
    assert.equal(previewRelease(), 'calc-green', 'testers no longer reach it either');
    const next = await env.task('Deploy', 5, version('4.0.0'));
    assert.equal(next.outcome, 'Succeeded', next.log);
    assert.equal(next.outputs.slot, 'blue');
    assert.equal(previewRelease(), 'calc-blue');
  });
});

describe('concurrency: two Deploys of the same app at once', function () {
  this.timeout(300_000);
  let env: Env;
  before(async () => {
    env = await startEnv({ helm: 'v4', router: 'nginx', ownership: 'managed' });
    assert.equal((await env.task('Deploy', 1, version('1.0.0'))).outcome, 'Succeeded');
  });
  after(() => env?.close());

  it('one proceeds; the other waits, then fails naming the holder, and production never fails', async () => {
    env.cluster.setReadyDelay(6000);
    const probe = env.probe();
    const first = env.startTask('Deploy', 2, version('2.0.0'));
    await new Promise((r) => setTimeout(r, 1500));
    const second = await env.task('Deploy', 3, { ...version('3.0.0'), lockTimeout: '2' });
    const winner = await first.done;
    env.cluster.setReadyDelay(50);
    assert.equal(winner.outcome, 'Succeeded', winner.log);
    assert.equal(second.outcome, 'Failed');
    assert.match(second.message, /Another lifecycle of app calc holds its lease \(Deploy of run p1\.build-2 on .+\) .*did not finish within 2 s/);
    assert.match(second.log, /Waiting up to 2 s for it to finish/);
    const result = await probe.stop();
    assert.equal(result.total.failures, 0);
    assert.deepEqual(releasesIn(env, 'calc'), ['calc-blue', 'calc-green']);
  });

  it('with a long enough wait, the second Deploy proceeds after the first and replaces its staged release', async () => {
    env.cluster.setReadyDelay(3000);
    const first = env.startTask('Deploy', 4, version('4.0.0'));
    await new Promise((r) => setTimeout(r, 1000));
    const second = await env.task('Deploy', 5, { ...version('5.0.0'), lockTimeout: '60' });
    const winner = await first.done;
    env.cluster.setReadyDelay(50);
    assert.equal(winner.outcome, 'Succeeded', winner.log);
    assert.equal(second.outcome, 'Succeeded', second.log);
    assert.match(second.log, /Another lifecycle of app calc is running: Deploy of run p1\.build-4/);
    assert.match(second.log, /staged but never promoted: replacing it/);
    assert.equal(second.outputs.version, '5.0.0');
  });
});
