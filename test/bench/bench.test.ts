import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WriteRecord } from '../cluster/apiserver/faults';
import { decodeRelease, displayVersion } from '../../shared/helm/storage';
import { installStepMs } from './deploy';
import { helmReleaseSecret, unrelatedReleases } from './releases';
import { median, passes, percentile } from './stats';
import { startFenceBlind } from './fenceblind';
import { delayLabel, promoteMetric } from './promote';
import { describeSettles, settlesIn, summarise } from './settles';
import { expectReportedSuccess, ResultWatcher, type TimedRun } from './tasktime';
import { classify } from './writes';

describe('bench: helpers', () => {
  it('seeds releases the way helm stores them, so shared/helm/storage reads them', () => {
    const secret = helmReleaseSecret('svc-7', 'tenant-03', 2);
    assert.equal(secret.type, 'helm.sh/release.v1');
    assert.equal(secret.metadata.name, 'sh.helm.release.v1.svc-7.v2');
    assert.deepEqual(secret.metadata.labels, { owner: 'helm', name: 'svc-7', status: 'deployed', version: '2' });
    const stored = decodeRelease(secret.data.release);
    assert.equal(stored.name, 'svc-7');
    assert.equal(stored.namespace, 'tenant-03');
    assert.equal(stored.info?.status, 'deployed');
    assert.equal(displayVersion(stored), '1.4.2');
  });

  it('spreads the releases over the namespaces', () => {
    const { namespaces, secrets } = unrelatedReleases(10, 4);
    assert.deepEqual(namespaces.map((n) => n.metadata.name), ['tenant-01', 'tenant-02', 'tenant-03', 'tenant-04']);
    assert.equal(secrets.length, 10);
    assert.equal(new Set(secrets.map((s) => s.metadata.namespace)).size, 4);
  });

  it('classifies API writes by who made them and what they touch', () => {
    const w = (over: Partial<WriteRecord>): WriteRecord => ({ seq: 1, time: 0, method: 'PATCH', path: '', resource: 'services', manager: 'bluegreen-task', userAgent: 'node', contentType: '', dryRun: false, ...over });
    assert.equal(classify(w({})), 'routing');
    assert.equal(classify(w({ resource: 'ingresses' })), 'routing');
    assert.equal(classify(w({ resource: 'leases' })), 'lease');
    assert.equal(classify(w({ resource: 'ingresses', name: 'calc-bluegreen-fence' })), 'fence', 'the settle fence routes no user');
    assert.equal(classify(w({ method: 'DELETE', manager: 'helm', userAgent: 'Helm/4.1.4' })), 'helm');
    assert.equal(classify(w({ method: 'PUT', resource: 'configmaps', name: 'calc-bluegreen-record' })), 'record');
    assert.equal(classify(w({ resource: 'configmaps', name: 'calc-settings' })), 'other');
    assert.equal(classify(w({ resource: 'namespaces' })), 'other');
  });

  it('reads the task\'s install step duration from its log', () => {
    const log = ['##[group]Fetch the chart', 'done in 0.0 s', '##[endgroup]', '##[group]Install into slot green (staging)', '[command]helm upgrade', 'done in 0.3 s', '##[endgroup]'].join('\n');
    assert.equal(installStepMs(log), 300);
    assert.equal(installStepMs('no groups'), undefined);
  });

  it('computes medians, percentiles and target verdicts', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9);
    const m = { id: 'x', name: 'x', unit: '×', basis: '', data: {} };
    assert.equal(passes({ ...m, value: 1.3, target: { op: '<=', value: 1.3 } }), true);
    assert.equal(passes({ ...m, value: 1.31, target: { op: '<=', value: 1.3 } }), false);
    assert.equal(passes({ ...m, value: 2, target: { op: '==', value: 1 } }), false);
    assert.equal(passes({ ...m, value: 2 }), undefined);
  });

  // The lines as shared/routers/fence.ts prints them, in a task log as the agent emulator keeps it.
  const promotionLog = [
    '##[group]Wait for the data plane: production reaches slot green',
    '  waiting for ingress-nginx to apply the change (production reaches slot green): fence /.bluegreen/fence/0a1b on calc.example.test',
    '  5 s: ingress-nginx has not applied the change yet (the fence answered 200)',
    '  ingress-nginx applied the change after 4.4 s (the fence answers 503)',
    'done in 4.6 s',
    '##[endgroup]',
    '##[group]Retire slot blue (calc-blue)',
    '##[warning]Cannot observe whether ingress-nginx applied the change: production already answers /.bluegreen/fence/9f8e with 503, the answer that would show the change is applied. Waiting the fixed 5 s (input settleSeconds) instead.',
    'Waiting 5 s: ingress-nginx applies the change (nothing routes to slot blue any more)',
    'done in 7.2 s',
  ].join('\n');

  it('reads every settle of a task and how long it waited from its log', () => {
    assert.deepEqual(settlesIn(promotionLog), [
      { how: 'fence', seconds: 4.4 },
      { how: 'fixed', seconds: 5 },
    ]);
    assert.deepEqual(settlesIn('##[group]Install into slot green (staging)\ndone in 0.3 s'), []);
    const unreachable = '##[warning]Cannot observe whether App Gateway (AGIC) applied the change: http://127.0.0.1:1 gave no HTTP answer for 10 s (connect ECONNREFUSED 127.0.0.1:1). Waiting the fixed 30 s (input settleSeconds) instead.';
    assert.deepEqual(settlesIn(unreachable), [{ how: 'fixed', seconds: 30 }]);
  });

  it('sums and describes the settles', () => {
    assert.deepEqual(summarise(settlesIn(promotionLog)), { count: 2, fence: 1, fixed: 1, seconds: 9.4 });
    assert.equal(describeSettles([{ how: 'fence', seconds: 4.4 }, { how: 'fence', seconds: 4.6 }]), '2 settles (fence), 9.0 s waiting: 4.4 + 4.6 s');
    assert.equal(describeSettles([{ how: 'fixed', seconds: 30 }]), '1 settle (fixed wait), 30.0 s waiting');
    assert.equal(describeSettles([]), '0 settles (fence), 0.0 s waiting');
  });

  it('names the promote metrics by router, delays and settle mode, with the median run\'s settles', () => {
    assert.equal(delayLabel('nginx', 'realistic'), 'REALISTIC_DELAYS (sync 3.3 s, reload 4.3 s)');
    assert.equal(delayLabel('appgw', 'uniform2s'), '2 s per change (ARM 2 s)');
    const fence = (ms: number, waits: number[]) => ({ ms, settles: waits.map((seconds) => ({ how: 'fence' as const, seconds })) });
    const m = promoteMetric('appgw', 'realistic', 'fence', [fence(45_000, [20.1, 20.2]), fence(41_000, [19.5, 20.0]), fence(60_000, [29, 30])], 64_000);
    assert.equal(m.id, 'promote-appgw-realistic-fence');
    assert.equal(m.value, 45);
    assert.equal(m.unit, 's');
    assert.equal(m.basis, 'median of 3 (45.0, 41.0, 60.0 s); 2 settles (fence), 40.3 s waiting: 20.1 + 20.2 s, median 40.3 s; 19 s less than the fixed waits');
  });

  it('hides the fence from a task and forwards everything else to the data plane', async () => {
    const upstream = http.createServer((req, res) => res.writeHead(200, { 'x-seen-host': req.headers.host ?? '' }).end(`pod answered ${req.method} ${req.url}`));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const blind = await startFenceBlind(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, 503);
    const get = (path: string) =>
      new Promise<{ status: number; host: string | undefined; body: string }>((resolve, reject) => {
        http
          .get(`${blind.url}${path}`, { headers: { host: 'calc.example.test' } }, (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, host: res.headers['x-seen-host'] as string | undefined, body }));
          })
          .on('error', reject);
      });
    try {
      const fence = await get('/.bluegreen/fence/0a1b2c');
      assert.equal(fence.status, 503, 'the fence path gets the no-endpoint answer at once, as if production gave it');
      assert.equal(fence.host, undefined, 'the fence request never reaches the data plane');
      assert.equal(blind.fenceAnswers, 1);
      const ping = await get('/ping?x=1');
      assert.deepEqual(ping, { status: 200, host: 'calc.example.test', body: 'pod answered GET /ping?x=1' });
    } finally {
      await blind.close();
      await new Promise<void>((r) => upstream.close(() => r()));
    }
  });

  it('sees the task report its result, even when the line arrives in pieces', () => {
    const w = new ResultWatcher();
    assert.equal(w.push('##[group]Result\ndone in 0.0 s\n##vso[task.setvariable variable=slot;isOutput=true;]blue\n##vso[task.comp'), false);
    assert.equal(w.push('lete result=Succeeded;]First deploy'), false, 'not before the line is whole');
    assert.equal(w.push('\n'), true);
    assert.equal(new ResultWatcher().push('echo ##vso[task.complete result=Failed;]\n'), false, 'only a line that starts with the command');
  });

  it('takes what a reaped task reported as its result, and nothing else', () => {
    const timed = (over: Partial<TimedRun['run']>, reaped: boolean): TimedRun => ({ reaped, exitMs: 1, run: { result: 'Succeeded', outcome: 'Succeeded', message: '', log: '', ...over } as TimedRun['run'] });
    assert.doesNotThrow(() => expectReportedSuccess(timed({}, false), 'Deploy'));
    assert.doesNotThrow(() => expectReportedSuccess(timed({ outcome: 'Failed', signal: 'SIGKILL' }, true), 'Deploy'), 'the kill after its result does not count');
    assert.throws(() => expectReportedSuccess(timed({ outcome: 'Failed' }, false), 'Deploy'), /Deploy ended Failed \(reported Succeeded\)/);
    assert.throws(() => expectReportedSuccess(timed({ result: 'Failed', outcome: 'Failed' }, true), 'OnSuccess'), /OnSuccess ended Failed/);
    assert.throws(() => expectReportedSuccess(timed({ result: undefined, outcome: 'Failed' }, false), 'RouteTraffic'), /reported nothing/);
  });
});
