// Metric gates on real traffic, end to end: the bundled tasks, real helm, the local cluster's ingress-nginx
// data plane exporting ingress-nginx's request metrics, a real Prometheus scraping it every second, and
// Azure Monitor managed Prometheus emulated as that Prometheus behind the fake Entra ID.
//
// Users hit /api/orders throughout. v2's pods answer /ping (the HTTP checks) but fail 20 % of /api:
// its checks pass, RouteTraffic sends it 30 % of users, the success-rate gate sees the failures, users are
// taken off v2 at once and OnFailure removes it; production (v1) never fails a request. v3 is healthy:
// its gates pass in RouteTraffic, and in OnSuccess (through Azure Monitor with an Entra token) right
// before the switch. v4 passes RouteTraffic, then degrades: OnSuccess's gates catch it before the switch.
import * as assert from 'node:assert/strict';
import { fakeEntra } from '../cluster/azure/aad';
import { azureMonitorHandler, type MonitorCall } from '../cluster/azure/monitor';
import { type FakeAzureServer, startFakeAzure, TEST_CA_CERT } from '../cluster/azure/server';
import type { TaskRun } from '../cluster/agent';
import { FAIL_PATH_ANNOTATION, FAIL_PERCENT_ANNOTATION } from '../cluster/dataplane/backends';
import type { ProbeResult } from '../cluster/probe';
import { RESOURCES } from '../cluster/store';
import { type Prometheus, requirePrometheus, startPrometheus } from '../cluster/prometheus';
import { activeRelease, expectOutcome, phase, releasesIn } from './expect';
import { checksFor, type Env, startEnv, version } from './env';


/** The secret was registered with the agent, and no output line but that registration carries it. */
function assertMasked(run: TaskRun, secret: string): void {
  assert.ok(run.secretsRegistered.includes(secret), 'registered as a secret');
  const lines = `${run.rawStdout}\n${run.rawStderr}`.split('\n').filter((l) => !l.includes('##vso[task.setsecret]'));
  assert.ok(!lines.some((l) => l.includes(secret)) && !run.log.includes(secret) && !run.summaries.join('').includes(secret), 'never shown');
}

const TENANT = '7e7e7e7e-0000-4000-8000-0000000000c5';
const MONITOR_READER = { clientId: 'c5c5c5c5-0000-4000-8000-000000000005', secret: 'monitor-reader-client-secret' };
const WRONG_TOKEN = 'not-an-entra-token-0123456789';

/** The success rate of the canary share (ingress-nginx labels it with the canary upstream), over 10 s. */
const canary = (extra: string) => `nginx_ingress_controller_requests{namespace="{{namespace}}",ingress="{{app}}",canary!=""${extra}}`;
const SUCCESS_RATE = `success-rate: sum(rate(${canary(',status!~"5.."')}[10s])) / sum(rate(${canary('')}[10s])) >= 0.95`;
const P95 = `p95: histogram_quantile(0.95, sum by (le) (rate(nginx_ingress_controller_request_duration_seconds_bucket{ingress="{{app}}",canary!=""}[10s]))) < 0.5`;

describe('metric gates: real users judged through Prometheus (ingress-nginx, helm 4)', function () {
  this.timeout(600_000);
  let env: Env;
  let prometheus: Prometheus;
  let azure: FakeAzureServer;
  let entra: ReturnType<typeof fakeEntra>;
  const monitorCalls: MonitorCall[] = [];
  const runs: Record<string, TaskRun> = {};
  let result: ProbeResult;
  let canaryWeightAfterBreach: string | undefined;
  let canaryWeightAfterOnSuccessBreach: string | undefined;
  let recordAfterBreach = '';

  before(async function () {
    requirePrometheus(this);
    entra = fakeEntra({ servicePrincipals: [{ clientId: MONITOR_READER.clientId, tenantId: TENANT, secret: MONITOR_READER.secret }] });
    let prometheusUrl = '';
    azure = await startFakeAzure([entra.handler, azureMonitorHandler(entra, () => prometheusUrl, monitorCalls)]);
    env = await startEnv({
      helm: 'v4',
      router: 'nginx',
      ownership: 'managed',
      run: {
        endpoints: {
          'monitor-arm': {
            url: `${azure.url}/`,
            scheme: 'ServicePrincipal',
            parameters: { tenantid: TENANT, serviceprincipalid: MONITOR_READER.clientId, authenticationType: 'spnKey', serviceprincipalkey: MONITOR_READER.secret },
            data: { subscriptionId: '5e5e5e5e-0000-4000-8000-0000000000c5', environmentAuthorityUrl: `${azure.url}/` },
          },
        },
        env: { NODE_EXTRA_CA_CERTS: TEST_CA_CERT },
      },
    });
    prometheus = await startPrometheus([env.dataplane.metricsUrl!]);
    prometheusUrl = prometheus.url;
    const gates = { gates: `${SUCCESS_RATE}\n${P95}`, metricsServer: prometheus.url, gateInterval: '3', gateDuration: '12' };
    const viaAzureMonitor = { ...gates, metricsServer: azure.url, metricsAuth: 'azureMonitor', metricsAzureConnection: 'monitor-arm' };

    runs.first = await env.task('Deploy', 1, version('1.0.0'));
    const probe = env.probe({ url: `${env.dataplane.url}/api/orders` });
    probe.mark('deploy v2');
    runs.deploy2 = await env.task('Deploy', 2, { ...version('2.0.0'), setValues: 'version=2.0.0\nreplicaCount=2\nfailPercent=20\nfailPath=/api' });
    probe.mark('route v2');
    runs.route2 = await env.task('RouteTraffic', 2, { ...checksFor('2.0.0'), trafficPercent: '30', ...gates });
    probe.mark('reject v2');
    const staging = env.cluster.store.ofKind('Ingress', 'calc').find((i) => i.metadata.name === 'calc-preview');
    canaryWeightAfterBreach = staging?.metadata.annotations?.['nginx.ingress.kubernetes.io/canary-weight'];
    recordAfterBreach = JSON.stringify(env.cluster.store.ofKind('ConfigMap', 'calc').find((c) => c.metadata.name === 'calc-bluegreen-record')?.data ?? {});
    runs.failure2 = await env.task('OnFailure', 2);
    probe.mark('deploy v3');
    runs.deploy3 = await env.task('Deploy', 3, version('3.0.0'));
    probe.mark('route v3');
    runs.route3 = await env.task('RouteTraffic', 3, { ...checksFor('3.0.0'), trafficPercent: '30', ...gates });
    probe.mark('promote v3, refused token');
    runs.refused3 = await env.task('OnSuccess', 3, { ...checksFor('3.0.0'), ...gates, metricsServer: azure.url, metricsAuth: 'bearer', metricsToken: WRONG_TOKEN });
    probe.mark('promote v3');
    runs.success3 = await env.task('OnSuccess', 3, { ...checksFor('3.0.0'), ...viaAzureMonitor });
    probe.mark('deploy v4');
    runs.deploy4 = await env.task('Deploy', 4, version('4.0.0'));
    runs.route4 = await env.task('RouteTraffic', 4, { ...checksFor('4.0.0'), trafficPercent: '30' });
    // v4 passed RouteTraffic (no gates there), then degrades while it waits for promotion.
    probe.mark('v4 degrades');
    const pods = RESOURCES.find((r) => r.kind === 'Pod')!;
    for (const pod of env.cluster.store.ofKind('Pod', 'calc').filter((p) => p.metadata.labels?.['app.kubernetes.io/instance'] === 'calc-blue')) {
      pod.metadata.annotations = { ...pod.metadata.annotations, [FAIL_PERCENT_ANNOTATION]: '50', [FAIL_PATH_ANNOTATION]: '/api' };
      env.cluster.store.put(pods, pod);
    }
    runs.success4 = await env.task('OnSuccess', 4, { ...checksFor('4.0.0'), ...gates });
    canaryWeightAfterOnSuccessBreach = env.cluster.store.ofKind('Ingress', 'calc').find((i) => i.metadata.name === 'calc-preview')?.metadata.annotations?.['nginx.ingress.kubernetes.io/canary-weight'];
    probe.mark('reject v4');
    runs.failure4 = await env.task('OnFailure', 4);
    probe.mark('after');
    await new Promise((r) => setTimeout(r, 500));
    result = await probe.stop();
  });
  after(async () => {
    await prometheus?.close();
    await env?.close();
    await azure?.close();
  });

  it('v2 passes its HTTP checks, then the success-rate gate sees 20 % of its users fail and fails RouteTraffic', () => {
    expectOutcome(runs.route2, 'Failed');
    assert.match(runs.route2.log, /PASS staging \(slot green\): GET \/ping answered 200/);
    assert.match(runs.route2.log, /BREACH success-rate \[\d\/4\]: 0\.[0-9]+ \(>= 0.95 not met\)/);
    assert.match(runs.route2.message, /Metric gate success-rate failed: 1 breach\(es\) of ">= 0.95".* Real users were taken off slot green\. Production \(slot blue\) was not changed\./);
    assert.equal(runs.route2.outputs.checksPassed, 'false');
  });

  it('the failed gate took users off v2 at once and revoked its validation', () => {
    assert.match(runs.route2?.log ?? '', /Take real users off slot green at once \(metric gate success-rate failed\)/);
    assert.equal(canaryWeightAfterBreach, '0');
    assert.match(runs.route2?.log ?? '', /calc-green revision 1 is no longer validated for run p1\.build-2/);
    assert.doesNotMatch(recordAfterBreach, /"run\\?":\\?"p1\.build-2\\?"/, 'no validation of run 2 is left in the record');
  });

  it('OnFailure removes v2 and leaves production on v1', () => {
    expectOutcome(runs.failure2, 'Succeeded');
    assert.equal(runs.failure2.outputs.rejectedSlot, 'green');
    assert.equal(runs.failure2.outputs.productionSlot, 'blue');
  });

  it('users saw failures only from v2 within its share, and none once the gate withdrew them', () => {
    const route = phase(result, 'route v2');
    const failed = result.records.filter((r) => r.failed);
    assert.ok((route.versions['2.0.0'] ?? 0) > 0 && route.failures > 0, `v2 served users and failed some: ${JSON.stringify(route)}`);
    for (const r of failed.filter((f) => f.phase === 'route v2')) assert.deepEqual([r.version, r.status], ['2.0.0', 500], `only v2's own share failed: ${JSON.stringify(r)}`);
    assert.ok(route.failures < (route.versions['2.0.0'] ?? 0) * 0.5, 'the failures are within v2 share');
    for (const p of ['reject v2', 'deploy v3', 'route v3', 'promote v3, refused token', 'promote v3', 'deploy v4', 'reject v4', 'after']) assert.equal(phase(result, p).failures, 0, `${p}: ${JSON.stringify(phase(result, p).statuses)}`);
    assert.equal(phase(result, 'reject v2').versions['2.0.0'], undefined, 'no user reached v2 after RouteTraffic failed');
  });

  it('v3 is healthy: every gate evaluation passes in RouteTraffic', () => {
    expectOutcome(runs.route3, 'Succeeded');
    assert.equal((runs.route3.log.match(/PASS success-rate \[\d\/4\]: 1 \(>= 0.95\)/g) ?? []).length, 4);
    assert.equal((runs.route3.log.match(/PASS p95 \[\d\/4\]/g) ?? []).length, 4);
    assert.doesNotMatch(runs.route3.log, /BREACH/);
    assert.ok((phase(result, 'route v3').versions['3.0.0'] ?? 0) > 0, 'v3 had real users while its gates were watched');
  });

  it('a metrics server that refuses the credentials fails OnSuccess before anything changes, and the token stays masked', () => {
    expectOutcome(runs.refused3, 'Failed');
    assert.match(runs.refused3.message, /Metric gate success-rate could not be evaluated: the metrics server answered 401.* Nothing was changed\./);
    assertMasked(runs.refused3, WRONG_TOKEN);
    assert.doesNotMatch(runs.refused3.log, /Switch production/);
  });

  it('OnSuccess watches the gates through Azure Monitor with an Entra token, then promotes v3', () => {
    expectOutcome(runs.success3, 'Succeeded');
    assert.equal(runs.success3.outputs.productionSlot, 'green');
    assert.equal(activeRelease(env), 'calc-green');
    assert.deepEqual(releasesIn(env, 'calc'), ['calc-green']);
    const watch = runs.success3.log.indexOf('metric gate(s) on slot green before the switch');
    assert.ok(watch > 0 && watch < runs.success3.log.indexOf('Switch production from slot blue to slot green'), 'the gates are watched before the switch');
    assert.ok(monitorCalls.some((c) => c.clientId === MONITOR_READER.clientId && c.status === 200), 'queries carried the identity of the connection');
    assert.ok(monitorCalls.some((c) => c.status === 401), 'the refused token was refused by the front of the workspace');
    assertMasked(runs.success3, MONITOR_READER.secret);
    const tokens = entra.issued.filter((t) => t.scope === 'https://prometheus.monitor.azure.com/.default');
    assert.ok(tokens.length > 0, 'an Entra token was issued for Azure Monitor');
    for (const t of tokens) assertMasked(runs.success3, t.token);
    assert.ok((phase(result, 'after').versions['3.0.0'] ?? 0) > 0);
  });

  it('a staged version that degrades before promotion fails its gates in OnSuccess: users withdrawn, production never switched', () => {
    expectOutcome(runs.route4, 'Succeeded');
    expectOutcome(runs.success4, 'Failed');
    assert.match(runs.success4.message, /Metric gate success-rate failed: .* Watched on slot blue before the switch\. Real users were taken off slot blue\. Production \(slot green\) was not changed\./);
    assert.doesNotMatch(runs.success4.log, /Switch production/);
    assert.equal(canaryWeightAfterOnSuccessBreach, '0');
    expectOutcome(runs.failure4, 'Succeeded');
    assert.equal(activeRelease(env), 'calc-green');
    assert.deepEqual(releasesIn(env, 'calc'), ['calc-green']);
    const degraded = phase(result, 'v4 degrades');
    assert.ok(degraded.failures > 0, 'v4 failed some users before the gate caught it');
    for (const r of result.records.filter((f) => f.failed && f.phase === 'v4 degrades')) assert.deepEqual([r.version, r.status], ['4.0.0', 500], JSON.stringify(r));
    assert.equal(phase(result, 'reject v4').versions['4.0.0'], undefined, 'no user reached v4 after OnSuccess failed');
  });
});
