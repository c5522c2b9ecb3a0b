import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import type { ProbeRecord } from '../cluster/probe';
import { parseDemoArgs } from './options';
import { makeStyle } from './style';
import { condenseLog, shortenPaths } from './tasklog';
import { phaseView, verdict, type VerdictInput } from './verdict';

const plain = makeStyle(false);
const repoRoot = '/repo';

const LOG = [
  `Cluster: kubeconfig file ${os.tmpdir()}/local-cluster-1/kubeconfig; API server http://127.0.0.1:1 (Kubernetes v1.33.0), context local.`,
  '##[group]Read the blue/green state',
  'App calc (namespace calc), ingress-nginx, routing managed by the task:',
  '  blue  production calc-blue r1                 1.0.0          deployed   users 100 %',
  '  green absent     -                            -              -          users 0 %',
  'done in 0.0 s',
  '##[endgroup]',
  '##[group]Install into slot green (staging)',
  `[command]/repo/.cache/helm/4.1.4/helm upgrade --install calc-green /repo/examples/chart --values ${os.tmpdir()}/agent-1/_temp/bluegreen-2/set-values.yaml`,
  'NAME: calc-green',
  'LAST DEPLOYED: Thu Nov 26 11:36:01 2026',
  'STATUS: deployed',
  'REVISION: 1',
  '',
  'done in 0.2 s',
  '##[endgroup]',
  '##[group]Validate slot green',
  'FAIL staging (slot green): GET /ping answered 500, expected 200 (3 ms)',
  '  attempt 1 did not pass; retrying in 1 s (5 s left)',
  'FAIL staging (slot green): GET /ping answered 500, expected 200 (4 ms)',
  '##[warning]slow answers',
  'failed after 4.0 s',
  '##[endgroup]',
  '##[error]Validation failed.',
].join('\n');

describe('demo: task log condensing', () => {
  it('turns groups into titled sections with their duration and folds helm boilerplate and retries', () => {
    const { lines } = condenseLog(LOG, { style: plain, repoRoot, resultMessage: 'Validation failed.' });
    assert.deepEqual(lines, [
      '  ▸ Read the blue/green state  0.0 s',
      '      App calc (namespace calc), ingress-nginx, routing managed by the task:',
      '        blue  production calc-blue r1                 1.0.0          deployed   users 100 %',
      '        green absent     -                            -              -          users 0 %',
      '  ▸ Install into slot green (staging)  0.2 s',
      '      $ helm upgrade --install calc-green ./examples/chart --values set-values.yaml',
      '      helm: release deployed, revision 1',
      '  ✖ Validate slot green  failed after 4.0 s',
      '      FAIL staging (slot green): GET /ping answered 500, expected 200 (3 ms) (×2)',
      '      ⚠ slow answers',
      '      (retried 1 time)',
    ]);
  });

  it('keeps an error that is not the result message, and the preamble when asked', () => {
    const { lines } = condenseLog(`${LOG}\n##[error]Something else.`, { style: plain, repoRoot, showPreamble: true });
    assert.match(lines[0] ?? '', /^ {2}Cluster: kubeconfig file kubeconfig;/);
    assert.equal(lines.at(-2), '  ✖ Validation failed.');
    assert.equal(lines.at(-1), '  ✖ Something else.');
  });

  it('drops the opening slot table when the previous task ended with the same one', () => {
    const first = condenseLog(LOG, { style: plain, repoRoot });
    assert.equal(first.state?.length, 2);
    const again = condenseLog(LOG, { style: plain, repoRoot, previousState: first.state });
    assert.deepEqual(again.lines.slice(0, 2), ['  ▸ Read the blue/green state  0.0 s', '      (slots as the previous step left them)']);
    const changed = condenseLog(LOG, { style: plain, repoRoot, previousState: ['  blue  staging'] });
    assert.equal(changed.lines.length, first.lines.length);
  });

  it('shortens temp paths, the repository and the helm binary', () => {
    assert.equal(shortenPaths(`[command]/a/b/helm uninstall x --kubeconfig ${os.tmpdir()}/y/kubeconfig;`, repoRoot), '$ helm uninstall x --kubeconfig kubeconfig;');
    assert.equal(shortenPaths('chart /repo/examples/c', repoRoot), 'chart ./examples/c');
  });
});

const record = (seq: number, phase: string, status: number, version?: string): ProbeRecord => ({ seq, phase, at: seq * 40, durationMs: 2, status, version, failed: status !== 200 });

describe('demo: probe phases and verdict', () => {
  const records = [record(1, '1', 404), record(2, '1', 404), record(3, '1', 200, '1.0.0'), record(4, '2', 200, '1.0.0'), record(5, '2', 404), record(6, '2', 404), record(7, '2', 200, '2.0.0')];

  it('does not count the first deploy before production existed, and counts every failure after', () => {
    const first = phaseView(records, '1', '1');
    assert.equal(first.beforeProduction, 2);
    assert.equal(first.failures, 0);
    assert.equal(first.requests, 1);
    const second = phaseView(records, '2', '1');
    assert.equal(second.failures, 2);
    assert.deepEqual(second.failureStatuses, { '404': 2 });
    assert.equal(second.longestFailureWindowMs, 80);
    assert.deepEqual(second.versions, { '1.0.0': 1, '2.0.0': 1 });
  });

  const input = (over: Partial<VerdictInput>): VerdictInput => ({
    steps: [{ title: 'RouteTraffic v3', expect: 'Failed', outcome: 'Failed', message: 'Validation failed' }],
    phases: [phaseView(records, '1', '1')],
    finalProduction: { slot: 'green', version: '2.0.0', otherSlotEmpty: true },
    finalVersion: '2.0.0',
    brokenVersion: '3.0.0',
    skipped: [],
    ...over,
  });

  it('passes when every step did what it must and production never failed', () => {
    const v = verdict(input({}));
    assert.equal(v.ok, true);
    assert.match(v.lines[0]?.text ?? '', /production never failed a request \(1 requests\)/);
  });

  it('fails on a failed production request, an unexpected outcome, the broken version reaching users, or a wrong end state', () => {
    assert.equal(verdict(input({ phases: [phaseView(records, '2', '1')] })).ok, false);
    assert.equal(verdict(input({ steps: [{ title: 'RouteTraffic v3', expect: 'Failed', outcome: 'Succeeded', message: '' }] })).ok, false);
    assert.equal(verdict(input({ phases: [{ ...phaseView(records, '1', '1'), versions: { '3.0.0': 1 } }] })).ok, false);
    assert.equal(verdict(input({ finalProduction: { slot: 'blue', version: '3.0.0', otherSlotEmpty: true } })).ok, false);
    assert.equal(verdict(input({ finalProduction: { slot: 'green', version: '2.0.0', otherSlotEmpty: false } })).ok, false);
  });

  it('accepts failures only inside the documented window phase, and says so', () => {
    const v = verdict(input({ phases: [phaseView(records, '2', '1')], windowPhase: '2' }));
    assert.equal(v.ok, true);
    assert.equal(v.lines[0]?.warn, true);
    assert.match(v.lines[0]?.text, /2 of 4 requests, all in the switch of step 2 \(404 ×2, 80 ms\)/);
  });
});

describe('demo: flags', () => {
  it('defaults to ingress-nginx, managed routing, helm 4', () => {
    assert.deepEqual(parseDemoArgs([]), { router: 'nginx', ownership: 'managed', helm: 'v4' });
  });
  it('takes router, ownership and helm, and refuses anything else', () => {
    assert.deepEqual(parseDemoArgs(['--router', 'appgw', '--ownership', 'chart', '--helm', '3']), { router: 'appgw', ownership: 'chart', helm: 'v3' });
    assert.throws(() => parseDemoArgs(['--router', 'gateway']), /--router is 'gateway'; use one of: nginx, appgw/);
    assert.throws(() => parseDemoArgs(['--ownership', 'chart']), /--ownership chart works with --router appgw only: .*404 window/);
    assert.throws(() => parseDemoArgs(['--colour']));
    assert.equal(parseDemoArgs(['--help']), undefined);
  });
});
