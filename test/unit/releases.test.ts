// Reading helm's release storage: the secret-version label, the revision Deploy installed, and the
// storage driver (Secrets or ConfigMaps, as HELM_DRIVER says), on synthetic records shaped like helm's.
import * as assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import type { Kube, KubeObject, ObjectRef } from '../../shared/kubernetes/client';
import { locate } from '../../shared/core/model';
import { type HelmDriver, type HelmRecord, decodeRelease, discardPendingRevision, helmDriver, readReleases, toRecord } from '../../shared/helm/storage';

const location = locate({ name: 'calc', namespace: 'calc', layout: 'shared' }, 'green');

interface Revision {
  version: number;
  description: string;
  status?: string;
  config?: Record<string, unknown>;
  labels?: Record<string, string>;
}

/** helm's text: base64(gzip(json)); a Secret's data adds Kubernetes' base64 layer. */
const helmText = (release: object) => gzipSync(Buffer.from(JSON.stringify(release))).toString('base64');

function stored(r: Revision, driver: HelmDriver = 'secret'): HelmRecord & { data: { release: string } } {
  const release = {
    name: location.release,
    namespace: location.namespace,
    version: r.version,
    info: { status: r.status ?? 'superseded', description: r.description },
    chart: { metadata: { name: 'calc', version: '1.0.0', appVersion: '9.9' }, values: { image: { tag: 'default' } } },
    config: r.config ?? {},
  };
  const text = helmText(release);
  return {
    apiVersion: 'v1',
    kind: driver === 'secret' ? 'Secret' : 'ConfigMap',
    metadata: {
      name: `sh.helm.release.v1.${location.release}.v${r.version}`,
      namespace: location.namespace,
      labels: { owner: 'helm', name: location.release, status: r.status ?? 'superseded', version: String(r.version), ...r.labels },
    },
    ...(driver === 'secret' ? { type: 'helm.sh/release.v1' } : {}),
    data: { release: driver === 'secret' ? Buffer.from(text).toString('base64') : text },
  };
}

/** Records newest first; the newest is the current revision (deployed). */
const history = (...revisions: Revision[]) => revisions.map((r, i) => stored({ ...r, status: r.status ?? (i === 0 ? 'deployed' : 'superseded') }));

describe('releases: the displayed version and the secret-version label', () => {
  const secretVersion = { version: 's3cr3t-v', image: { tag: 's3cr3t-tag' } };
  it('shows the version value of a release without the label', () => {
    assert.equal(toRecord(location, history({ version: 1, description: 'Install complete', config: secretVersion })).version, 's3cr3t-v');
  });
  it('shows the chart appVersion, never a value, when Deploy marked the version as secret', () => {
    const record = toRecord(location, history({ version: 1, description: 'Install complete', config: secretVersion, labels: { 'bluegreen-version': 'secret' } }));
    assert.equal(record.version, '9.9');
    assert.equal(record.labels['bluegreen-version'], 'secret');
    assert.doesNotMatch(JSON.stringify(record), /s3cr3t/);
  });
  it("says 'unknown' when the chart has no appVersion (not the chart's default values)", () => {
    const [record] = history({ version: 1, description: 'Install complete', config: secretVersion, labels: { 'bluegreen-version': 'secret' } });
    const bare = { name: 'x', namespace: 'n', version: 1, chart: { metadata: { version: '1.0.0' }, values: { version: 'default' } }, config: secretVersion };
    assert.ok(record);
    record.data.release = Buffer.from(helmText(bare)).toString('base64');
    assert.equal(toRecord(location, [record]).version, 'unknown');
  });
  it("'shown' (a later Deploy without a secret version) is not secret", () => {
    assert.equal(toRecord(location, history({ version: 2, description: 'Upgrade complete', config: secretVersion, labels: { 'bluegreen-version': 'shown' } })).version, 's3cr3t-v');
  });
});

describe('releases: the revision Deploy installed', () => {
  const routing = (task: string, slot = 'green') => `blue/green ${task}: routing of slot ${slot}`;
  const deployed = 'blue/green Deploy of run p1.build-7 into slot green';
  it('is the latest revision when that is not a routing re-render', () => {
    const record = toRecord(location, history({ version: 3, description: deployed }, { version: 2, description: routing('RouteTraffic') }, { version: 1, description: deployed }));
    assert.equal(record.revision, 3);
    assert.equal(record.deployRevision, 3);
  });
  it('skips routing re-renders of any task, newest first', () => {
    const record = toRecord(
      location,
      history(
        { version: 5, description: routing('OnSuccess') },
        { version: 4, description: routing('RouteTraffic') },
        { version: 3, description: deployed },
        { version: 2, description: routing('Deploy') },
        { version: 1, description: 'Install complete' },
      ),
    );
    assert.equal(record.revision, 5);
    assert.equal(record.deployRevision, 3);
  });
  it('a rollback to revision N has the content of N; a plain helm upgrade counts as an install', () => {
    // The repair of a re-render killed half-way rolls back to the re-render before it: still the same content.
    const rerenders = history({ version: 4, description: 'Rollback to 2' }, { version: 3, description: routing('OnSuccess') }, { version: 2, description: routing('OnSuccess') }, { version: 1, description: deployed });
    assert.equal(toRecord(location, rerenders).deployRevision, 1);
    assert.equal(toRecord(location, history({ version: 3, description: 'Rollback to 2' }, { version: 2, description: deployed }, { version: 1, description: deployed })).deployRevision, 2);
    assert.equal(toRecord(location, history({ version: 2, description: routing('RouteTraffic') }, { version: 1, description: 'Upgrade complete' })).deployRevision, 1);
  });
  it('decodes only down to the revision it needs', () => {
    const records = history({ version: 3, description: routing('RouteTraffic') }, { version: 2, description: deployed }, { version: 1, description: deployed });
    const oldest = records[2];
    assert.ok(oldest);
    oldest.data.release = 'not helm data';
    assert.equal(toRecord(location, records).deployRevision, 2);
  });
  it('is the oldest stored revision when helm kept only re-renders (--history-max)', () => {
    assert.equal(toRecord(location, history({ version: 9, description: routing('OnSuccess') }, { version: 8, description: routing('RouteTraffic') })).deployRevision, 8);
  });
});

/** A Kube that serves a fixed list of objects and records what was asked. */
function fakeKube(objects: KubeObject[]) {
  const listed: string[] = [];
  const deleted: ObjectRef[] = [];
  const kube = {
    async list(apiVersion: string, kind: string, namespace: string) {
      listed.push(`${kind}/${namespace}`);
      return objects.filter((o) => o.kind === kind && o.metadata.namespace === namespace);
    },
    async delete(ref: ObjectRef) {
      deleted.push(ref);
      return true;
    },
  } as unknown as Kube;
  return { kube, listed, deleted };
}

describe('releases: helm storage drivers', () => {
  it('reads HELM_DRIVER as helm does and refuses the drivers the tasks cannot read', () => {
    assert.equal(helmDriver({}), 'secret');
    assert.equal(helmDriver({ HELM_DRIVER: '' }), 'secret');
    assert.equal(helmDriver({ HELM_DRIVER: 'secrets' }), 'secret');
    assert.equal(helmDriver({ HELM_DRIVER: 'ConfigMap' }), 'configmap');
    assert.equal(helmDriver({ HELM_DRIVER: 'configmaps' }), 'configmap');
    for (const driver of ['sql', 'memory']) {
      assert.throws(() => helmDriver({ HELM_DRIVER: driver }), { message: new RegExp(`^HELM_DRIVER=${driver} is not supported: .*unset HELM_DRIVER .* or set it to secret or configmap; nothing was changed\\.$`) });
    }
  });

  it('decodes a ConfigMap record, which has no Kubernetes base64 layer', () => {
    const cm = stored({ version: 2, description: 'x' }, 'configmap');
    assert.equal(decodeRelease(cm.data.release, 'configmap').version, 2);
  });

  it('reads the releases from ConfigMaps with the configmap driver, and from Secrets by default', async () => {
    const secrets = [stored({ version: 1, description: 'Install complete', status: 'deployed', config: { version: 'from-secret' } })];
    const configMaps = [
      stored({ version: 1, description: 'Install complete', config: { version: 'v1' } }, 'configmap'),
      stored({ version: 2, description: 'Upgrade complete', status: 'deployed', config: { version: 'v2' } }, 'configmap'),
    ];
    const { kube, listed } = fakeKube([...secrets, ...configMaps]);
    const fromConfigMaps = await readReleases(kube, [location], 'configmap');
    assert.equal(fromConfigMaps.get(location)?.revision, 2);
    assert.equal(fromConfigMaps.get(location)?.version, 'v2');
    const fromSecrets = await readReleases(kube, [location], 'secret');
    assert.equal(fromSecrets.get(location)?.version, 'from-secret');
    assert.deepEqual(listed, ['ConfigMap/calc', 'Secret/calc']);
  });

  it('discards a pending revision in the storage of the driver', async () => {
    const configMaps = [
      stored({ version: 1, description: 'Install complete', status: 'deployed' }, 'configmap'),
      stored({ version: 2, description: 'Upgrade', status: 'pending-upgrade' }, 'configmap'),
    ];
    const { kube, deleted } = fakeKube(configMaps);
    const record = (await readReleases(kube, [location], 'configmap')).get(location)!;
    assert.equal(record.status, 'pending-upgrade');
    assert.equal(await discardPendingRevision(kube, record, 'configmap'), true);
    assert.deepEqual(deleted, [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'calc', name: `sh.helm.release.v1.${location.release}.v2` }]);
  });
});
