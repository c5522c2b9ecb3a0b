// App settings stated once: Deploy records the app's layout and routing in the cluster; RouteTraffic,
// OnSuccess and OnFailure then run with only the connection, the app's name and namespace (and their own
// inputs), on every router. A later task or Deploy whose settings contradict the record is refused before
// it writes anything, naming both values; a Deploy with changeSettings changes them on purpose.
import * as assert from 'node:assert/strict';
import { checksFor, type Env, HOST, type RouterName, startEnv, version } from './env';
import { startGatewayEnv } from './env-gateway';
import { startTrafficManagerEnv } from './env-trafficmanager';
import { RECORDED_INPUTS } from '../../shared/core/settings';
import { expectOutcome, resource } from './expect';


/** A later task's inputs: every setting left empty (the record has them); the connection, name and namespace stay. */
function onlyApp(env: Env, more: Record<string, string> = {}): Record<string, string> {
  const blank = Object.fromEntries(Object.keys(env.common).filter((k) => RECORDED_INPUTS.includes(k)).map((k) => [k, '']));
  return { ...blank, ...more };
}

/** The pipeline variables of a YAML run, for the azure-pipelines/* annotations. */
const PIPELINE = { 'Build.BuildNumber': '20261130.2', 'Build.DefinitionName': 'calc-cd', 'System.DefinitionId': '7', 'System.TeamFoundationCollectionUri': 'https://dev.azure.com/contoso/', 'System.TeamProject': 'web', 'Agent.JobName': 'Deploy calc' };

const record = (env: Env) => {
  const ns = env.options.layout === 'shared' ? env.options.namespace : `blue-${env.options.namespace}`;
  const cm = env.cluster.store.get(resource('ConfigMap'), ns, `${env.options.app}-bluegreen-record`);
  return JSON.parse(String(cm?.data?.record ?? '{}')) as { settings?: { inputs: Record<string, string> } };
};

const CASES: Array<{ title: string; router: RouterName; start: () => Promise<Env> }> = [
  { title: 'ingress-nginx, managed, helm 4', router: 'nginx', start: () => startEnv({ helm: 'v4', router: 'nginx', ownership: 'managed' }) },
  { title: 'App Gateway, chart-owned, helm 3', router: 'appgw', start: () => startEnv({ helm: 'v3', router: 'appgw', ownership: 'chart' }) },
  { title: 'Gateway API, per-slot namespaces, helm 4', router: 'gateway', start: () => startGatewayEnv({ helm: 'v4', layout: 'perSlot' }) },
  { title: 'Traffic Manager, managed, helm 3', router: 'trafficmanager', start: () => startTrafficManagerEnv({ helm: 'v3', ownership: 'managed', ttl: 2, margin: 0 }) },
];

for (const c of CASES) {
  describe(`settings stated once: ${c.title}`, function () {
    this.timeout(600_000);
    let env: Env;
    before(async () => {
      env = await c.start();
    });
    after(() => env?.close());

    it('Deploy records the settings; the later tasks run the lifecycle with only connection, name and namespace', async () => {
      expectOutcome(await env.task('Deploy', 1, version('1.0.0')), 'Succeeded');
      assert.equal(record(env).settings?.inputs.router, c.router, 'the router is recorded');
      expectOutcome(await env.task('Deploy', 2, version('2.0.0'), { variables: PIPELINE }), 'Succeeded');
      const staged = env.cluster.store.list(resource('Deployment')).filter((d) => d.metadata.labels?.['app.kubernetes.io/instance']?.includes('green'));
      assert.ok(staged.length > 0, 'the staged slot has a Deployment');
      for (const d of staged) assert.equal(d.metadata.annotations?.['azure-pipelines/runuri'], 'https://dev.azure.com/contoso/web/_build/results?buildId=2', `${d.metadata.name} names its run`);
      const route = await env.task('RouteTraffic', 2, onlyApp(env, checksFor('2.0.0')));
      expectOutcome(route, 'Succeeded');
      assert.equal(route.outputs.checksPassed, 'true');
      const promote = await env.task('OnSuccess', 2, onlyApp(env, checksFor('2.0.0')));
      expectOutcome(promote, 'Succeeded');
      assert.equal(promote.outputs.productionVersion, '2.0.0');
      expectOutcome(await env.task('Deploy', 3, version('3.0.0')), 'Succeeded');
      const reject = await env.task('OnFailure', 3, onlyApp(env));
      expectOutcome(reject, 'Succeeded');
      assert.equal(reject.outputs.productionVersion, '2.0.0');
      assert.ok(reject.outputs.rejectedSlot, 'the staged slot was withdrawn');
    });

    const contradictions: Array<{ task: 'Deploy' | 'RouteTraffic' | 'OnSuccess' | 'OnFailure'; input: string; value: string; recorded: string }> = [
      // A contradiction that is valid on its own (an invalid one is refused by the input checks anyway).
      c.router === 'nginx' ? { task: 'Deploy', input: 'router', value: 'appgw', recorded: 'nginx' } : { task: 'Deploy', input: 'host', value: 'other.example.test', recorded: HOST },
      { task: 'RouteTraffic', input: 'host', value: 'other.example.test', recorded: HOST },
      { task: 'OnSuccess', input: 'routingOwnership', value: c.router === 'appgw' ? 'managed' : 'chart', recorded: c.router === 'appgw' ? 'chart' : 'managed' },
      { task: 'OnFailure', input: 'router', value: c.router === 'gateway' ? 'trafficmanager' : 'gateway', recorded: c.router },
    ];
    for (const k of contradictions) {
      it(`${k.task} with ${k.input} ${k.value} is refused, naming both values, with nothing written`, async () => {
        const mark = env.cluster.writes.mark();
        const before = record(env);
        const given = k.task === 'Deploy' ? { ...version('4.0.0'), [k.input]: k.value } : onlyApp(env, { [k.input]: k.value });
        const run = await env.task(k.task, 4, given);
        expectOutcome(run, 'Failed');
        assert.match(run.message, new RegExp(`${k.input}: recorded (\\(not set\\)|'${k.recorded}'), this task says '${k.value}'`));
        assert.match(run.message, /nothing was changed/);
        assert.deepEqual(env.cluster.writes.since(mark).filter((w) => !w.dryRun).map((w) => `${w.method} ${w.resource} ${w.name}`), []);
        assert.deepEqual(record(env), before);
      });
    }
  });
}

describe('settings stated once: a deliberate change', function () {
  this.timeout(300_000);
  let env: Env;
  before(async () => {
    env = await startEnv({ helm: 'v4', router: 'nginx', ownership: 'managed' });
  });
  after(() => env?.close());

  it('Deploy with changeSettings records the new settings, and the later tasks follow them', async () => {
    expectOutcome(await env.task('Deploy', 1, version('1.0.0')), 'Succeeded');
    const refused = await env.task('Deploy', 2, { ...version('2.0.0'), stagingHeader: 'x-preview' });
    expectOutcome(refused, 'Failed');
    assert.match(refused.message, /stagingHeader: recorded 'canary', this task says 'x-preview'.*changeSettings: true/);
    const changed = await env.task('Deploy', 2, { ...version('2.0.0'), stagingHeader: 'x-preview', changeSettings: 'true' });
    expectOutcome(changed, 'Succeeded');
    assert.match(changed.log, /Changing the settings of app calc \(changeSettings\): stagingHeader/);
    assert.equal(record(env).settings?.inputs.stagingHeader, 'x-preview');
    const route = await env.task('RouteTraffic', 2, onlyApp(env, checksFor('2.0.0')));
    expectOutcome(route, 'Succeeded');
    assert.match(route.summaries.join('\n'), /with header `x-preview: always`/, 'testers reach staging with the new header');
  });

  it('the namespace layout cannot change, even on purpose', async () => {
    const run = await env.task('Deploy', 3, { ...version('3.0.0'), stagingHeader: 'x-preview', namespaceLayout: 'perSlot', router: 'gateway', gatewayName: 'public', changeSettings: 'true' });
    expectOutcome(run, 'Failed');
    assert.match(run.message, /namespaceLayout shared; the layout cannot change/);
  });
});
