// BlueGreenRollback's decision, a pure function of the app's state like the other plans (plans.ts): send
// production back to the previous production, which `retirePolicy: keep` left deployed in the other slot.
// The same rules hold: users go only to a revision that served production, checks count only after a
// settle, and the rollback is recorded as begun before the one routing write that switches, so a re-run
// after a crash confirms it or (when the switch never happened) starts it again.
import { otherSlot, type Slot } from './model';
import { type Action, finishSwitch, type Plan, productionSlot } from './plans';
import { knownGood, type Promotion, sameRevision } from './record';
import { type AppState, describeRelease, revisionOf } from './state';

/** What becomes of the version rolled back from: staged for investigation (testers only), or removed. */
export type AfterRollback = 'stage' | 'remove';

export interface RollbackPlan extends Plan {
  kind: 'rollback' | 'finish';
  /** The slot that serves production when the plan is done, and the one rolled back from. */
  to: Slot;
  from: Slot;
  /** The promotion that had put the restored revision in production, to name what is restored. */
  restores?: Promotion;
}

/** The end of a rollback: the version rolled back from is staged (for investigation) or removed. */
function leave(state: AppState, from: Slot, after: AfterRollback): Action[] {
  if (!state.slots[from].release) return [];
  if (after === 'remove') return [{ do: 'retire', slot: from }];
  return state.routing.staging === from ? [] : [{ do: 'expose', slot: from }, { do: 'settle', why: `the staging route reaches slot ${from}` }];
}

/** Throws, changing nothing, when there is nothing to roll back to. */
export function planRollback(state: AppState, runId: string, after: AfterRollback): RollbackPlan {
  const production = productionSlot(state);
  const mine = state.record.promotions.find((p) => p.run === runId && p.rollback);
  const holds = (slot: Slot, promotion: Promotion['to'] | undefined) => {
    const rev = revisionOf(state.slots[slot]);
    return !!rev && !!promotion && sameRevision(rev, promotion);
  };

  // A re-run of this run's rollback: where did the first attempt stop?
  if (mine && production === mine.to.slot && holds(mine.to.slot, mine.to)) {
    const from = otherSlot(mine.to.slot);
    if (mine.state === 'begun') {
      // Switched but never confirmed: confirm now (moving users back on the first wrong answer), then finish.
      const back = mine.from && holds(from, mine.from) && state.slots[from].release?.status === 'deployed' ? from : undefined;
      return {
        kind: 'finish',
        to: mine.to.slot,
        from,
        actions: [...finishSwitch(state, mine.to.slot), { do: 'settle', why: `production reaches slot ${mine.to.slot}` }, { do: 'confirm', to: mine.to.slot, from: back }, { do: 'end-promotion', to: mine.to.slot, from: back }, ...leave(state, from, after)],
        notes: [`Production is on slot ${mine.to.slot} but this run's rollback was never confirmed (an interrupted Rollback): confirming it now.`],
      };
    }
    if (mine.state === 'confirmed') {
      return { kind: 'finish', to: mine.to.slot, from, actions: leave(state, from, after), notes: [`This run already rolled production back to slot ${mine.to.slot} (version ${mine.to.version}).`] };
    }
  }
  if (mine?.state === 'rolledBack') {
    throw new Error(`This run's rollback to version ${mine.to.version} failed its confirmation, and production went back to where it was. Nothing was changed; find out why version ${mine.to.version} failed before rolling back again.`);
  }

  if (!production) throw new Error(`No route serves production of app ${state.app.name}: run Deploy to repair it before rolling back. Nothing was changed.`);
  const pending = state.record.promotions.find((p) => p.state === 'begun' && !(p.run === runId && p.rollback) && holds(production, p.to));
  if (pending) {
    throw new Error(
      `Run ${pending.run}'s ${pending.rollback ? 'rollback' : 'promotion'} to slot ${production} was interrupted before it was confirmed: re-run that run's task first (or its OnFailure). Nothing was changed.`,
    );
  }
  const to = otherSlot(production);
  const target = state.slots[to];
  const nothing = `Nothing to roll back to: `;
  const keep = ' Only a previous production kept by OnSuccess with retirePolicy: keep can be rolled back to. Nothing was changed.';
  if (!target.release) throw new Error(`${nothing}slot ${to} is empty.${keep}`);
  const rev = revisionOf(target)!;
  if (target.release.status !== 'deployed') throw new Error(`${nothing}slot ${to} holds ${describeRelease(target)}.${keep}`);
  if (knownGood(state.record, rev) !== 'served production') {
    throw new Error(`${nothing}slot ${to} holds ${describeRelease(target)}, which never served production (or was rolled back from).${keep}`);
  }
  if (!target.ready) throw new Error(`Slot ${to} holds ${describeRelease(target)}, but its workloads are not ready: it cannot take production. Nothing was changed.`);

  const restores = state.record.promotions.find((p) => p.state === 'confirmed' && sameRevision(p.to, rev));
  const actions: Action[] = [];
  if (state.routing.staging !== to) actions.push({ do: 'expose', slot: to });
  actions.push(
    { do: 'settle', why: `the staging route reaches slot ${to}` },
    { do: 'validate', slot: to, production },
    { do: 'begin-promotion', to, from: production, rollback: true },
    { do: 'switch', to, from: production },
    { do: 'settle', why: `production reaches slot ${to}` },
    { do: 'confirm', to, from: production },
    { do: 'end-promotion', to, from: production },
    ...leave({ ...state, routing: { ...state.routing, staging: to } }, production, after),
  );
  const since = restores ? ` (in production since run ${restores.run}, ${restores.at})` : '';
  return { kind: 'rollback', to, from: production, restores, actions, notes: [`Rolling production back from slot ${production} (${describeRelease(state.slots[production])}) to slot ${to} (${describeRelease(target)})${since}.`] };
}
