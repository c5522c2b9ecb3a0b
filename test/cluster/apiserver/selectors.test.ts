import * as assert from 'node:assert/strict';
import { ApiError } from './errors';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, selectorRequirements } from './selectors';
import type { KubeObject } from '../store';

const labels = { owner: 'helm', name: 'web', status: 'deployed', 'app.kubernetes.io/instance': 'web-blue' };

describe('label selectors', () => {
  const table: Array<[string, boolean]> = [
    ['', true],
    ['owner=helm', true],
    ['owner==helm', true],
    ['owner=helm,name=web', true],
    ['owner=helm,name=api', false],
    ['owner!=helm', false],
    ['missing!=x', true],
    ['status in (deployed, failed)', true],
    ['status in (failed)', false],
    ['status notin (failed,superseded)', true],
    ['status notin (deployed)', false],
    ['missing notin (x)', true],
    ['owner', true],
    ['missing', false],
    ['!missing', true],
    ['!owner', false],
    ['app.kubernetes.io/instance=web-blue', true],
    ['app.kubernetes.io/instance in (web-blue,web-green),owner=helm', true],
  ];
  for (const [selector, expected] of table) {
    it(`${JSON.stringify(selector)} ${expected ? 'matches' : 'does not match'}`, () => {
      assert.equal(matchesLabels(parseLabelSelector(selector), labels), expected);
    });
  }

  it('rejects a malformed selector with 400', () => {
    assert.throws(() => parseLabelSelector('a b c'), (e: ApiError) => e.code === 400);
    assert.throws(() => parseLabelSelector('-bad=x'), (e: ApiError) => e.code === 400);
  });

  it('turns structured selectors (matchLabels, matchExpressions) into the same requirements', () => {
    const req = selectorRequirements({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'slot', operator: 'In', values: ['blue'] }, { key: 'canary', operator: 'DoesNotExist' }] });
    assert.equal(matchesLabels(req, { app: 'web', slot: 'blue' }), true);
    assert.equal(matchesLabels(req, { app: 'web', slot: 'blue', canary: 'x' }), false);
    assert.equal(matchesLabels(selectorRequirements({ app: 'web' }), { app: 'web', extra: '1' }), true);
  });
});

describe('field selectors', () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'shop' }, status: { phase: 'Running' } } as KubeObject;
  it('match metadata.name (what helm hooks watch with), namespace and status.phase', () => {
    assert.equal(matchesFields(parseFieldSelector('metadata.name=web-1'), pod), true);
    assert.equal(matchesFields(parseFieldSelector('metadata.name=web-2'), pod), false);
    assert.equal(matchesFields(parseFieldSelector('metadata.name!=web-2,status.phase=Running'), pod), true);
    assert.equal(matchesFields(parseFieldSelector('metadata.namespace==other'), pod), false);
  });
  it('rejects fields the server does not index', () => {
    assert.throws(() => parseFieldSelector('spec.foo=bar'), (e: ApiError) => e.code === 400);
  });
});
