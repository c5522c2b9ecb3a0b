// The tier-2 watch can fail: each invariant it checks is shown broken on a bare store and hand-made probe
// answers (the histories themselves only ever show it holding).
import * as assert from 'node:assert/strict';
import type { ProbeRecord } from '../cluster/probe';
import { type KubeObject, RESOURCES, Store } from '../cluster/store';
import { ClusterWatch } from './cluster-watch';

const kind = (k: string) => RESOURCES.find((r) => r.kind === k)!;
const put = (store: Store, o: KubeObject) => store.put(kind(o.kind), o);
const active = (release: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'calc-active', namespace: 'calc' }, spec: { selector: { 'app.kubernetes.io/instance': release } } });
const helmSecret = (release: string, revision: number, status: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: `sh.helm.release.v1.${release}.v${revision}`, namespace: 'calc', labels: { owner: 'helm', name: release, status, version: String(revision) } },
});
const ingress: KubeObject = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'calc', namespace: 'calc' }, spec: {} };
const rev = (slot: string, version: string) => ({ slot, release: `calc-${slot}`, revision: 1, installed: 't', version });
const record = (r: object): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'calc-bluegreen-record', namespace: 'calc' }, data: { record: JSON.stringify({ validations: [], promotions: [], ...r }) } });
const answer = (phase: string, fields: Partial<ProbeRecord>): ProbeRecord => ({ seq: 1, phase, at: 0, durationMs: 1, failed: false, ...fields });

describe('histories (tier 2): the cluster watch', () => {
  it('flags a helm write to the release that serves production at that instant, and no other', () => {
    const store = new Store();
    const watch = new ClusterWatch(store);
    put(store, helmSecret('calc-blue', 1, 'deployed'));
    put(store, active('calc-blue'));
    put(store, helmSecret('calc-green', 1, 'deployed'));
    assert.deepEqual(watch.violations, []);
    watch.actor = 'Deploy of run 3';
    put(store, helmSecret('calc-blue', 2, 'pending-upgrade'));
    assert.equal(watch.violations.length, 1);
    assert.match(watch.violations[0] ?? '', /Deploy of run 3 wrote helm release Secret sh\.helm\.release\.v1\.calc-blue\.v2 \(ADDED, status pending-upgrade\) while release calc-blue served production/);
    put(store, active('calc-green'));
    store.remove(kind('Secret'), 'calc', 'sh.helm.release.v1.calc-blue.v1');
    assert.equal(watch.violations.length, 1, 'retiring the old production after the switch is fine');
    watch.close();
  });

  it('judges answers: failures only without a route, from a broken first deploy, or within its own rollback', () => {
    const store = new Store();
    const watch = new ClusterWatch(store);
    const t0 = Date.now();
    watch.startPhase('start', 'start');
    assert.deepEqual(watch.judge(answer('start', { status: 404, failed: true }), t0), [], 'no route yet');
    put(store, ingress);
    watch.startPhase('#1 Deploy', '#1');
    assert.match(watch.judge(answer('#1 Deploy', { status: 503, failed: true }), t0).join(), /a production request failed: 503/);
    assert.match(watch.judge(answer('#1 Deploy', { status: 200, version: '1.0.0', release: 'calc-blue' }), t0).join(), /version 1\.0\.0 from calc-blue, which had not passed validation/);
    put(store, record({ promotions: [{ to: rev('blue', '1.0.0'), run: 'r1', state: 'confirmed', firstDeploy: true, at: 'a' }] }));
    assert.deepEqual(watch.judge(answer('#1 Deploy', { status: 500, version: '1.0.0', release: 'calc-blue', failed: true, at: Date.now() - t0 }), t0), [], 'a first deploy that went live broken');

    watch.startPhase('#2 OnSuccess', '#2');
    const promotion = { to: rev('green', '2.0.0'), from: rev('blue', '1.0.0'), run: 'r2', at: 'b' };
    put(store, record({ validations: [{ ...rev('green', '2.0.0'), run: 'r2', by: 'RouteTraffic', checks: [], at: 'b' }], promotions: [{ ...promotion, state: 'begun' }] }));
    assert.deepEqual(watch.judge(answer('#2 OnSuccess', { status: 200, version: '2.0.0', release: 'calc-green', at: Date.now() - t0 }), t0), []);
    assert.match(watch.judge(answer('#2 OnSuccess', { status: 200, version: '2.0.0', release: 'calc-blue', at: Date.now() - t0 }), t0).join(), /not passed validation/, 'validated in the other slot');
    const broken = answer('#2 OnSuccess', { status: 500, version: '2.0.0', release: 'calc-green', failed: true, at: Date.now() - t0 });
    assert.match(watch.judge(broken, t0).join(), /a production request failed: 500 from 2\.0\.0/, 'not before it is rolled back');
    put(store, record({ promotions: [{ ...promotion, state: 'rolledBack', at: 'c' }] }));
    assert.deepEqual(watch.rollbacksOf('#2'), [{ version: '2.0.0', from: '1.0.0' }]);
    assert.deepEqual(watch.judge(broken, t0), [], 'within the rollback of that version');

    watch.startPhase('#2 after', '#2 after').expect = '1.0.0';
    assert.match(watch.judge(answer('#2 after', { status: 500, version: '2.0.0', release: 'calc-green', failed: true }), t0).join(), /after the confirmation rollback users got 500 from 2\.0\.0 instead of version 1\.0\.0/);
    assert.deepEqual(watch.judge(answer('#2 after', { status: 200, version: '1.0.0', release: 'calc-blue' }), t0), []);

    watch.startPhase('#3 drift', '#3');
    store.remove(kind('Ingress'), 'calc', 'calc');
    assert.deepEqual(watch.judge(answer('#3 drift', { status: 404, failed: true }), t0), [], 'the route was deleted');
    watch.close();
  });
});
