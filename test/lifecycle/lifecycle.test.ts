// The lifecycle tier: Deploy, RouteTraffic, OnSuccess and OnFailure (shared/lifecycle, the functions the
// tasks call) against in-memory helm, cluster and router (this folder), asserting the ORDER of every
// write each task makes. The order is the product: a record written after the route it justifies, a
// check run before its route is settled, or an uninstall before the data plane let go of a slot each
// breaks a guarantee of docs/guarantees.md while every object ends up looking right. Each test takes
// milliseconds; the same paths run on the emulated cluster with real helm in test/integration/.
import * as assert from 'node:assert/strict';
import { APP, checksFor, LifecycleWorld, succeed } from './harness';

const LEASE_TAKEN = 'kube create Lease calc/calc-bluegreen';
const LEASE_GIVEN_BACK = 'kube delete Lease calc/calc-bluegreen';
const RECORD_CREATED = 'kube create ConfigMap calc/calc-bluegreen-record';
const RECORD_WRITTEN = 'kube replace ConfigMap calc/calc-bluegreen-record';

const v = (version: string, extra = '') => ({ setValues: `image.tag=${version}${extra ? `\n${extra}` : ''}` });

/** Every write but the home namespace's creation falls inside the lease, which is given back last. */
function assertFenced(events: string[]): void {
  const writes = events.filter((e) => !e.startsWith('check ') && e !== `kube create Namespace ${APP.namespace}`);
  if (!writes.length) return;
  assert.equal(writes[0], LEASE_TAKEN, `the first write takes the lease:\n${events.join('\n')}`);
  assert.equal(writes[writes.length - 1], LEASE_GIVEN_BACK, `the last write gives the lease back:\n${events.join('\n')}`);
}

/** `later` happens after `earlier` (both present). */
function assertBefore(events: string[], earlier: string, later: string): void {
  const a = events.indexOf(earlier);
  const b = events.indexOf(later);
  assert.ok(a >= 0 && b >= 0, `expected both "${earlier}" and "${later}" in:\n${events.join('\n')}`);
  assert.ok(a < b, `"${earlier}" must come before "${later}":\n${events.join('\n')}`);
}

describe('lifecycle tier: the order of each task\'s writes (in-memory helm, cluster and router)', () => {
  let world: LifecycleWorld;
  beforeEach(async () => (world = await LifecycleWorld.start()));
  afterEach(async () => world.stop());

  /** v1 in production (blue), v2 staged and validated in green by run 2. */
  async function stagedAndValidated(extra = ''): Promise<void> {
    await succeed(world, 'Deploy', 1, v('1.0.0'));
    await succeed(world, 'Deploy', 2, v('2.0.0', extra));
    await succeed(world, 'RouteTraffic', 2, { checks: checksFor('2.0.0') });
  }

  it('Deploy, first deploy: installs, records the promotion, and only then routes production to it', async () => {
    // The record comes first so that a task killed between the two writes leaves a release the re-run
    // knows to be this run's production (and routes); the other way round, users would reach a revision
    // the record knows nothing about. This is the test that fails when Deploy's writes are reordered.
    const events = await succeed(world, 'Deploy', 1, v('1.0.0'));
    assert.deepEqual(events, [
      'kube create Namespace calc',
      LEASE_TAKEN,
      RECORD_CREATED, // the app's settings (shared/core/settings.ts), which the later tasks read
      'helm upgrade calc-blue',
      RECORD_WRITTEN, // the promotion, confirmed as a first deploy
      'router establish blue',
      'router settle',
      'kube patch Deployment calc/calc-blue', // this run's azure-pipelines/* annotations (shared/kubernetes/traceability.ts)
      LEASE_GIVEN_BACK,
    ]);
  });

  it('Deploy v2: installs into the idle slot, then exposes it to testers, then waits for the data plane', async () => {
    await succeed(world, 'Deploy', 1, v('1.0.0'));
    const events = await succeed(world, 'Deploy', 2, v('2.0.0'));
    assert.deepEqual(events, [LEASE_TAKEN, 'helm upgrade calc-green', 'router exposeStaging green', 'router settle', 'kube patch Deployment calc/calc-green', LEASE_GIVEN_BACK]);
    assert.ok(!events.some((e) => e.endsWith(' calc-blue') || e.includes('switchProduction')), 'production (blue) is not touched');
  });

  it('Deploy over a staged slot that real users reach: users leave it, the data plane follows, then helm installs over it', async () => {
    await succeed(world, 'Deploy', 1, v('1.0.0'));
    await succeed(world, 'Deploy', 2, v('2.0.0'));
    await succeed(world, 'RouteTraffic', 2, { checks: checksFor('2.0.0'), trafficPercent: '20' });
    const events = await succeed(world, 'Deploy', 3, v('3.0.0'));
    assert.deepEqual(events, [LEASE_TAKEN, 'router setStagingPercent 0', 'router settle', 'helm upgrade calc-green', 'router exposeStaging green', 'router settle', 'kube patch Deployment calc/calc-green', LEASE_GIVEN_BACK]);
  });

  it('Deploy of a version that never starts: the failed install is the only write, production keeps its route', async () => {
    await succeed(world, 'Deploy', 1, v('1.0.0'));
    const result = await world.run('Deploy', 2, v('2.0.0', 'fake.start=false'));
    assert.equal(result.ok, false);
    assert.match(result.error!, /helm could not install calc-green/);
    assert.deepEqual(result.events, [LEASE_TAKEN, 'helm upgrade calc-green', LEASE_GIVEN_BACK]);
    assert.equal(world.dataPlane.facts.active, 'blue');
  });

  it('Deploy killed between its record and its route: the re-run routes production without installing again', async () => {
    world.cluster.failWrite = (what) => {
      if (what === 'router establish blue') throw new Error('agent lost');
    };
    const killed = await world.run('Deploy', 1, v('1.0.0'));
    assert.equal(killed.ok, false);
    assert.deepEqual(killed.events, ['kube create Namespace calc', LEASE_TAKEN, RECORD_CREATED, 'helm upgrade calc-blue', RECORD_WRITTEN, LEASE_GIVEN_BACK]);
    world.cluster.failWrite = undefined;
    const rerun = await succeed(world, 'Deploy', 1, v('1.0.0'));
    assertFenced(rerun);
    assert.ok(!rerun.includes('helm upgrade calc-blue'), `the release of this run is not installed again:\n${rerun.join('\n')}`);
    assertBefore(rerun, 'router establish blue', 'router settle');
    assert.equal(world.dataPlane.facts.active, 'blue');
  });

  it('RouteTraffic: the staging route is settled before the first check, the validation recorded after it passes, users sent last', async () => {
    await succeed(world, 'Deploy', 1, v('1.0.0'));
    await succeed(world, 'Deploy', 2, v('2.0.0'));
    const events = await succeed(world, 'RouteTraffic', 2, { checks: checksFor('2.0.0'), trafficPercent: '10' });
    assert.deepEqual(events, [
      LEASE_TAKEN,
      'router settle',
      'check GET /ping (staging route) -> slot green 200',
      RECORD_WRITTEN,
      'router setStagingPercent 10',
      'router settle',
      LEASE_GIVEN_BACK,
    ]);
  });

  it('RouteTraffic: a failed check records nothing and sends no user', async () => {
    await succeed(world, 'Deploy', 1, v('1.0.0'));
    await succeed(world, 'Deploy', 2, v('2.0.0', 'fake.answer=500'));
    const result = await world.run('RouteTraffic', 2, { checks: checksFor('2.0.0'), trafficPercent: '10', checkTimeout: '1' });
    assert.equal(result.ok, false);
    assert.match(result.error!, /Validation failed/);
    assert.ok(!result.events.some((e) => e === RECORD_WRITTEN || e.startsWith('router setStagingPercent')), result.events.join('\n'));
    assertFenced(result.events);
  });

  it('OnSuccess: begun is recorded before the switch; production is confirmed after a settle; the old slot goes last', async () => {
    await stagedAndValidated();
    const events = await succeed(world, 'OnSuccess', 2, { checks: checksFor('2.0.0'), drainSeconds: '0' });
    assert.deepEqual(events, [
      LEASE_TAKEN,
      RECORD_WRITTEN, // promotion begun, naming the production it replaces
      'router switchProduction green',
      'router settle',
      'check GET /ping -> slot green 200',
      RECORD_WRITTEN, // promotion confirmed
      'router settle', // nothing routes to blue any more, as the data plane applies it
      'helm uninstall calc-blue',
      LEASE_GIVEN_BACK,
    ]);
  });

  it('OnSuccess: the first wrong answer after the switch moves users back before anything else is written', async () => {
    await stagedAndValidated('fake.productionAnswer=500');
    const result = await world.run('OnSuccess', 2, { checks: checksFor('2.0.0'), drainSeconds: '0' });
    assert.equal(result.ok, false);
    assert.match(result.error!, /Production was switched back to slot blue/);
    assert.deepEqual(result.events, [
      LEASE_TAKEN,
      RECORD_WRITTEN,
      'router switchProduction green',
      'router settle',
      'check GET /ping -> slot green 500',
      'router switchProduction blue',
      'router settle',
      RECORD_WRITTEN, // rolled back
      LEASE_GIVEN_BACK,
    ]);
  });

  it('OnFailure: real users leave the slot first, then testers, and it is uninstalled only after the data plane let go', async () => {
    await succeed(world, 'Deploy', 1, v('1.0.0'));
    await succeed(world, 'Deploy', 2, v('2.0.0'));
    await succeed(world, 'RouteTraffic', 2, { checks: checksFor('2.0.0'), trafficPercent: '20' });
    const events = await succeed(world, 'OnFailure', 2);
    assert.deepEqual(events, [
      LEASE_TAKEN,
      'router setStagingPercent 0',
      'router settle',
      'router withdrawStaging green',
      'router settle',
      'helm uninstall calc-green',
      LEASE_GIVEN_BACK,
    ]);
    assert.equal(world.dataPlane.facts.active, 'blue');
  });

  it('a second lifecycle while another holds the lease fails with the holder named and writes nothing', async () => {
    await succeed(world, 'Deploy', 1, v('1.0.0'));
    world.cluster.put(
      { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'calc-bluegreen', namespace: 'calc' }, spec: { holderIdentity: 'OnSuccess of run build-9 on other-agent (pid 1)', leaseDurationSeconds: 60 } },
      undefined,
      'create',
    );
    const result = await world.run('Deploy', 2, { ...v('2.0.0'), lockTimeout: '0' });
    assert.equal(result.ok, false);
    assert.match(result.error!, /holds its lease \(OnSuccess of run build-9 on other-agent/);
    assert.deepEqual(result.events, []);
  });

  it('a later task that contradicts the settings Deploy recorded is refused before any write', async () => {
    await succeed(world, 'Deploy', 1, v('1.0.0'));
    await succeed(world, 'Deploy', 2, v('2.0.0'));
    const result = await world.run('RouteTraffic', 2, { checks: checksFor('2.0.0'), router: 'appgw' });
    assert.equal(result.ok, false);
    assert.match(result.error!, /deployed with other settings than this task's inputs .*router: recorded \(not set\), this task says 'appgw'/);
    assert.deepEqual(result.events, []);
  });

  it('Deploy records a pipeline input it changes (settleSeconds) with no changeSettings; the same inputs again write no record', async () => {
    await succeed(world, 'Deploy', 1, v('1.0.0'));
    const changed = await succeed(world, 'Deploy', 2, { ...v('2.0.0'), settleSeconds: '7' });
    assertBefore(changed, LEASE_TAKEN, RECORD_WRITTEN);
    assertBefore(changed, RECORD_WRITTEN, 'helm upgrade calc-green');
    const again = await succeed(world, 'Deploy', 2, { ...v('2.0.0'), settleSeconds: '7' });
    assert.ok(!again.includes(RECORD_WRITTEN), `a re-run with the recorded settings writes no record:\n${again.join('\n')}`);
  });

  it('RouteTraffic before any Deploy fails with one sentence and writes nothing', async () => {
    const result = await world.run('RouteTraffic', 1, { checks: checksFor('1.0.0') });
    assert.equal(result.ok, false);
    assert.match(result.error!, /Run Deploy first/);
    assert.deepEqual(result.events, []);
  });

  it('a whole lifecycle keeps every write inside the lease and never writes the serving release', async () => {
    const all: string[][] = [];
    all.push(await succeed(world, 'Deploy', 1, v('1.0.0')));
    all.push(await succeed(world, 'Deploy', 2, v('2.0.0')));
    all.push(await succeed(world, 'RouteTraffic', 2, { checks: checksFor('2.0.0'), trafficPercent: '10' }));
    all.push(await succeed(world, 'OnSuccess', 2, { checks: checksFor('2.0.0'), drainSeconds: '0' }));
    all.push(await succeed(world, 'Deploy', 3, v('3.0.0')));
    all.push(await succeed(world, 'OnFailure', 3));
    all.forEach(assertFenced);
    assert.equal(world.dataPlane.facts.active, 'green');
    assert.deepEqual(world.cluster.list('v1', 'Secret', 'calc', 'owner=helm,status=deployed').map((s) => s.metadata.labels!.name), ['calc-green']);
  });
});
