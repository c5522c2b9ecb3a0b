// Chart-owned routing re-renders a slot's release to change who serves. An old slot must be re-rendered
// with its own chart (the one stored in its release), not with the chart the current task was given:
// otherwise a rollback "to slot blue" would bring the rejected chart's templates into blue.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { decodeRelease } from '../../shared/helm/storage';
import { EXAMPLE_CHART, type Env, startEnv } from './env';
import { expectOutcome } from './expect';


/** Two local charts of the same app: B has another version and appVersion and a changed template. */
function makeCharts(): { a: string; b: string; root: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rerender-charts-'));
  const a = path.join(root, 'a', 'bluegreen-app');
  const b = path.join(root, 'b', 'bluegreen-app');
  for (const dir of [a, b]) fs.cpSync(EXAMPLE_CHART, dir, { recursive: true });
  const edit = (file: string, change: (text: string) => string) => fs.writeFileSync(file, change(fs.readFileSync(file, 'utf8')));
  // Like many charts, the image tag defaults to the chart's appVersion: a chart's templates and metadata
  // decide the version its pods run (values alone would not show the bug: --reuse-values keeps them).
  for (const dir of [a, b]) {
    edit(path.join(dir, 'values.yaml'), (t) => t.replace(/^version: ""\n/m, '').replace(/^  tag: "1\.0"\n/m, ''));
    edit(path.join(dir, 'templates', '_helpers.tpl'), (t) => t.replace('{{ .Values.version | default .Values.image.tag }}', '{{ .Values.version | default .Values.image.tag | default .Chart.AppVersion }}'));
    edit(path.join(dir, 'templates', 'deployment.yaml'), (t) => t.replace(':{{ .Values.image.tag }}', ':{{ .Values.image.tag | default .Chart.AppVersion }}'));
  }
  edit(path.join(b, 'Chart.yaml'), (t) => t.replace(/^version: 1\.0\.0$/m, 'version: 2.0.0').replace(/^appVersion: "1\.0\.0"$/m, 'appVersion: "2.0.0"'));
  edit(path.join(b, 'templates', 'deployment.yaml'), (t) =>
    t.replace('  labels: {{- include "app.labels" . | nindent 4 }}\n', '  labels: {{- include "app.labels" . | nindent 4 }}\n  annotations:\n    rerender.test/template: chart-b\n'),
  );
  assert.match(fs.readFileSync(path.join(b, 'templates', 'deployment.yaml'), 'utf8'), /chart-b/, 'chart B differs visibly');
  assert.doesNotMatch(fs.readFileSync(path.join(a, 'values.yaml'), 'utf8'), /^version:|^  tag:/m, 'the version comes from appVersion');
  assert.match(fs.readFileSync(path.join(b, 'Chart.yaml'), 'utf8'), /^appVersion: "2\.0\.0"$/m);
  return { a, b, root };
}

/** The latest revision record of a release, from the cluster's store. */
function latestRecord(env: Env, release: string, namespace = 'calc') {
  const secrets = env.cluster.store.ofKind('Secret', namespace).filter((s) => s.metadata.labels?.owner === 'helm' && s.metadata.labels?.name === release);
  const latest = secrets.sort((x, y) => Number(y.metadata.labels?.version) - Number(x.metadata.labels?.version))[0];
  assert.ok(latest, `release ${release} has a record`);
  return decodeRelease(latest.data.release) as ReturnType<typeof decodeRelease> & { manifest: string };
}

/** A release's rendered objects minus the routing ones (its Ingresses), keyed by kind/name. */
function withoutRouting(manifest: string): Record<string, unknown> {
  const docs = YAML.parseAllDocuments(manifest).map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null);
  return Object.fromEntries(docs.filter((d) => d && d.kind && d.kind !== 'Ingress').map((d) => [`${d!.kind}/${d!.metadata?.name}`, d]));
}

/** The VERSION each running pod of a release was started with, sorted. */
function podVersions(env: Env, release: string, namespace = 'calc'): string[] {
  return env.cluster.store
    .ofKind('Pod', namespace)
    .filter((p) => p.metadata.labels?.['app.kubernetes.io/instance'] === release && !p.metadata.deletionTimestamp)
    .map((p) => (p.spec?.containers?.[0]?.env ?? []).find((e: { name: string }) => e.name === 'VERSION')?.value as string)
    .sort();
}

/** Versions production users see right now (through the data plane). */
async function productionVersions(env: Env): Promise<Record<string, number>> {
  const probe = env.probe({ url: `${env.dataplane.url}/ping`, maxRequests: 20, ratePerSecond: 20 });
  const result = await probe.done;
  return result.total.versions;
}

/** Blue serves v1 (chart A), green is staged with v2 (chart B, local too) and validated. */
async function stagedV2(helm: 'v3' | 'v4', charts: ReturnType<typeof makeCharts>): Promise<Env> {
  const env = await startEnv({ helm, router: 'appgw', ownership: 'chart' });
  const deploy = (chart: string) => ({ chart, setValues: 'replicaCount=2', timeout: '60s' });
  expectOutcome(await env.task('Deploy', 1, deploy(charts.a)), 'Succeeded');
  expectOutcome(await env.task('Deploy', 2, deploy(charts.b)), 'Succeeded');
  expectOutcome(await env.task('RouteTraffic', 2, { chart: charts.b, checks: 'GET /ping expect 200 contains "version":"2.0.0"' }), 'Succeeded');
  return env;
}

for (const helm of ['v3', 'v4'] as const) {
  describe(`re-rendering an old slot keeps its own chart: appgw, chart-owned routing, helm ${helm}`, function () {
    this.timeout(300_000);
    let env: Env | undefined;
    let charts: ReturnType<typeof makeCharts>;

    before(() => (charts = makeCharts()));
    afterEach(async () => {
      await env?.close();
      env = undefined;
    });
    after(() => fs.rmSync(charts.root, { recursive: true, force: true }));

    it("a rollback of OnSuccess puts production back on slot blue with blue's own chart and templates", async () => {
      env = await stagedV2(helm, charts);
      const before = latestRecord(env, 'calc-blue');
      assert.equal(before.chart?.metadata?.version, '1.0.0');
      assert.deepEqual(await productionVersions(env), { '1.0.0': 20 }, 'users see v1 before the switch');
      // Production passes on blue before the switch and fails on green after it: OnSuccess rolls back.
      const promote = await env.task('OnSuccess', 2, { chart: charts.b, checks: 'production: GET /ping expect 200 contains "version":"1.0.0"', checkTimeout: '3' });
      expectOutcome(promote, 'Failed');
      assert.match(promote.message, /Production was switched back to slot blue/);

      assert.deepEqual(await productionVersions(env), { '1.0.0': 20 }, 'users see v1 again, from blue');
      assert.deepEqual(podVersions(env, 'calc-blue'), ['1.0.0', '1.0.0'], "blue's pods still run 1.0.0");
      const after = latestRecord(env, 'calc-blue');
      assert.ok(after.version > before.version, 'blue was re-rendered (new revision)');
      assert.deepEqual(withoutRouting(after.manifest), withoutRouting(before.manifest), 'blue renders exactly what it rendered before, routing aside');
      assert.equal(after.chart?.metadata?.version, '1.0.0', 'blue still runs chart 1.0.0');
      assert.match(promote.log, /re-rendering slot blue with its own chart bluegreen-app-1\.0\.0 from release calc-blue r\d+/);
    });

    it('retirePolicy keep: the kept slot blue is unrouted with its own chart and templates', async () => {
      env = await stagedV2(helm, charts);
      const before = latestRecord(env, 'calc-blue');
      const promote = await env.task('OnSuccess', 2, { chart: charts.b, retirePolicy: 'keep', checks: 'GET /ping expect 200 contains "version":"2.0.0"' });
      expectOutcome(promote, 'Succeeded');
      assert.equal(promote.outputs.productionSlot, 'green');

      assert.deepEqual(await productionVersions(env), { '2.0.0': 20 }, 'users see v2 from green');
      assert.deepEqual(podVersions(env, 'calc-blue'), ['1.0.0', '1.0.0'], "the kept slot's pods still run 1.0.0");
      const after = latestRecord(env, 'calc-blue');
      assert.ok(after.version > before.version, 'blue was re-rendered (unrouted)');
      assert.ok(!/kind: Ingress/.test(after.manifest), 'the kept slot has no route');
      assert.deepEqual(withoutRouting(after.manifest), withoutRouting(before.manifest), 'the kept slot renders what it did, routing aside');
      assert.equal(after.chart?.metadata?.version, '1.0.0');
      assert.match(promote.log, /re-rendering slot blue with its own chart bluegreen-app-1\.0\.0 from release calc-blue r\d+/);
    });
  });
}
