// L0: each task, compiled but not bundled, run by task-lib's MockTestRunner with bad inputs. Every case
// must fail the task with one readable sentence and no stack trace, before any cluster is contacted
// (later stages need a cluster: the integration suites cover them).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';
import type { L0Scenario } from './l0runner';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

describe('tasks reject bad input (MockTestRunner)', () => {
  let tempDirectory: string;
  before(() => {
    tempDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'l0-'));
  });
  after(() => fs.rmSync(tempDirectory, { recursive: true, force: true }));

  async function run(task: L0Scenario['task'], inputs: Record<string, string>): Promise<MockTestRunner> {
    const scenario: L0Scenario = { task, inputs, tempDirectory };
    process.env.BLUEGREEN_L0_SCENARIO = JSON.stringify(scenario);
    try {
      const runner = new MockTestRunner(path.join(__dirname, 'l0runner.js'), path.join(repoRoot, 'tasks', task, 'task.json'));
      // Run on this Node: without nodePath the runner downloads the Node version task.json names.
      runner.nodePath = process.execPath;
      await runner.runAsync();
      return runner;
    } finally {
      delete process.env.BLUEGREEN_L0_SCENARIO;
    }
  }

  function assertFailedWith(runner: MockTestRunner, message: RegExp): void {
    assert.ok(runner.failed, `the task failed\n${runner.stdout}\n${runner.stderr}`);
    assert.equal(runner.errorIssues.length, 1, `one error: ${JSON.stringify(runner.errorIssues)}`);
    const [error] = runner.errorIssues;
    assert.match(error ?? '', message);
    assert.doesNotMatch(error ?? '', /\n|\s+at .+:\d+:\d+/, 'no stack trace in the message');
    assert.doesNotMatch(runner.stderr, /\s+at .+:\d+:\d+/, 'nothing crashed on stderr');
  }

  const cluster = { kubernetesServiceEndpoint: 'aks-prod', name: 'calculator', namespace: 'calculator', host: 'calc.contoso.com' };

  it('Deploy without any input names the first missing one', async () => {
    assertFailedWith(await run('Deploy', {}), /^Input 'name' \(app name\) is required\.$/);
  });

  it('Deploy with an invalid app name', async () => {
    assertFailedWith(await run('Deploy', { ...cluster, name: 'Calculator_v2', chart: 'oci://r.io/c' }), /^Input 'name' is 'Calculator_v2'/);
  });

  it('Deploy with an unknown router', async () => {
    assertFailedWith(await run('Deploy', { ...cluster, router: 'haproxy', chart: 'oci://r.io/c' }), /Input 'router' is 'haproxy'/);
  });

  it('Deploy with managed nginx routing across per-slot namespaces', async () => {
    assertFailedWith(
      await run('Deploy', { ...cluster, namespaceLayout: 'perSlot', chart: 'oci://r.io/c' }),
      /needs namespaceLayout 'shared'.*own namespace/,
    );
  });

  it('Deploy without a chart', async () => {
    assertFailedWith(await run('Deploy', cluster), /Input 'chart'.*is required/);
  });

  it('RouteTraffic with a percentage over 100', async () => {
    assertFailedWith(await run('RouteTraffic', { ...cluster, trafficPercent: '150' }), /Input 'trafficPercent' is '150'.*0 to 100/);
  });

  it('OnSuccess with an unknown retire policy', async () => {
    assertFailedWith(await run('OnSuccess', { ...cluster, retirePolicy: 'archive' }), /Input 'retirePolicy' is 'archive'/);
  });

  it('OnFailure with an Azure connection but no cluster', async () => {
    const arm = { connectionType: 'Azure Resource Manager', azureSubscriptionEndpoint: 'sub', azureResourceGroup: 'rg' };
    assertFailedWith(await run('OnFailure', { name: 'calculator', namespace: 'calculator', host: 'calc.contoso.com', ...arm }), /Input 'kubernetesCluster'.*required/);
  });
});
