import * as assert from 'node:assert/strict';
import type { WriteRecord } from '../cluster/apiserver/faults';
import { decodeRelease, displayVersion } from '../../shared/releases';
import { installStepMs } from './deploy';
import { helmReleaseSecret, unrelatedReleases } from './releases';
import { median, passes, percentile } from './stats';
import { classify } from './writes';

describe('bench: helpers', () => {
  it('seeds releases the way helm stores them, so shared/releases reads them', () => {
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
});
