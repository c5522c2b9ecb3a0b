import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { repoRoot } from '../../../scripts/fetch-helm';
import { ApiError } from './errors';
import { decodeProtobufBody, encodeEnvelope, encodeField } from './protobuf';
import { must } from '../../must';

const fixtures = JSON.parse(fs.readFileSync(path.join(repoRoot, 'test', 'cluster', 'apiserver', 'fixtures', 'helm-protobuf.json'), 'utf8')) as Record<string, string>;
const body = (name: string) => Buffer.from(must(fixtures[name], `fixture ${name} in helm-protobuf.json`), 'base64');

/** helm's release payload: base64 (the Secret's data) of base64 of gzipped JSON. */
const releaseOf = (data: string) => JSON.parse(gunzipSync(Buffer.from(Buffer.from(data, 'base64').toString('utf8'), 'base64')).toString('utf8'));

describe('protobuf decoding', () => {
  it("decodes helm 3's release Secret create into the JSON object it stands for", () => {
    const secret = decodeProtobufBody(body('helm3SecretCreate')) as { metadata: { name: string; labels: Record<string, string> }; type: string; data: { release: string } };
    assert.equal(secret.metadata.name, 'sh.helm.release.v1.tiny.v1');
    assert.deepEqual(Object.keys(secret.metadata.labels).sort(), ['createdAt', 'name', 'owner', 'status', 'version']);
    assert.equal(secret.metadata.labels.status, 'pending-install');
    assert.equal(secret.type, 'helm.sh/release.v1');
    const release = releaseOf(secret.data.release);
    assert.equal(release.name, 'tiny');
    assert.equal(release.version, 1);
    assert.match(release.manifest, /kind: ConfigMap/);
    assert.equal('namespace' in secret.metadata, false, 'empty strings helm encodes are dropped');
    assert.equal('creationTimestamp' in secret.metadata, false, 'zero timestamps are dropped');
  });

  it("decodes helm 4's release Secret update", () => {
    const secret = decodeProtobufBody(body('helm4SecretUpdate')) as { metadata: { labels: Record<string, string> }; data: { release: string } };
    assert.equal(secret.metadata.labels.status, 'deployed');
    assert.equal(releaseOf(secret.data.release).info.status, 'deployed');
  });

  it("decodes helm's DeleteOptions", () => {
    assert.deepEqual(decodeProtobufBody(body('helm3SecretDelete')), { apiVersion: 'v1', kind: 'DeleteOptions' });
    const withPolicy = encodeEnvelope('meta.k8s.io/v1', 'DeleteOptions', Buffer.concat([encodeField(4, 'Background'), encodeField(2, encodeField(2, '1234'))]));
    assert.deepEqual(decodeProtobufBody(withPolicy), { apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions', propagationPolicy: 'Background', preconditions: { resourceVersion: '1234' } });
  });

  it('decodes Namespace and ConfigMap (maps, nested messages, repeated fields, timestamps)', () => {
    const meta = Buffer.concat([
      encodeField(1, 'calc'),
      encodeField(3, ''),
      encodeField(8, encodeField(1, 1767225600)),
      encodeField(11, Buffer.concat([encodeField(1, 'team'), encodeField(2, 'blue')])),
      encodeField(14, 'example.com/cleanup'),
      encodeField(13, Buffer.concat([encodeField(1, 'Deployment'), encodeField(3, 'web'), encodeField(4, 'u-1'), encodeField(5, 'apps/v1'), encodeField(6, true)])),
    ]);
    const ns = decodeProtobufBody(encodeEnvelope('v1', 'Namespace', Buffer.concat([encodeField(1, meta), encodeField(2, encodeField(1, 'kubernetes'))])));
    assert.deepEqual(ns, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'calc',
        creationTimestamp: '2026-01-01T00:00:00Z',
        labels: { team: 'blue' },
        finalizers: ['example.com/cleanup'],
        ownerReferences: [{ kind: 'Deployment', name: 'web', uid: 'u-1', apiVersion: 'apps/v1', controller: true }],
      },
      spec: { finalizers: ['kubernetes'] },
    });
    const cm = decodeProtobufBody(
      encodeEnvelope('v1', 'ConfigMap', Buffer.concat([encodeField(1, encodeField(1, 'state')), encodeField(2, Buffer.concat([encodeField(1, 'slot'), encodeField(2, 'green')])), encodeField(3, Buffer.concat([encodeField(1, 'bin'), encodeField(2, Buffer.from([0, 1, 2]))]))])),
    );
    assert.deepEqual(cm, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'state' }, data: { slot: 'green' }, binaryData: { bin: 'AAEC' } });
  });

  it('refuses bodies without the k8s magic, truncated ones, and kinds it cannot decode', () => {
    assert.throws(() => decodeProtobufBody(Buffer.from('{"kind":"Secret"}')), (e: ApiError) => e.code === 400);
    assert.throws(() => decodeProtobufBody(body('helm3SecretCreate').subarray(0, 100)), (e: ApiError) => e.code === 400);
    assert.throws(() => decodeProtobufBody(encodeEnvelope('apps/v1', 'Deployment', Buffer.alloc(0))), (e: ApiError) => e.code === 415);
  });
});
