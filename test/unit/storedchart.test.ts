import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import YAML from 'yaml';
import type { Helm } from '../../shared/helm/cli';
import type { Kube, KubeObject } from '../../shared/kubernetes/client';
import type { SlotLocation } from '../../shared/core/model';
import { chartOfRelease, chartToRerender, checkRerenderable, isSameLocalChart, rerenderCharts, type StoredChartRelease, subchartReason, writeStoredChart } from '../../shared/helm/stored-chart';
import { must } from '../must';

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const file = (name: string, text: string) => ({ name, data: b64(text) });
const BLUE: SlotLocation = { slot: 'blue', release: 'calc-blue', namespace: 'calc' };

const DEPLOYMENT = 'kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n';
const HELPERS = '{{- define "app.name" -}}calc{{- end -}}\n';

function record(over: Partial<StoredChartRelease> = {}, chart: Partial<NonNullable<StoredChartRelease['chart']>> = {}): StoredChartRelease {
  return {
    name: 'calc-blue',
    version: 3,
    info: { status: 'deployed' },
    manifest: '---\n# Source: bluegreen-app/templates/deployment.yaml\nkind: Deployment\n',
    chart: {
      metadata: { apiVersion: 'v2', name: 'bluegreen-app', version: '1.0.0', appVersion: '1.0.0', type: 'application', annotations: { team: 'calc' } },
      values: { replicaCount: 2, image: { repository: 'hashicorp/http-echo' }, ingress: { enabled: true } },
      schema: b64('{"type":"object"}'),
      templates: [file('templates/deployment.yaml', DEPLOYMENT), file('templates/_helpers.tpl', HELPERS), file('templates/tests/test-connection.yaml', 'kind: Pod\n')],
      files: [file('README.md', '# calc\n'), file('files/config/app.conf', 'port=8080\n'), { name: 'files/logo.png', data: b64(Buffer.from([0, 1, 2, 255])) }],
      ...chart,
    },
    ...over,
  };
}

/** A helm release Secret as the API returns it: base64 (Kubernetes) of base64 (helm) of gzipped JSON. */
function secret(r: StoredChartRelease): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'helm.sh/release.v1',
    metadata: { name: `sh.helm.release.v1.${r.name}.v${r.version}`, namespace: 'calc', labels: { owner: 'helm', name: r.name, version: String(r.version), status: r.info?.status ?? 'deployed' } },
    data: { release: b64(gzipSync(Buffer.from(JSON.stringify(r))).toString('base64')) },
  } as KubeObject;
}

function fakeKube(secrets: KubeObject[]): Kube & { selectors: string[] } {
  const selectors: string[] = [];
  return {
    selectors,
    async list(_apiVersion: string, kind: string, namespace: string, selector: string) {
      assert.equal(kind, 'Secret');
      selectors.push(`${namespace}: ${selector}`);
      return secrets.filter((s) => s.metadata.namespace === namespace && s.metadata.labels?.name === selector.replace(/^owner=helm,name=/, ''));
    },
  } as unknown as Kube & { selectors: string[] };
}

/** A helm that "pulls" by writing an archive named after the version it was asked for. */
function fakeHelm(): Helm & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    async run(args: string[]) {
      calls.push(args);
      const dest = must(args[args.indexOf('--destination') + 1], 'helm pull --destination');
      fs.writeFileSync(path.join(dest, `app-${must(args[args.indexOf('--version') + 1], 'helm pull --version')}.tgz`), 'tgz');
      return { stdout: '', stderr: '', code: 0 };
    },
  } as unknown as Helm & { calls: string[][] };
}

describe('storedchart: a release\'s own chart, rebuilt from its helm record', () => {
  let work: string;
  beforeEach(() => (work = fs.mkdtempSync(path.join(os.tmpdir(), 'storedchart-'))));
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));
  const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), 'utf8');

  it('writes Chart.yaml, values, schema, every template and file at its path', () => {
    const result = writeStoredChart(record(), work);
    assert.ok(result.chart, 'a chart');
    const dir = result.chart.path;
    assert.equal(result.chart.describe, 'its own chart bluegreen-app-1.0.0 from release calc-blue r3');
    assert.deepEqual(YAML.parse(read(dir, 'Chart.yaml')), record().chart!.metadata);
    assert.deepEqual(YAML.parse(read(dir, 'values.yaml')), record().chart!.values);
    assert.equal(read(dir, 'values.schema.json'), '{"type":"object"}');
    assert.equal(read(dir, 'templates/deployment.yaml'), DEPLOYMENT);
    assert.equal(read(dir, 'templates/_helpers.tpl'), HELPERS);
    assert.equal(read(dir, 'templates/tests/test-connection.yaml'), 'kind: Pod\n');
    assert.equal(read(dir, 'README.md'), '# calc\n');
    assert.equal(read(dir, 'files/config/app.conf'), 'port=8080\n');
    assert.deepEqual([...fs.readFileSync(path.join(dir, 'files/logo.png'))], [0, 1, 2, 255], 'binary files byte for byte');
  });

  it('writes no schema when the chart has none, and empty values as {}', () => {
    const result = writeStoredChart(record({}, { schema: null, values: null, files: null }), work);
    assert.ok(result.chart);
    assert.equal(fs.existsSync(path.join(result.chart.path, 'values.schema.json')), false);
    assert.deepEqual(YAML.parse(read(result.chart.path, 'values.yaml')), {});
  });

  it('refuses a file name that leaves the chart directory, writing nothing', () => {
    for (const name of ['../escape.yaml', 'templates/../../escape.yaml', '/etc/passwd', 'templates\\..\\..\\escape', 'C:\\escape', '']) {
      assert.throws(() => writeStoredChart(record({}, { files: [file(name, 'x')] }), work), /points outside the chart.*Nothing was changed/, name);
      assert.throws(() => writeStoredChart(record({}, { templates: [file(name, 'x')] }), work), /points outside the chart/, name);
    }
    assert.deepEqual(fs.readdirSync(work), [], 'no chart directory was started');
    assert.equal(fs.existsSync(path.join(path.dirname(work), 'escape.yaml')), false);
  });

  it('a Chart.yaml among the files cannot replace the stored metadata', () => {
    const result = writeStoredChart(record({}, { files: [file('Chart.yaml', 'name: evil\nversion: 6.6.6\n')] }), work);
    assert.equal(YAML.parse(read(result.chart!.path, 'Chart.yaml')).name, 'bluegreen-app');
  });

  it('detects subcharts from the manifest or Chart.yaml dependencies, which helm does not keep', () => {
    assert.equal(subchartReason(record()), undefined);
    const fromManifest = record({ manifest: '---\n# Source: bluegreen-app/charts/redis/templates/sts.yaml\nkind: StatefulSet\n' });
    assert.match(subchartReason(fromManifest) ?? '', /has subcharts/);
    assert.match(subchartReason(record({}, { metadata: { name: 'bluegreen-app', version: '1.0.0', dependencies: [{ name: 'common', version: '2.x' }] } })) ?? '', /has subcharts/, 'a library chart renders nothing but is still needed');
    assert.equal(subchartReason(record({ manifest: '# Source: bluegreen-app/templates/charts/x.yaml\n' })), undefined, 'a template folder named charts is not a subchart');
    const result = writeStoredChart(fromManifest, work);
    assert.equal(result.chart, undefined);
    assert.match('reason' in result ? result.reason : '', /subcharts/);
    assert.deepEqual(fs.readdirSync(work), []);
  });

  it('chartOfRelease reads the latest revision of the release in its namespace', async () => {
    const kube = fakeKube([secret(record({ version: 2 }, { metadata: { apiVersion: 'v2', name: 'bluegreen-app', version: '0.9.0' } })), secret(record({ version: 10 })), secret(record({ version: 9 }))]);
    const result = await chartOfRelease(kube, BLUE, work);
    assert.deepEqual(kube.selectors, ['calc: owner=helm,name=calc-blue']);
    assert.equal(result.revision, 10, 'revision 10 is newer than 9 (numbers, not text)');
    assert.equal(result.chart?.describe, 'its own chart bluegreen-app-1.0.0 from release calc-blue r10');
  });

  it('chartOfRelease says why when there is no release (or it was uninstalled)', async () => {
    assert.match(((await chartOfRelease(fakeKube([]), BLUE, work)) as { reason: string }).reason, /no revision/);
    const uninstalled = await chartOfRelease(fakeKube([secret(record({ info: { status: 'uninstalled' } }))]), BLUE, work);
    assert.equal(uninstalled.chart, undefined);
  });

  describe('the chart a re-render uses', () => {
    const subcharts = record({ manifest: '# Source: bluegreen-app/charts/redis/templates/sts.yaml\n' });
    const localCopy = (r: StoredChartRelease, edit?: (dir: string) => void) => {
      const dir = path.join(work, 'local-chart');
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'Chart.yaml'), YAML.stringify(r.chart!.metadata));
      for (const t of r.chart!.templates!) {
        fs.mkdirSync(path.dirname(path.join(dir, t.name)), { recursive: true });
        fs.writeFileSync(path.join(dir, t.name), Buffer.from(t.data!, 'base64'));
      }
      edit?.(dir);
      return dir;
    };

    it('prefers the stored chart over the chart input, local or remote, and writes it once per revision', async () => {
      const kube = fakeKube([secret(record())]);
      const helm = fakeHelm();
      const cache = rerenderCharts();
      for (const input of [{ chart: '/somewhere/else' }, { chart: 'oci://registry.example/charts/app', version: '2.0.0' }]) {
        const choice = await chartToRerender(helm, kube, BLUE, input, work, cache);
        assert.equal(choice.own, true);
        assert.match(choice.chart.describe, /its own chart bluegreen-app-1\.0\.0 from release calc-blue r3/);
      }
      assert.equal(helm.calls.length, 0, 'nothing pulled');
      assert.equal(fs.readdirSync(work).filter((d) => d.startsWith('stored-')).length, 1, 'one chart directory for revision 3');
    });

    it('subcharts and a remote chart: pulls the version the release runs', async () => {
      const helm = fakeHelm();
      const choice = await chartToRerender(helm, fakeKube([secret(subcharts)]), BLUE, { chart: 'oci://registry.example/charts/app', version: '2.0.0' }, work, rerenderCharts());
      assert.equal(choice.own, false);
      assert.deepEqual(helm.calls.map((a) => a[a.indexOf('--version') + 1]), ['1.0.0']);
    });

    it('subcharts and a remote chart: checkRerenderable pulls (and signs in) before the first re-render, once', async () => {
      const helm = fakeHelm();
      const kube = fakeKube([secret(subcharts)]);
      const cache = rerenderCharts();
      const input = { chart: 'oci://registry.example/charts/app', version: '2.0.0' };
      await checkRerenderable(kube, [BLUE], input, work, cache, helm);
      assert.equal(helm.calls.length, 1, 'pulled by the check');
      const choice = await chartToRerender(helm, kube, BLUE, input, work, cache);
      assert.equal(choice.own, false);
      assert.equal(helm.calls.length, 1, 'the re-render reuses the pull');
    });

    it('subcharts and a different local chart: refuses, before anything changes', async () => {
      const other = localCopy(subcharts, (dir) => fs.appendFileSync(path.join(dir, 'templates/deployment.yaml'), '  annotations: { x: y }\n'));
      const kube = fakeKube([secret(subcharts)]);
      const expected = /Slot blue was installed from a chart with subcharts that helm does not keep in the release; give the chart from a registry or repository so the old slot can be re-rendered at its own version, or use routing managed by the task\. Nothing was changed\.$/;
      await assert.rejects(chartToRerender(fakeHelm(), kube, BLUE, { chart: other }, work, rerenderCharts()), expected);
      await assert.rejects(checkRerenderable(kube, [BLUE, { slot: 'green', release: 'calc-green', namespace: 'calc' }], { chart: other }, work, rerenderCharts()), expected);
    });

    it('subcharts and the very local chart the release was installed from: uses it', async () => {
      const same = localCopy(subcharts);
      assert.equal(isSameLocalChart(subcharts, same), true);
      const choice = await chartToRerender(fakeHelm(), fakeKube([secret(subcharts)]), BLUE, { chart: same }, work, rerenderCharts());
      assert.equal(choice.chart.path, same);
      assert.match(choice.chart.describe, /the chart release calc-blue r3 was installed from/);
      fs.writeFileSync(path.join(same, 'templates', 'extra.yaml'), 'kind: ConfigMap\n');
      assert.equal(isSameLocalChart(subcharts, same), false, 'an extra template is another chart');
    });

    it('a local chart at another version is another chart, even with the same templates', () => {
      const dir = localCopy(subcharts, (d) => fs.writeFileSync(path.join(d, 'Chart.yaml'), 'apiVersion: v2\nname: bluegreen-app\nversion: 1.0.1\n'));
      assert.equal(isSameLocalChart(subcharts, dir), false);
    });

    it('subcharts and no chart input: asks for it', async () => {
      await assert.rejects(chartToRerender(fakeHelm(), fakeKube([secret(subcharts)]), BLUE, undefined, work, rerenderCharts()), /needs the chart input.*Nothing was changed/);
    });

    it('no release yet: the chart input as given (helm then says the release is missing)', async () => {
      const helm = fakeHelm();
      const choice = await chartToRerender(helm, fakeKube([]), BLUE, { chart: 'oci://registry.example/charts/app', version: '2.0.0' }, work, rerenderCharts());
      assert.equal(choice.own, false);
      assert.deepEqual(helm.calls.map((a) => a[a.indexOf('--version') + 1]), ['2.0.0']);
      await checkRerenderable(fakeKube([]), [BLUE], undefined, work, rerenderCharts());
    });
  });
});
