// Progressive traffic with metric gates, end to end (ingress-nginx, helm 3, a real Prometheus): RouteTraffic
// sends 10, then 25, then 50 % of users to the staged slot, holding each step while the gates are watched.
// v2 is healthy and climbs to 50 %. v3 degrades once it gets 25 % of users (the test makes its running pods
// fail half of /api the moment the router writes 25 %): the gate catches it at 25 %, users are taken off
// at once, 50 % is never written, and production never fails a request.
import * as assert from 'node:assert/strict';
import type { TaskRun } from '../cluster/agent';
import { FAIL_PATH_ANNOTATION, FAIL_PERCENT_ANNOTATION } from '../cluster/dataplane/backends';
import type { ProbeResult } from '../cluster/probe';
import { type Prometheus, requirePrometheus, startPrometheus } from '../cluster/prometheus';
import { RESOURCES, type StoreEvent } from '../cluster/store';
import { activeRelease, expectOutcome, phase, releasesIn } from './expect';
import { checksFor, type Env, startEnv, version } from './env';

const WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';
const canary = (extra: string) => `nginx_ingress_controller_requests{namespace="{{namespace}}",ingress="{{app}}",canary!=""${extra}}`;
const GATES = {
  gates: `success-rate: sum(rate(${canary(',status!~"5.."')}[10s])) / sum(rate(${canary('')}[10s])) >= 0.95`,
  gateInterval: '3',
  trafficSteps: '10, 25, 50',
  trafficStepSeconds: '6',
};

describe('progressive traffic: 10 -> 25 -> 50 % with metric gates (ingress-nginx, helm 3)', function () {
  this.timeout(600_000);
  let env: Env;
  let prometheus: Prometheus;
  const runs: Record<string, TaskRun> = {};
  let result: ProbeResult;
  /** Every canary weight the router wrote on the staging Ingress, in order, per run. */
  const weights: Record<string, string[]> = {};
  let watching = '';
  /** When set: the slot whose pods start failing half of /api once the router writes 25 %. */
  let degrade: string | undefined;

  before(async function () {
    requirePrometheus(this);
    env = await startEnv({ helm: 'v3', router: 'nginx', ownership: 'managed' });
    prometheus = await startPrometheus([env.dataplane.metricsUrl!]);
    const pods = RESOURCES.find((r) => r.kind === 'Pod')!;
    env.cluster.store.subscribe((e: StoreEvent) => {
      if (e.object.kind !== 'Ingress' || e.object.metadata.name !== 'calc-preview' || e.type === 'DELETED') return;
      const weight = e.object.metadata.annotations?.[WEIGHT] ?? '';
      const seen = (weights[watching] ??= []);
      if (seen[seen.length - 1] !== weight) seen.push(weight);
      if (degrade && weight === '25') {
        const release = degrade;
        degrade = undefined;
        setImmediate(() => {
          for (const pod of env.cluster.store.ofKind('Pod', 'calc').filter((p) => p.metadata.labels?.['app.kubernetes.io/instance'] === release)) {
            pod.metadata.annotations = { ...pod.metadata.annotations, [FAIL_PERCENT_ANNOTATION]: '50', [FAIL_PATH_ANNOTATION]: '/api' };
            env.cluster.store.put(pods, pod);
          }
        });
      }
    });
    const gates = { ...GATES, metricsServer: prometheus.url };

    runs.first = await env.task('Deploy', 1, version('1.0.0'));
    const probe = env.probe({ url: `${env.dataplane.url}/api/orders` });
    runs.deploy2 = await env.task('Deploy', 2, version('2.0.0'));
    probe.mark('route v2');
    watching = 'route v2';
    runs.route2 = await env.task('RouteTraffic', 2, { ...checksFor('2.0.0'), ...gates });
    watching = '';
    probe.mark('promote v2');
    runs.success2 = await env.task('OnSuccess', 2, checksFor('2.0.0'));
    probe.mark('deploy v3');
    runs.deploy3 = await env.task('Deploy', 3, version('3.0.0'));
    probe.mark('route v3');
    watching = 'route v3';
    degrade = 'calc-blue';
    runs.route3 = await env.task('RouteTraffic', 3, { ...checksFor('3.0.0'), ...gates });
    watching = '';
    probe.mark('reject v3');
    runs.failure3 = await env.task('OnFailure', 3);
    probe.mark('after');
    await new Promise((r) => setTimeout(r, 500));
    result = await probe.stop();
  });
  after(async () => {
    await prometheus?.close();
    await env?.close();
  });

  it('a healthy version climbs 10 -> 25 -> 50 %, its gates passing at every step', () => {
    expectOutcome(runs.route2, 'Succeeded');
    assert.deepEqual(weights['route v2'], ['10', '25', '50']);
    assert.equal(runs.route2.outputs.trafficPercent, '50');
    for (const [i, p] of ['10', '25', '50'].entries()) {
      assert.match(runs.route2.log, new RegExp(`Watch 1 metric gate\\(s\\) on slot green at ${p} % of users \\(step ${i + 1} of 3\\): every 3 s, 2 time\\(s\\)`));
    }
    assert.equal((runs.route2.log.match(/PASS success-rate \[\d\/2\]/g) ?? []).length, 6);
    assert.match(runs.route2.message, /passed validation and receives 50 % of users/);
    const versions = phase(result, 'route v2').versions;
    assert.ok((versions['2.0.0'] ?? 0) > 0 && (versions['1.0.0'] ?? 0) > 0, JSON.stringify(versions));
  });

  it('OnSuccess promotes it', () => {
    expectOutcome(runs.success2, 'Succeeded');
    assert.equal(activeRelease(env), 'calc-green');
  });

  it('a version that degrades at 25 % is caught at 25 %: users are withdrawn, 50 % is never sent', () => {
    expectOutcome(runs.route3, 'Failed');
    assert.deepEqual(weights['route v3'], ['10', '25', '0'], '10, then 25, then back to 0 at once');
    assert.match(runs.route3.message, /Metric gate success-rate failed: .* Watched on slot blue at 25 % of users \(step 2 of 3\)\. Real users were taken off slot blue\. Production \(slot green\) was not changed\./);
    assert.match(runs.route3.log, /PASS success-rate \[\d\/2\]: 1 /, 'it passed at 10 %');
    assert.doesNotMatch(runs.route3.log, /Send 50 % of users/);
  });

  it('OnFailure removes it; production (v2) never failed a request, and users saw failures only from v3 during its step', () => {
    expectOutcome(runs.failure3, 'Succeeded');
    assert.deepEqual(releasesIn(env, 'calc'), ['calc-green']);
    assert.equal(activeRelease(env), 'calc-green');
    const failed = result.records.filter((r) => r.failed);
    assert.ok(failed.length > 0, 'v3 did fail users at 25 %');
    for (const r of failed) assert.deepEqual([r.version, r.status, r.phase], ['3.0.0', 500, 'route v3'], JSON.stringify(r));
    for (const p of ['route v2', 'promote v2', 'deploy v3', 'reject v3', 'after']) assert.equal(phase(result, p).failures, 0, `${p}: ${JSON.stringify(phase(result, p).statuses)}`);
  });
});
