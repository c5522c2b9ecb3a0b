// Secret values never reach what the agent does not mask: a secretValues `version` and `image.tag` are kept
// out of Deploy's run summary, output variables and message, and out of everything a later task writes
// (which never saw the secret, so the agent cannot mask it there): those show the chart's appVersion.
import * as assert from 'node:assert/strict';
import type { TaskRun } from '../cluster/agent';
import { EXAMPLE_CHART, type Env, startEnv, version } from './env';

const SECRETS = ['s3cr3t-v', 's3cr3t-tag-1'];

/** Everything of a run the agent shows unmasked, or masks only with the secrets it was told about. */
const surfaces = (run: TaskRun): Record<string, string> => ({
  log: run.log,
  message: run.message,
  summaries: run.summaries.join('\n'),
  outputs: JSON.stringify(run.outputs),
  variables: JSON.stringify(run.variables),
  issues: JSON.stringify(run.issues),
});

function assertNoSecret(name: string, run: TaskRun | undefined): void {
  assert.ok(run, `${name} ran`);
  for (const [surface, text] of Object.entries(surfaces(run))) {
    for (const secret of SECRETS) assert.ok(!text.includes(secret), `${name}: the ${surface} shows the secret ${secret}:\n${text}`);
  }
}

describe('secret values: never in summaries, outputs or messages (managed nginx, helm v4)', function () {
  this.timeout(300_000);
  let env: Env;
  const runs: Record<string, TaskRun> = {};
  /** The bluegreen-version label of each stored revision of calc-green, right after Deploy. */
  let marks: Array<string | undefined> = [];
  let latestMark: string | undefined;

  before(async () => {
    env = await startEnv({ helm: 'v4', router: 'nginx', ownership: 'managed' });
    runs.first = await env.task('Deploy', 1, version('1.0.0'));
    runs.deploy = await env.task('Deploy', 2, {
      chart: EXAMPLE_CHART,
      setValues: 'replicaCount=2',
      secretValues: `version=${SECRETS[0]}\nimage.tag=${SECRETS[1]}`,
      timeout: '60s',
    });
    marks = env.cluster.store
      .ofKind('Secret', 'calc')
      .filter((s) => s.metadata.labels?.owner === 'helm' && s.metadata.labels?.name === 'calc-green')
      .map((s) => s.metadata.labels?.['bluegreen-version']);
    runs.route = await env.task('RouteTraffic', 2, { checks: 'GET /ping expect 200' });
    runs.failure = await env.task('OnFailure', 2, { keepFailedSlot: 'true' });
    runs.next = await env.task('Deploy', 3, version('3.0.0'));
    latestMark = env.cluster.store
      .ofKind('Secret', 'calc')
      .filter((s) => s.metadata.labels?.owner === 'helm' && s.metadata.labels?.name === 'calc-green')
      .sort((a, b) => Number(b.metadata.labels?.version) - Number(a.metadata.labels?.version))
      .map((s) => `r${s.metadata.labels?.version} ${s.metadata.labels?.['bluegreen-version']}`)[0];
  });
  after(() => env?.close());

  it('Deploy stages the release with the secret values, marked as carrying a secret version', () => {
    assert.equal(runs.first?.outcome, 'Succeeded', runs.first?.message);
    assert.equal(runs.deploy?.outcome, 'Succeeded', `${runs.deploy?.message}\n${runs.deploy?.log}`);
    assert.ok(SECRETS.every((secret) => runs.deploy?.secretsRegistered.includes(secret)), 'Deploy registered the secret values');
    assert.equal(runs.deploy?.outputs.stagingSlot, 'green');
    assert.equal(runs.deploy?.outputs.version, '1.0.0', "the chart's appVersion, not the secret");
    assert.ok(marks.length > 0 && marks.every((mark) => mark === 'secret'), `every revision of calc-green is marked: ${JSON.stringify(marks)}`);
  });

  it("Deploy's log, summary, outputs and message never contain the secret", () => {
    assertNoSecret('Deploy', runs.deploy);
    assert.ok((runs.deploy?.summaries.length ?? 0) > 0, 'a summary was written');
  });

  it('a later RouteTraffic and OnFailure, which never saw the secret, do not show it either', () => {
    assert.equal(runs.route?.outcome, 'Succeeded', `${runs.route?.message}\n${runs.route?.log}`);
    assert.equal(runs.failure?.outcome, 'Succeeded', `${runs.failure?.message}\n${runs.failure?.log}`);
    const known = [...runs.route?.secretsRegistered, ...runs.failure?.secretsRegistered];
    assert.ok(!SECRETS.some((secret) => known.includes(secret)), 'the later tasks did not know the secret (the agent could not mask it)');
    assertNoSecret('RouteTraffic', runs.route);
    assertNoSecret('OnFailure', runs.failure);
    assert.match(runs.route?.summaries.join('\n'), /\| green \| staging \| calc-green r\d+ \| calc \| 1\.0\.0 \|/);
  });

  it('a later Deploy without a secret version into the same slot shows its version again (the mark is replaced)', () => {
    assert.equal(runs.next?.outcome, 'Succeeded', `${runs.next?.message}\n${runs.next?.log}`);
    assert.equal(runs.next?.outputs.stagingSlot, 'green');
    assert.equal(runs.next?.outputs.version, '3.0.0');
    assert.match(latestMark ?? '', /^r[2-9]\d* shown$/, 'an upgrade of the marked release (revision 2 or later), now shown');
  });
});
