// The run summary: the slots with failed releases shown as failed, who gets traffic, how testers reach
// the staged slot, and every check with its result.
import * as assert from 'node:assert/strict';
import { summaryMarkdown, summaryName, testerAccess } from '../../shared/report/summary';
import { live, promoted, rev, state } from './plan-fixtures';

const testers = { label: 'staging (slot green)', baseUrl: 'https://calc.contoso.com', pathPrefix: '', headers: { canary: 'always' } };

describe('run summary', () => {
  it('names the staging address and how testers select the staged slot', () => {
    const md = summaryMarkdown({
      task: 'Deploy',
      outcome: 'succeeded',
      headline: 'Version 2.0 is staged in slot green; production stays on slot blue.',
      notes: [],
      state: state({ production: 'blue', staging: 'green' }, { blue: { version: '1.0' }, green: { version: '2.0' } }),
      testers,
      checks: [],
    });
    assert.match(md, /^### Succeeded: Version 2\.0 is staged/);
    assert.match(md, /\*\*Testers\*\* reach slot green at https:\/\/calc\.contoso\.com\/ with header `canary: always`\./);
    assert.match(md, /\| blue \| production \| calc-blue r1 \| calc \| 1\.0 \| deployed \| 100 % \|/);
    assert.match(md, /\| green \| staging \| calc-green r1 \| calc \| 2\.0 \| deployed \| 0 % \(\+ testers\) \|/);
  });

  it('shows a failed release as failed, and the failed check with its answer', () => {
    const md = summaryMarkdown({
      task: 'RouteTraffic',
      outcome: 'failed',
      headline: 'Validation failed after 3 s',
      notes: [],
      state: state({ production: 'blue' }, { blue: { version: '1.0' }, green: { version: '3.0', status: 'failed' } }),
      checks: [{ target: 'staging (slot green)', line: 'GET /ping expect 200', ok: false, detail: 'answered 500, expected 200' }],
    });
    assert.match(md, /^### Failed: Validation failed/);
    assert.match(md, /\| green \| failed \| calc-green r1 \| calc \| 3\.0 \| failed \| 0 % \|/);
    assert.match(md, /\| `GET \/ping expect 200` \| staging \(slot green\) \| FAILED: answered 500, expected 200 \|/);
    assert.doesNotMatch(md, /Testers/, 'nothing is staged, so no tester address');
  });

  it('an App Gateway staging route is a path, and a table cell cannot be broken by a pipe', () => {
    assert.equal(testerAccess({ ...testers, pathPrefix: '/canary', headers: {} }), 'https://calc.contoso.com/canary/');
    const md = summaryMarkdown({ task: 'OnSuccess', outcome: 'succeeded', headline: 'a | b', notes: [], state: state({ production: 'blue' }, { blue: {} }), checks: [{ target: 'production (slot blue)', line: 'GET /x expect 200 contains a|b', ok: true, detail: 'answered 200' }] });
    assert.match(md, /contains a\\\|b/);
    assert.equal(summaryName('OnSuccess', 'calc'), 'Blue/green OnSuccess: calc');
  });

  it('lists the app\'s latest promotions and rollbacks: when, run, who, which versions, outcome', () => {
    const rollback = { ...promoted(rev('blue', { version: '1.0' }), 'confirmed', 'build-9', rev('green', { version: '2.0' })), rollback: true, by: 'Ana' };
    const history = [rollback, promoted(rev('green', { version: '2.0' }), 'confirmed', 'build-8', rev('blue', { version: '1.0' })), live('blue', 'build-7')];
    const md = summaryMarkdown({ task: 'Rollback', outcome: 'succeeded', headline: 'back', notes: [], state: state({ production: 'blue' }, { blue: {} }, { promotions: history }), checks: [] });
    assert.match(md, /\| t \| build-9 \| Ana \| rollback: 2\.0 \(slot green\) -> 1\.0 \(slot blue\) \| done \|/);
    assert.match(md, /\| t \| build-8 \|  \| 1\.0 \(slot blue\) -> 2\.0 \(slot green\) \| done \|/);
    assert.match(md, /\| build-7 \|  \| first deploy: 1\.0 \(slot blue\) \| done \|/);
  });
});
