// The pure decisions of every lifecycle step (shared/core/plans.ts): the review's cases one by one, then every
// combination of slot contents, routing and record, each plan checked against the invariants.
import * as assert from 'node:assert/strict';
import { type Slot, SLOTS } from '../../shared/core/model';
import { type Action, planDeploy, planPromote, planValidate, planWithdraw, productionSlot } from '../../shared/core/plans';
import { type AppRecord, knownGood, type Promotion, type Validation, validationOf, promotionTo, everLive, sameRevision } from '../../shared/core/record';
import { type AppState, foreignRelease, revisionOf, slotOfRun } from '../../shared/core/state';
import { planRollback } from '../../shared/core/rollback-plan';
import { live, promoted, rev, type SlotSpec, state, validated } from './plan-fixtures';

const kinds = (actions: Action[]) => actions.map((a) => a.do);

describe('plans: Deploy', () => {
  it('first deploy: install blue, route production to it, wait for the data plane', () => {
    assert.deepEqual(kinds(planDeploy(state({}, {}), 'r1').actions), ['install', 'go-live', 'settle']);
  });
  it('production blue: stage green and prove the staging route before returning', () => {
    const plan = planDeploy(state({ production: 'blue' }, { blue: {} }, { promotions: [live('blue')] }), 'r2');
    assert.deepEqual(plan.actions, [{ do: 'install', slot: 'green', role: 'staging' }, { do: 'expose', slot: 'green' }, { do: 'settle', why: 'the staging route reaches slot green' }]);
  });
  it('case 1: production blue briefly not ready stays production; nothing is uninstalled', () => {
    const plan = planDeploy(state({ production: 'blue' }, { blue: { ready: false } }, { promotions: [live('blue')] }), 'r2');
    assert.equal(plan.target, 'green');
    assert.equal(plan.role, 'staging');
    assert.ok(!plan.actions.some((a) => 'slot' in a && a.slot === 'blue'), JSON.stringify(plan.actions));
    assert.match(plan.notes.join(' '), /serves production but not all its pods are ready/);
  });
  it('case 1b: a kept failed release in green and a not-ready blue: blue stays production, green is replaced', () => {
    const given = state({ production: 'blue' }, { blue: { ready: false, run: 'r1' }, green: { run: 'r2', ready: false } }, { promotions: [live('blue', 'r1')] });
    const plan = planDeploy(given, 'r3');
    // A settle first: a task that died after taking users off green may have left the data plane behind.
    assert.deepEqual(kinds(plan.actions), ['settle', 'install', 'expose', 'settle']);
    assert.equal(plan.target, 'green');
  });
  it('routes lost: repair only to a known-good slot (the latest production first)', () => {
    const record = { promotions: [live('green', 'r5')], validations: [validated('blue', 'r6')] };
    const plan = planDeploy(state({}, { blue: { run: 'r6' }, green: { run: 'r5' } }, record), 'r7');
    assert.deepEqual(plan.actions[0], { do: 'repair-route', slot: 'green' });
    assert.equal(plan.target, 'blue');
  });
  it('routes lost and nothing known good: refuse, changing nothing', () => {
    const record = { promotions: [promoted(rev('blue', { revision: 9 }), 'confirmed', 'r1')] };
    assert.throws(() => planDeploy(state({}, { blue: { run: 'r6' }, green: { run: 'r5' } }, record), 'r7'), /no slot holds a release known to be good.*Nothing was changed/);
  });
  it('a reinstalled release (new first_deployed) is not known good by its predecessor\'s record', () => {
    const record = { promotions: [live('blue', 'r1', { installed: 'old' })] };
    assert.throws(() => planDeploy(state({}, { blue: { run: 'r1', installed: 'new' } }, record), 'r7'), /known to be good/);
  });
  it('re-run: this run\'s release already staged is not installed again, and is exposed if it is not', () => {
    const record = { promotions: [live('blue')] };
    assert.deepEqual(kinds(planDeploy(state({ production: 'blue', staging: 'green' }, { blue: {}, green: { run: 'r2' } }, record), 'r2').actions), ['settle']);
    assert.deepEqual(kinds(planDeploy(state({ production: 'blue' }, { blue: {}, green: { run: 'r2' } }, record), 'r2').actions), ['expose', 'settle']);
  });
  it('re-run of a first deploy that died before recording it: records it, installs nothing', () => {
    assert.deepEqual(kinds(planDeploy(state({ production: 'blue' }, { blue: { run: 'r1' } }), 'r1').actions), ['go-live', 'settle']);
  });
  it('a failed release in the idle slot is removed first; users on the staged slot are withdrawn first', () => {
    const record = { promotions: [live('blue')] };
    assert.deepEqual(kinds(planDeploy(state({ production: 'blue' }, { blue: {}, green: { status: 'failed' } }, record), 'r2').actions), ['remove', 'install', 'expose', 'settle']);
    assert.deepEqual(kinds(planDeploy(state({ production: 'blue', staging: 'green', stagingPercent: 20 }, { blue: {}, green: {} }, record), 'r2').actions), ['withdraw-users', 'install', 'expose', 'settle']);
  });
  it('a release the tasks did not make is foreign', () => {
    assert.equal(foreignRelease(state({ production: 'blue' }, { blue: {}, green: { owner: 'other' } }))?.slot, 'green');
  });
});

describe('plans: RouteTraffic', () => {
  it('proves the staging route before the checks, then sends users', () => {
    const plan = planValidate(state({ production: 'blue', staging: 'green' }, { blue: {}, green: { run: 'r2' } }), 'r2', 20);
    assert.deepEqual(kinds(plan.actions), ['settle', 'validate', 'set-percent', 'settle']);
  });
  it('case 2: a slot kept unrouted by OnFailure is exposed again before any check counts', () => {
    const plan = planValidate(state({ production: 'blue' }, { blue: {}, green: { run: 'r2' } }), 'r2', 0);
    assert.deepEqual(kinds(plan.actions), ['expose', 'settle', 'validate']);
  });
  it('first deploy: validates production', () => {
    assert.deepEqual(kinds(planValidate(state({ production: 'blue' }, { blue: { run: 'r2' } }), 'r2', 0).actions), ['validate-production']);
  });
  it('nothing of this run: a clear error', () => {
    assert.throws(() => planValidate(state({ production: 'blue' }, { blue: { run: 'r1' } }), 'r2', 0), /nothing to validate/);
  });
});

describe('plans: OnSuccess', () => {
  const base = { blue: { run: 'r1' }, green: { run: 'r2' } };
  it('validated in this run: begin, switch, settle, confirm, end, retire', () => {
    const plan = planPromote(state({ production: 'blue', staging: 'green' }, base, { validations: [validated('green', 'r2')] }), 'r2');
    assert.deepEqual(kinds(plan.actions), ['begin-promotion', 'switch', 'settle', 'confirm', 'end-promotion', 'retire']);
  });
  it('not validated in this run (no RouteTraffic, or validated by another run): validates on the staging route first', () => {
    const plan = planPromote(state({ production: 'blue', staging: 'green' }, base, { validations: [validated('green', 'r9')] }), 'r2');
    assert.deepEqual(kinds(plan.actions).slice(0, 2), ['settle', 'validate']);
  });
  it('case 2: never promotes an unvalidated slot as an "interrupted switch": exposes and validates it first', () => {
    const plan = planPromote(state({ production: 'blue' }, base), 'r2');
    assert.deepEqual(kinds(plan.actions).slice(0, 3), ['expose', 'settle', 'validate']);
  });
  it('a revision rolled back before is validated again', () => {
    const plan = planPromote(state({ production: 'blue', staging: 'green' }, base, { validations: [validated('green', 'r2')], promotions: [promoted(rev('green', { run: 'r2' }), 'rolledBack', 'r2', rev('blue'))] }), 'r2');
    assert.ok(kinds(plan.actions).includes('validate'));
  });
  it('case 3: killed right after the switch: the re-run confirms, and rolls back to the previous production on failure', () => {
    const promotion = promoted(rev('green', { run: 'r2' }), 'begun', 'r2', rev('blue', { run: 'r1' }));
    const plan = planPromote(state({ production: 'green' }, base, { promotions: [promotion] }), 'r2');
    assert.deepEqual(plan.actions, [
      { do: 'settle', why: 'production reaches slot green' },
      { do: 'confirm', to: 'green', from: 'blue' },
      { do: 'end-promotion', to: 'green', from: 'blue' },
      { do: 'retire', slot: 'blue' },
    ]);
  });
  it('killed between the two writes of a two-write switch (Traffic Manager: both endpoints take users): the re-run completes the switch before confirming', () => {
    const promotion = promoted(rev('green', { run: 'r2' }), 'begun', 'r2', rev('blue', { run: 'r1' }));
    // Equal weights read as production on green (the earlier endpoint) and 50 % still on blue.
    const plan = planPromote(state({ production: 'green', staging: 'blue', stagingPercent: 50 }, base, { validations: [validated('green', 'r2', { run: 'r2' })], promotions: [promotion] }), 'r2');
    assert.deepEqual(kinds(plan.actions), ['switch', 'settle', 'confirm', 'end-promotion', 'retire']);
    assert.deepEqual(plan.actions[0], { do: 'switch', to: 'green', from: 'blue' });
  });
  it('confirmed already: only the retirement is left; a re-run after success is a no-op', () => {
    const promotion = promoted(rev('green', { run: 'r2' }), 'confirmed', 'r2', rev('blue', { run: 'r1' }));
    assert.deepEqual(planPromote(state({ production: 'green' }, base, { promotions: [promotion] }), 'r2').actions, [{ do: 'retire', slot: 'blue' }]);
    assert.deepEqual(planPromote(state({ production: 'green' }, { green: { run: 'r2' } }, { promotions: [promotion] }), 'r2').actions, []);
  });
  it('never retires a slot that holds something else than the production it replaced', () => {
    const promotion = promoted(rev('green', { run: 'r2' }), 'confirmed', 'r2', rev('blue', { run: 'r1' }));
    const later = state({ production: 'green', staging: 'blue' }, { blue: { run: 'r3', installed: 'again' }, green: { run: 'r2' } }, { promotions: [promotion] });
    assert.deepEqual(planPromote(later, 'r2').actions, []);
  });
  it('refuses what may not be promoted, changing nothing', () => {
    assert.throws(() => planPromote(state({ production: 'blue', staging: 'green' }, { blue: { run: 'r1' }, green: { run: 'r3' } }), 'r2'), /staged by another run/);
    assert.throws(() => planPromote(state({ production: 'blue', staging: 'green' }, { blue: {}, green: { run: 'r2', status: 'failed' } }), 'r2'), /only a deployed release/);
    assert.throws(() => planPromote(state({ production: 'blue', staging: 'green' }, { blue: {}, green: { run: 'r2', ready: false } }), 'r2'), /not ready/);
    assert.throws(() => planPromote(state({ staging: 'green', stagingPercent: 100 }, base), 'r2'), /run Deploy to repair/);
  });
});

describe('plans: OnFailure', () => {
  it('withdraws users first, then removes (or keeps unrouted)', () => {
    const given = state({ production: 'blue', staging: 'green', stagingPercent: 10 }, { blue: {}, green: { run: 'r2' } });
    assert.deepEqual(kinds(planWithdraw(given, 'r2', false).actions), ['withdraw-users', 'remove']);
    assert.deepEqual(kinds(planWithdraw(given, 'r2', true).actions), ['withdraw-users', 'unroute']);
  });
  it('never touches a production this run promoted and confirmed', () => {
    const promotion = promoted(rev('green', { run: 'r2' }), 'confirmed', 'r2', rev('blue'));
    assert.equal(planWithdraw(state({ production: 'green' }, { blue: {}, green: { run: 'r2' } }, { promotions: [promotion] }), 'r2', false).kind, 'nothing');
  });
  it('case 3: after an interrupted promotion, restores the previous production instead of refusing', () => {
    const promotion = promoted(rev('green', { run: 'r2' }), 'begun', 'r2', rev('blue'));
    const plan = planWithdraw(state({ production: 'green' }, { blue: {}, green: { run: 'r2' } }, { promotions: [promotion] }), 'r2', false);
    assert.deepEqual(plan.actions, [{ do: 'restore', to: 'blue', from: 'green' }, { do: 'remove', slot: 'green' }]);
  });
  it('a failed install of this run is removed even with keepFailedSlot (nothing to debug behind a route)', () => {
    assert.deepEqual(kinds(planWithdraw(state({ production: 'blue' }, { blue: {}, green: { run: 'r2', status: 'failed' } }), 'r2', true).actions), ['remove']);
  });
});

// ---------------------------------------------------------------------------------------------------
describe('plans: Rollback', () => {
  // Production green (run r2, promoted from blue); blue keeps the previous production (retirePolicy: keep).
  const kept = () => state({ production: 'green' }, { blue: { run: 'r1' }, green: { run: 'r2' } }, { promotions: [promoted(rev('green', { run: 'r2' }), 'confirmed', 'r2', rev('blue', { run: 'r1' })), live('blue', 'r1', { run: 'r1' })] });
  it('validates the kept previous production on its staging route, then begin, switch, settle, confirm, end; the version left is staged', () => {
    const plan = planRollback(kept(), 'r9', 'stage');
    assert.deepEqual(kinds(plan.actions), ['expose', 'settle', 'validate', 'begin-promotion', 'switch', 'settle', 'confirm', 'end-promotion', 'expose', 'settle']);
    assert.deepEqual(plan.actions[3], { do: 'begin-promotion', to: 'blue', from: 'green', rollback: true });
    assert.equal(plan.actions.filter((a) => a.do === 'switch').length, 1, 'one routing write moves production');
    assert.match(plan.notes[0] ?? '', /back from slot green .* to slot blue .*in production since run r1/);
  });
  it('remove: the version rolled back from is retired (drained, uninstalled) after the confirmation', () => {
    assert.deepEqual(kinds(planRollback(kept(), 'r9', 'remove').actions).slice(-1), ['retire']);
  });
  it('nothing to roll back to: an empty slot, a candidate that never served production, a failed release', () => {
    const lone = state({ production: 'green' }, { green: { run: 'r2' } }, { promotions: [live('green', 'r2', { run: 'r2' })] });
    assert.throws(() => planRollback(lone, 'r9', 'stage'), /Nothing to roll back to: slot blue is empty.*retirePolicy: keep.*Nothing was changed/);
    const candidate = state({ production: 'green', staging: 'blue' }, { blue: { run: 'r3' }, green: { run: 'r2' } }, { promotions: [live('green', 'r2', { run: 'r2' })], validations: [validated('blue', 'r3', { run: 'r3' })] });
    assert.throws(() => planRollback(candidate, 'r9', 'stage'), /never served production/);
    const failed = state({ production: 'green' }, { blue: { run: 'r3', status: 'failed' }, green: { run: 'r2' } }, { promotions: [live('green', 'r2', { run: 'r2' })] });
    assert.throws(() => planRollback(failed, 'r9', 'stage'), /Nothing to roll back to: slot blue holds/);
  });
  it('re-run after a kill right after the switch: confirms, ends, stages; after the end: only what is left', () => {
    const given = kept();
    const begun = { ...promoted(rev('blue', { run: 'r1' }), 'begun', 'r9', rev('green', { run: 'r2' })), rollback: true };
    const switched = state({ production: 'blue' }, { blue: { run: 'r1' }, green: { run: 'r2' } }, { ...given.record, promotions: [begun, ...given.record.promotions] });
    assert.deepEqual(kinds(planRollback(switched, 'r9', 'stage').actions), ['settle', 'confirm', 'end-promotion', 'expose', 'settle']);
    const done = state({ production: 'blue', staging: 'green' }, { blue: { run: 'r1' }, green: { run: 'r2' } }, { ...given.record, promotions: [{ ...begun, state: 'confirmed' }, ...given.record.promotions] });
    assert.deepEqual(planRollback(done, 'r9', 'stage').actions, []);
  });
  it('re-run after a kill between the two writes of a Traffic Manager switch (both endpoints take users): completes the switch, then confirms', () => {
    // Seen under load: the kept slot's endpoint is the older one, so equal weights read as production on it
    // while half the users are still on the slot rolled back from; confirming without the switch failed.
    const given = kept();
    const begun = { ...promoted(rev('blue', { run: 'r1' }), 'begun', 'r9', rev('green', { run: 'r2' })), rollback: true };
    const half = state({ production: 'blue', staging: 'green', stagingPercent: 50 }, { blue: { run: 'r1' }, green: { run: 'r2' } }, { ...given.record, promotions: [begun, ...given.record.promotions] });
    assert.deepEqual(kinds(planRollback(half, 'r9', 'remove').actions), ['switch', 'settle', 'confirm', 'end-promotion', 'retire']);
  });
  it('the version rolled back from is never known good again, and is validated again before a new promotion', () => {
    const given = kept();
    const rolled = { ...promoted(rev('blue', { run: 'r1' }), 'confirmed', 'r9', rev('green', { run: 'r2' })), rollback: true };
    const after = state({ production: 'blue', staging: 'green' }, { blue: { run: 'r1' }, green: { run: 'r2' } }, { validations: [validated('green', 'r2', { run: 'r2' })], promotions: [rolled, ...given.record.promotions] });
    assert.equal(knownGood(after.record, revisionOf(after.slots.green)!), undefined);
    assert.ok(kinds(planPromote(after, 'r2').actions).includes('validate'), 'OnSuccess of the rolled-back run validates again');
    assert.throws(() => planRollback(after, 'r10', 'stage'), /never served production \(or was rolled back from\)/);
  });
});

// Every combination: slot contents x routing x what the record knows, for each planner and run.

const SPECS: Array<SlotSpec | undefined> = [
  undefined,
  { run: 'r2' },
  { run: 'r2', ready: false },
  { run: 'r1' },
  { run: 'r1', ready: false },
  { run: 'r2', status: 'failed' },
  { run: 'r1', status: 'failed' },
  { run: 'r1', status: 'pending-upgrade' },
];
type Knowledge = 'none' | 'validated-r2' | 'validated-r1' | 'served';
const KNOWLEDGE: Knowledge[] = ['none', 'validated-r2', 'validated-r1', 'served'];
type OursPromotion = 'none' | 'begun' | 'confirmed' | 'rolledBack' | 'rollback-begun' | 'rollback-confirmed';
const PROMOTION: OursPromotion[] = ['none', 'begun', 'confirmed', 'rolledBack', 'rollback-begun', 'rollback-confirmed'];

function recordFor(specs: Record<Slot, SlotSpec | undefined>, know: Record<Slot, Knowledge>, ours: OursPromotion): AppRecord {
  const validations: Validation[] = [];
  const promotions: Promotion[] = [];
  for (const slot of SLOTS) {
    const spec = specs[slot];
    if (!spec) continue;
    if (know[slot] === 'validated-r2') validations.push(validated(slot, 'r2', spec));
    if (know[slot] === 'validated-r1') validations.push(validated(slot, 'r1', spec));
    if (know[slot] === 'served') promotions.push(live(slot, spec.run, spec));
  }
  const mine = SLOTS.find((s) => specs[s]?.run === 'r2');
  if (mine && ours !== 'none') {
    const other = SLOTS.find((s) => s !== mine)!;
    const rollback = ours.startsWith('rollback-');
    const entry = promoted(rev(mine, specs[mine]), (rollback ? ours.slice('rollback-'.length) : ours) as Promotion['state'], 'r2', specs[other] ? rev(other, specs[other]) : undefined);
    promotions.unshift(rollback ? { ...entry, rollback: true } : entry);
  }
  return { validations, promotions };
}

function* allStates(): Generator<AppState> {
  for (const blue of SPECS)
    for (const green of SPECS)
      for (const kb of KNOWLEDGE)
        for (const kg of KNOWLEDGE)
          for (const ours of PROMOTION)
            for (const production of [undefined, 'blue', 'green'] as const)
              for (const staging of [undefined, 'blue', 'green'] as const) {
                if (staging && staging === production) continue;
                for (const stagingPercent of staging ? [0, 20] : [0]) {
                  const specs = { blue, green };
                  yield state({ production, staging, stagingPercent }, { ...(blue ? { blue } : {}), ...(green ? { green } : {}) }, recordFor(specs, { blue: kb, green: kg }, ours));
                }
              }
}

const ROUTING_WRITES = new Set<Action['do']>(['repair-route', 'withdraw-users', 'remove', 'go-live', 'expose', 'set-percent', 'switch', 'retire', 'unroute', 'restore']);
const slotsOf = (a: Action): Slot[] => ('slot' in a ? [a.slot] : []);

/** The invariants every plan keeps, whatever the state (production is decided by routing and users move only to a known-good revision, docs/guarantees.md, read on the plan). */
function checkPlan(given: AppState, run: string, actions: Action[], task: string): void {
  const where = () => `${task} ${run} on ${JSON.stringify({ routing: given.routing, slots: SLOTS.map((s) => given.slots[s].release && { s, st: given.slots[s].release!.status, run: given.slots[s].release!.run, ready: given.slots[s].ready }), record: given.record })}: ${JSON.stringify(actions)}`;
  let production = productionSlot(given);
  const validatedHere = new Set<Slot>();
  let settledSinceWrite = true;
  // A switch this run began before (and was cut between the two writes of a two-write switch).
  const begunByRun = (slot: Slot) => {
    const s = given.slots[slot];
    return !!s.release && given.record.promotions.some((p) => p.run === run && p.state === 'begun' && p.to.slot === slot && sameRevision(p.to, revisionOf(s)!));
  };
  for (const [i, a] of actions.entries()) {
    // Production (by routing) is never installed over, removed or retired.
    if (a.do === 'install' || a.do === 'remove' || a.do === 'retire' || a.do === 'unroute') {
      assert.ok(!production || !slotsOf(a).includes(production), `${a.do} touches production slot ${production}: ${where()}`);
    }
    // A check counts only after the data plane applied every earlier routing write.
    if (a.do === 'validate' || a.do === 'confirm') assert.ok(settledSinceWrite, `${a.do} without a settle after the last routing write: ${where()}`);
    if (a.do === 'validate') {
      const exposed = given.routing.staging === a.slot || actions.slice(0, i).some((b) => b.do === 'expose' && b.slot === a.slot);
      assert.ok(exposed, `validate of slot ${a.slot} that is not on the staging route: ${where()}`);
      validatedHere.add(a.slot);
    }
    // Users move only to a revision known to be good, validated here, or (first deploy) to the only release.
    const movesUsersTo = a.do === 'switch' || a.do === 'restore' || a.do === 'repair-route' ? (a.do === 'repair-route' ? a.slot : a.to) : a.do === 'set-percent' && a.percent > 0 ? a.slot : undefined;
    if (movesUsersTo) {
      const s = given.slots[movesUsersTo];
      const good = s.release && knownGood(given.record, revisionOf(s)!);
      const mineValidated = s.release && validationOf(given.record, revisionOf(s)!, run) && promotionTo(given.record, revisionOf(s)!, run)?.state !== 'rolledBack';
      // A switch this run began before is completed only to a known-good slot.
      const resumed = a.do === 'switch' && begunByRun(movesUsersTo);
      assert.ok(validatedHere.has(movesUsersTo) || (a.do !== 'switch' && good) || (a.do === 'switch' && (mineValidated || (resumed && good))), `${a.do} moves users to unproven slot ${movesUsersTo}: ${where()}`);
    }
    if (a.do === 'go-live') assert.ok(!everLive(given.record), `go-live of an app that served users before: ${where()}`);
    if (a.do === 'switch') assert.ok(begunByRun(a.to) || actions.slice(0, i).some((b) => b.do === 'begin-promotion' && b.to === a.to), `switch without begin-promotion: ${where()}`);
    if (a.do === 'retire' && task === 'OnSuccess') assert.ok(a.slot !== slotOfRun(given, run)?.slot, `retire of this run's own slot: ${where()}`);
    if (a.do === 'switch' || a.do === 'restore' || a.do === 'repair-route' || a.do === 'go-live') production = a.do === 'repair-route' || a.do === 'go-live' ? a.slot : a.to;
    if (a.do === 'settle') settledSinceWrite = true;
    else if (ROUTING_WRITES.has(a.do)) settledSinceWrite = a.do === 'withdraw-users' || a.do === 'restore'; // these settle inside the step
  }
}

describe('plans: every state x routing x record (exhaustive)', function () {
  this.timeout(120_000);
  it('every plan of every task keeps the invariants, or refuses with a sentence', () => {
    let states = 0;
    let plans = 0;
    let refusals = 0;
    const attempt = (task: string, given: AppState, run: string, f: () => { actions: Action[] }) => {
      try {
        checkPlan(given, run, f().actions, task);
        plans++;
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        assert.match((err as Error).message, /\.|nothing was changed|not changed/i);
        refusals++;
      }
    };
    for (const given of allStates()) {
      states++;
      for (const run of ['r1', 'r2', 'r3']) {
        attempt('Deploy', given, run, () => planDeploy(given, run));
        attempt('RouteTraffic', given, run, () => planValidate(given, run, 20));
        attempt('OnSuccess', given, run, () => planPromote(given, run));
        attempt('OnFailure', given, run, () => planWithdraw(given, run, false));
        attempt('OnFailure(keep)', given, run, () => planWithdraw(given, run, true));
        attempt('Rollback', given, run, () => planRollback(given, run, 'stage'));
        attempt('Rollback(remove)', given, run, () => planRollback(given, run, 'remove'));
      }
    }
    console.log(`      ${states} states, ${plans} plans checked, ${refusals} refusals`);
    assert.ok(states > 40_000 && plans > states, `${states} states, ${plans} plans`);
  });
});
