import * as assert from 'node:assert/strict';
import { type App, type Routing, type Slot, locate } from '../../shared/model';
import type { ReleaseRecord } from '../../shared/releases';
import { type AppState, foreignRelease, planDeploy, planPromote, planValidate, planWithdraw, roleOf } from '../../shared/slots';

const app: App = { name: 'calc', namespace: 'calc', layout: 'shared' };

interface SlotSpec {
  status?: ReleaseRecord['status'];
  ready?: boolean;
  run?: string;
  updated?: string;
  owner?: string;
}

function state(routing: Partial<Routing>, slots: Partial<Record<Slot, SlotSpec>>): AppState {
  const r: Routing = { stagingPercent: 0, ...routing };
  const slot = (s: Slot) => {
    const spec = slots[s];
    const location = locate(app, s);
    const release: ReleaseRecord | undefined = spec
      ? {
          slot: s,
          name: location.release,
          namespace: location.namespace,
          revision: 1,
          deployRevision: 1,
          status: spec.status ?? 'deployed',
          chart: 'calc-1.0.0',
          chartVersion: '1.0.0',
          appVersion: '1.0',
          updated: spec.updated ?? '2026-01-01T00:00:00Z',
          run: spec.run,
          labels: { 'bluegreen-app': spec.owner ?? 'calc', ...(spec.run ? { 'bluegreen-run': spec.run } : {}) },
          version: '1.0',
          description: '',
        }
      : undefined;
    return { slot: s, location, release, ready: spec ? (spec.ready ?? true) && (spec.status ?? 'deployed') === 'deployed' : false, role: roleOf(s, release, r) };
  };
  return { app, routing: r, slots: { blue: slot('blue'), green: slot('green') } };
}

const pick = (plan: ReturnType<typeof planDeploy>) => ({ target: plan.target, install: plan.install });

describe('slots: Deploy resolution (DESIGN section 3)', () => {
  const cases: Array<[string, AppState, Partial<ReturnType<typeof planDeploy>>]> = [
    ['no release: first install into blue as production', state({}, {}), { target: 'blue', role: 'production', uninstallFirst: false, repairProduction: undefined }],
    ['production blue only: stage green', state({ production: 'blue' }, { blue: {} }), { target: 'green', role: 'staging', uninstallFirst: false }],
    ['production green only: stage blue', state({ production: 'green' }, { green: {} }), { target: 'blue', role: 'staging' }],
    ['staged green from an unfinished run: replace it in place', state({ production: 'blue', staging: 'green' }, { blue: {}, green: { run: 'r1' } }), { target: 'green', role: 'staging', uninstallFirst: false }],
    ['staged green with users: take them off first', state({ production: 'blue', staging: 'green', stagingPercent: 20 }, { blue: {}, green: {} }), { target: 'green', withdrawUsersFirst: true }],
    ['failed release in the idle slot: uninstall it first', state({ production: 'blue' }, { blue: {}, green: { status: 'failed' } }), { target: 'green', uninstallFirst: true }],
    ['pending-install in the idle slot: uninstall it first', state({ production: 'blue' }, { blue: {}, green: { status: 'pending-install' } }), { target: 'green', uninstallFirst: true }],
    ['retired (kept) release in the idle slot: replace in place', state({ production: 'green' }, { green: {}, blue: {} }), { target: 'blue', uninstallFirst: false }],
    [
      'crash mid-switch: nothing serves, green has 100 %: finish the switch to green',
      state({ staging: 'green', stagingPercent: 100 }, { blue: {}, green: {} }),
      { repairProduction: 'green', target: 'blue', role: 'staging' },
    ],
    ['routes lost, only blue healthy: repair to blue', state({}, { blue: {}, green: { status: 'failed' } }), { repairProduction: 'blue', target: 'green', uninstallFirst: true }],
    [
      'routes lost, both healthy: fall back to the older',
      state({}, { blue: { updated: '2026-03-01T00:00:00Z' }, green: { updated: '2026-02-01T00:00:00Z' } }),
      { repairProduction: 'green', target: 'blue' },
    ],
    ['production points at a failed slot, other healthy: fall back', state({ production: 'green' }, { blue: {}, green: { status: 'failed' } }), { repairProduction: 'blue', target: 'green', uninstallFirst: true }],
    ['nothing healthy at all: failed blue is replaced as production', state({}, { blue: { status: 'failed' } }), { target: 'blue', role: 'production', uninstallFirst: true }],
  ];
  for (const [title, given, expected] of cases) {
    it(title, () => {
      const plan = planDeploy(given, 'r9');
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(plan[key as keyof typeof plan], value, `${key} of ${JSON.stringify(plan)}`);
    });
  }

  it('re-run of the same run (or a canary increment): this run\'s healthy release is not installed again', () => {
    assert.deepEqual(
      planDeploy(state({ production: 'blue', staging: 'green', stagingPercent: 20 }, { blue: {}, green: { run: 'r9' } }), 'r9'),
      { target: 'green', role: 'staging', uninstallFirst: false, withdrawUsersFirst: false, install: false, notes: [planDeploy(state({ production: 'blue', staging: 'green' }, { blue: {}, green: { run: 'r9' } }), 'r9').notes[0]] },
    );
    assert.equal(planDeploy(state({ production: 'blue' }, { blue: { run: 'r9' } }), 'r9').install, false, 'first deploy of this run already in production');
    assert.deepEqual(pick(planDeploy(state({ production: 'blue' }, { blue: {}, green: { run: 'r9' } }), 'r9')), { target: 'green', install: false }, 'installed, not yet exposed');
    assert.equal(planDeploy(state({ production: 'blue' }, { blue: {}, green: { run: 'r9', status: 'failed' } }), 'r9').install, true, 'a failed install of this run is redone');
  });

  it('notes say what was replaced and why', () => {
    const plan = planDeploy(state({ production: 'blue' }, { blue: {}, green: { status: 'failed', run: 'r7' } }), 'r9');
    assert.match(plan.notes.join(' '), /Slot green holds release calc-green \(version 1.0, failed, run r7\): uninstalling it/);
  });

  it('a release the tasks did not make is foreign', () => {
    assert.equal(foreignRelease(state({ production: 'blue' }, { blue: {}, green: { owner: 'other' } }))?.slot, 'green');
    assert.equal(foreignRelease(state({ production: 'blue' }, { blue: {} })), undefined);
  });
});

describe('slots: OnSuccess promotion plan', () => {
  it('promotes the staged release of this run', () => {
    assert.deepEqual(planPromote(state({ production: 'blue', staging: 'green' }, { blue: { run: 'r1' }, green: { run: 'r2' } }), 'r2'), { kind: 'promote', from: 'blue', to: 'green' });
  });
  it('finishes a promotion already switched (re-run after a crash): retire the old slot', () => {
    assert.deepEqual(planPromote(state({ production: 'green' }, { blue: { run: 'r1' }, green: { run: 'r2' } }), 'r2'), { kind: 'promoted', production: 'green', retire: 'blue' });
  });
  it('re-run after success is a no-op', () => {
    assert.deepEqual(planPromote(state({ production: 'green' }, { green: { run: 'r2' } }), 'r2'), { kind: 'promoted', production: 'green', retire: undefined });
  });
  it('nothing staged: nothing to promote', () => {
    assert.equal(planPromote(state({ production: 'blue' }, { blue: { run: 'r1' } }), 'r2').kind, 'nothing');
  });
  it('refuses a release staged by another run', () => {
    assert.throws(() => planPromote(state({ production: 'blue', staging: 'green' }, { blue: { run: 'r1' }, green: { run: 'r3' } }), 'r2'), /staged by another run/);
  });
  it('refuses a failed release', () => {
    assert.throws(() => planPromote(state({ production: 'blue', staging: 'green' }, { blue: {}, green: { run: 'r2', status: 'failed' } }), 'r2'), /only a deployed release can be promoted/);
  });
  it('refuses a release whose workloads are not ready', () => {
    assert.throws(() => planPromote(state({ production: 'blue', staging: 'green' }, { blue: {}, green: { run: 'r2', ready: false } }), 'r2'), /not ready/);
  });
  it('completes an interrupted switch when nothing serves production', () => {
    assert.deepEqual(planPromote(state({ staging: 'green', stagingPercent: 100 }, { blue: {}, green: { run: 'r2' } }), 'r2'), { kind: 'promote', from: undefined, to: 'green' });
  });
});

describe('slots: OnFailure and RouteTraffic plans', () => {
  it('withdraws this run\'s staged slot, noting real users', () => {
    assert.deepEqual(planWithdraw(state({ production: 'blue', staging: 'green', stagingPercent: 10 }, { blue: {}, green: { run: 'r2' } }), 'r2'), { kind: 'withdraw', slot: 'green', hadUsers: true });
  });
  it('never withdraws production, even when this run made it', () => {
    assert.equal(planWithdraw(state({ production: 'blue' }, { blue: { run: 'r2' } }), 'r2').kind, 'nothing');
  });
  it('withdraws a failed install of this run', () => {
    assert.deepEqual(planWithdraw(state({ production: 'blue' }, { blue: {}, green: { run: 'r2', status: 'failed' } }), 'r2'), { kind: 'withdraw', slot: 'green', hadUsers: false });
  });
  it('validates staging, or production after a first deploy', () => {
    assert.deepEqual(planValidate(state({ production: 'blue', staging: 'green' }, { blue: {}, green: { run: 'r2' } }), 'r2'), { kind: 'staging', slot: 'green', production: 'blue' });
    assert.deepEqual(planValidate(state({ production: 'blue' }, { blue: { run: 'r2' } }), 'r2'), { kind: 'production', slot: 'blue' });
    assert.throws(() => planValidate(state({ production: 'blue' }, { blue: { run: 'r1' } }), 'r2'), /nothing to validate/);
  });
});
