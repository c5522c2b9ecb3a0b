// npm test's file order (scripts/test-all.ts): every test file exactly once, the longest suites first.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { LONGEST_FIRST, ordered, testFiles } from '../../scripts/test-all';

describe('npm test: the order of the test files', () => {
  const all = testFiles(path.resolve(__dirname, '..'));

  it('runs every test file once, the slow suites first in the listed order', () => {
    const order = ordered(all);
    assert.deepEqual([...order].sort(), [...all].sort());
    assert.equal(new Set(order).size, order.length);
    LONGEST_FIRST.forEach((re, i) => assert.match(order[i]!.split(path.sep).join('/'), re));
    assert.ok(order.some((f) => f.endsWith(path.join('unit', 'test-order.test.js'))), 'this file is among them');
  });

  it('refuses a slow-suite entry that names no file (a renamed suite would otherwise run last again)', () => {
    assert.throws(() => ordered(all.filter((f) => !f.includes('crash-appgw-chart'))), /crash-appgw-chart/);
  });
});
