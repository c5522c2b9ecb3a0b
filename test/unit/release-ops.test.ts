import * as assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { keyPath, labelValue, typedValue, valuesFromPairs } from '../../shared/helm/slot-release';
import { decodeRelease, displayVersion } from '../../shared/helm/storage';
import { setDotted, valuesOf } from '../../shared/routers/router';

describe('release-ops: values like helm --set', () => {
  it('types values the way helm --set does', () => {
    assert.deepEqual(['true', 'FALSE', 'null', '0', '42', '-7', '007', '1.5', 'abc'].map(typedValue), [true, false, null, 0, 42, -7, '007', '1.5', 'abc']);
  });
  it('nests dotted keys, keeps escaped dots, builds lists', () => {
    assert.deepEqual(keyPath('a.b\\.c[1].d'), ['a', 'b.c', 1, 'd']);
    assert.deepEqual(valuesFromPairs([['image.tag', '2.0'], ['replicas', '3'], ['env[0].name', 'A'], ['annotations.team\\.io/owner', 'x']], true), {
      image: { tag: '2.0' },
      replicas: 3,
      env: [{ name: 'A' }],
      annotations: { 'team.io/owner': 'x' },
    });
  });
  it('keeps secret values as strings', () => {
    assert.deepEqual(valuesFromPairs([['db.password', '12345']], false), { db: { password: '12345' } });
  });
  it('rejects keys it cannot place', () => {
    assert.throws(() => keyPath('[0]'), /not a valid value name/);
    assert.throws(() => keyPath('a[x]'), /invalid list index/);
  });
  it('refuses __proto__, constructor and prototype, so `__proto__.x=y` cannot pollute Object.prototype', () => {
    const probe = () => (Object.prototype as Record<string, unknown>).polluted;
    try {
      assert.throws(() => valuesFromPairs([['__proto__.polluted', 'yes']], true), /"__proto__\.polluted" uses the reserved name '__proto__'/);
      assert.throws(() => valuesFromPairs([['constructor.prototype.polluted', 'yes']], false), /reserved name 'constructor'/);
      assert.throws(() => keyPath('a[0].prototype'), /reserved name 'prototype'/);
      assert.throws(() => setDotted({}, '__proto__.polluted', 'yes'), /The value key '__proto__\.polluted' uses the reserved name '__proto__'/);
      assert.throws(() => valuesOf([['constructor.prototype.polluted', 'yes']]), /reserved name 'constructor'/);
      assert.equal(probe(), undefined, 'Object.prototype untouched');
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });
  it('makes any run id a valid label value', () => {
    assert.equal(labelValue('0f8e-proj/1234'), '0f8e-proj-1234');
    assert.equal(labelValue('--x--'), 'x');
    const long = labelValue(`${'a'.repeat(70)}-9`);
    assert.ok(long.length <= 63 && long.endsWith('-9'));
  });
});

describe('releases: helm storage', () => {
  const encode = (release: object) => Buffer.from(gzipSync(Buffer.from(JSON.stringify(release))).toString('base64')).toString('base64');
  it('decodes base64(base64(gzip(json)))', () => {
    assert.deepEqual(decodeRelease(encode({ name: 'calc-blue', version: 3 })), { name: 'calc-blue', version: 3 });
  });
  it('shows the version value, else the image tag, else the appVersion', () => {
    const chart = { metadata: { name: 'calc', version: '1.0.0', appVersion: '9.9' }, values: { image: { tag: 'default' } } };
    assert.equal(displayVersion({ name: 'x', namespace: 'n', version: 1, chart, config: { version: '3.0.379', image: { tag: 'abc' } } }), '3.0.379');
    assert.equal(displayVersion({ name: 'x', namespace: 'n', version: 1, chart, config: { image: { tag: 'abc' } } }), 'abc');
    assert.equal(displayVersion({ name: 'x', namespace: 'n', version: 1, chart, config: {} }), 'default');
    assert.equal(displayVersion({ name: 'x', namespace: 'n', version: 1, chart: { metadata: { appVersion: '9.9' } }, config: {} }), '9.9');
  });
});
