// What each lifecycle step decides to do, as pure functions of the app's state: an ordered list of
// actions that lifecycle/steps.ts carries out (and that the history tests run against an in-memory model).
// The rules, in the order they matter (docs/guarantees.md says them in plain words):
// - Production is decided by routing, never by readiness: the slot the router sends users to is never
//   the target of an install, an uninstall or a re-render, whatever its pods are doing.
// - Users are moved only to a revision known to be good (it served production, or passed validation).
// - A check counts only after a settle (the data plane has applied every earlier routing write).
// - OnSuccess promotes only a revision validated by this run, re-validating it first when needed; it
//   writes the promotion as begun before the switch, so a re-run or OnFailure knows where users came from.
import { type Slot, SLOTS, otherSlot } from './model';
import { everLive, knownGood, type Promotion, promotionTo, rolledBackFrom, sameRevision, validationOf } from './record';
import { type AppState, describeRelease, healthy, revisionOf, type SlotState, slotOfRun } from './state';

export type Action =
  /** No route serves production: route it to this known-good slot (Deploy's repair). */
  | { do: 'repair-route'; slot: Slot }
  /** Set the slot's share of real users to 0 and wait until nobody is sent there. */
  | { do: 'withdraw-users'; slot: Slot }
  /** Unroute the slot and uninstall its release. */
  | { do: 'remove'; slot: Slot }
  | { do: 'install'; slot: Slot; role: 'production' | 'staging' }
  /** First deploy: route every user to the slot, and record it as the app's first production. */
  | { do: 'go-live'; slot: Slot }
  /** Record that the slot serves production (it went live before the record knew it, e.g. a lost record). */
  | { do: 'adopt'; slot: Slot }
  /** Make the slot reachable by testers only. */
  | { do: 'expose'; slot: Slot }
  /** Wait until the data plane has applied every routing write so far (observed where possible). */
  | { do: 'settle'; why: string }
  /** Run the staging checks (and helm test in RouteTraffic) on the slot's staging route; record the validation. */
  | { do: 'validate'; slot: Slot; production?: Slot }
  /** First deploy: the run's release is production; its checks run there. */
  | { do: 'validate-production'; slot: Slot }
  | { do: 'set-percent'; slot: Slot; percent: number }
  /** Record the promotion as begun (before the switch), naming the production it replaces (a rollback says so). */
  | { do: 'begin-promotion'; to: Slot; from?: Slot; rollback?: boolean }
  | { do: 'switch'; to: Slot; from?: Slot }
  /** Checks on production after the switch; the first unambiguous failure moves users back to `from` and fails. */
  | { do: 'confirm'; to: Slot; from?: Slot }
  | { do: 'end-promotion'; to: Slot; from?: Slot }
  /** Drain, unroute and uninstall (retirePolicy delete) the previous production; keep leaves it unrouted. */
  | { do: 'retire'; slot: Slot }
  /** Unroute the slot and keep its release for debugging. */
  | { do: 'unroute'; slot: Slot }
  /** OnFailure after an interrupted promotion: users back to the previous production (settled), recorded as rolled back. */
  | { do: 'restore'; to: Slot; from: Slot };

export interface Plan {
  actions: Action[];
  /** What the log and the summary say about the decision. */
  notes: string[];
}

export interface DeployPlan extends Plan {
  target: Slot;
  role: 'production' | 'staging';
  install: boolean;
}

export const slots = (state: AppState) => SLOTS.map((s) => state.slots[s]);

/** The slot users are routed to, when it holds a release (routes to an uninstalled slot serve nobody). */
export function productionSlot(state: AppState): Slot | undefined {
  const p = state.routing.production;
  return p && state.slots[p].release ? p : undefined;
}

/** The slot is on the staging route with a share of real users. */
const takesUsers = (state: AppState, slot: Slot) => state.routing.staging === slot && state.routing.stagingPercent > 0;

/**
 * A switch that needs two writes (Traffic Manager: enable the new endpoint, then disable the old one) can
 * be cut between them: both slots then take users at equal weight, and routing alone cannot tell which one
 * is meant to serve. The record can: when this run's switch to `to` was begun and the other slot still has
 * users, the switch is completed before anything is confirmed (a one-write router never shows this state).
 */
export function finishSwitch(state: AppState, to: Slot): Action[] {
  const other = otherSlot(to);
  const rev = revisionOf(state.slots[to]);
  // Users move only to a revision known good (validated, or served production); otherwise confirm judges it.
  const good = !!rev && !!knownGood(state.record, rev);
  return good && takesUsers(state, other) ? [{ do: 'switch', to, from: other }] : [];
}

/** The known-good slot to route production to when no route serves it: the latest production first, then a validated one. */
function repairTarget(state: AppState): { slot: Slot; why: string } | undefined {
  const candidates = slots(state)
    .filter((s) => s.release?.status === 'deployed')
    .map((s) => ({ s, good: knownGood(state.record, revisionOf(s)!) }))
    .filter((c) => c.good);
  const rank = (c: { s: SlotState; good?: string }) => {
    const rev = revisionOf(c.s)!;
    const at = state.record.promotions.findIndex((p) => p.state === 'confirmed' && p.to.release === rev.release && p.to.revision === rev.revision && p.to.installed === rev.installed);
    return c.good === 'served production' ? (at < 0 ? 50 : at) : 100;
  };
  const best = candidates.sort((a, b) => rank(a) - rank(b))[0];
  return best ? { slot: best.s.slot, why: `${describeRelease(best.s)} ${best.good}` } : undefined;
}

export function planDeploy(state: AppState, runId: string): DeployPlan {
  const notes: string[] = [];
  const { routing } = state;
  const ours = slotOfRun(state, runId);
  const production = productionSlot(state);

  // A re-run of this run's Deploy (or the next canary increment): nothing to install again. Production is
  // decided by routing: this run's release serving users is never reinstalled, ready or not.
  if (ours?.release?.status === 'deployed' && production === ours.slot) {
    if (!everLive(state.record)) {
      notes.push(`Slot ${ours.slot} already holds this run's ${describeRelease(ours)} and serves production: recording the first deploy.`);
      return { target: ours.slot, role: 'production', install: false, actions: [{ do: 'go-live', slot: ours.slot }, { do: 'settle', why: `production reaches slot ${ours.slot}` }], notes };
    }
    // A re-run after a kill right after the route was written: say "in production" only once it is served.
    notes.push(`Slot ${ours.slot} already holds this run's ${describeRelease(ours)} and serves production: nothing to install.`);
    return { target: ours.slot, role: 'production', install: false, actions: [{ do: 'settle', why: `production reaches slot ${ours.slot}` }], notes };
  }
  if (!production && !everLive(state.record)) {
    // The app never served users: a first deploy (or its re-run after a crash or a failed install).
    const target: Slot = ours?.release?.status === 'deployed' ? ours.slot : 'blue';
    const existing = state.slots[target];
    const actions: Action[] = [];
    let install = true;
    if (existing.release && existing === ours && healthy(existing)) {
      install = false;
      notes.push(`Slot ${target} already holds this run's ${describeRelease(existing)}: routing production to it.`);
    } else if (existing.release && existing.release.status !== 'deployed') {
      notes.push(`Slot ${target} holds ${describeRelease(existing)}, which never served users: removing it first.`);
      actions.push({ do: 'remove', slot: target });
    } else if (existing.release) {
      notes.push(`Slot ${target} holds ${describeRelease(existing)}, which never served users: replacing it.`);
    }
    if (install) actions.push({ do: 'install', slot: target, role: 'production' });
    actions.push({ do: 'go-live', slot: target }, { do: 'settle', why: `production reaches slot ${target}` });
    return { target, role: 'production', install, actions, notes };
  }

  // A promotion of another run that was interrupted before it was confirmed: users are on its revision and
  // the other slot holds the production to roll back to. Only that run's OnSuccess or OnFailure may decide.
  const pending = production && state.record.promotions.find((p) => p.state === 'begun' && sameRevision(p.to, revisionOf(state.slots[production])!));
  if (production && pending && pending.run !== runId) {
    throw new Error(
      pending.rollback
        ? `Run ${pending.run}'s rollback to slot ${production} (version ${pending.to.version}) was interrupted before it was confirmed: re-run that run's Rollback first. Nothing was changed.`
        : `Run ${pending.run}'s promotion of slot ${production} (version ${pending.to.version}) was interrupted before it was confirmed: users are on it, and slot ${otherSlot(production)} still holds the previous production. ` +
          'Re-run that run\'s OnSuccess (to confirm it) or OnFailure (to move users back) first. Nothing was changed.',
    );
  }
  const actions: Action[] = [];
  let serving = production;
  if (!serving) {
    const repair = repairTarget(state);
    if (!repair) {
      const held = slots(state).map((s) => `slot ${s.slot}: ${describeRelease(s)}`).join('; ');
      throw new Error(
        `No route serves production of app ${state.app.name}, and no slot holds a release known to be good (one that served production or passed validation): ${held}. ` +
          'Nothing was changed: the tasks never send users to an unproven version. Restore the routes by hand, or uninstall the releases to start over with a first deploy.',
      );
    }
    notes.push(`No route serves production: routing it to slot ${repair.slot}, whose ${repair.why}.`);
    actions.push({ do: 'repair-route', slot: repair.slot }, { do: 'settle', why: `production reaches slot ${repair.slot} again` });
    // This run's own release was production (a re-run after its route was lost): routing it again is all.
    if (repair.slot === ours?.slot) return { target: ours.slot, role: 'production', install: false, actions, notes };
    serving = repair.slot;
  } else if (!knownGood(state.record, revisionOf(state.slots[serving])!)) {
    // Users are on it now, so it has served production: say so in the record, which repair relies on.
    actions.push({ do: 'adopt', slot: serving });
  }
  // This run's healthy release already beside production (a re-run, or the next canary increment): it stays
  // as it is, its share of users included; only a lost staging route is put back.
  if (ours && healthy(ours) && serving === otherSlot(ours.slot)) {
    notes.push(`Slot ${ours.slot} already holds this run's ${describeRelease(ours)}: nothing to install again.`);
    if (routing.staging !== ours.slot) actions.push({ do: 'expose', slot: ours.slot });
    actions.push({ do: 'settle', why: `the staging route reaches slot ${ours.slot}` });
    return { target: ours.slot, role: 'staging', install: false, actions, notes };
  }
  if (!state.slots[serving].ready) {
    notes.push(`Slot ${serving} serves production but not all its pods are ready right now; it stays production and is not touched.`);
  }

  const target = otherSlot(serving);
  const current = state.slots[target];
  if (takesUsers(state, target)) actions.push({ do: 'withdraw-users', slot: target });
  if (current.release && current.release.status !== 'deployed') {
    notes.push(`Slot ${target} holds ${describeRelease(current)}: removing it before installing the new version.`);
    actions.push({ do: 'remove', slot: target });
  } else if (current.release) {
    notes.push(`Slot ${target} holds ${describeRelease(current)}, ${current.role === 'staging' ? 'staged but never promoted' : 'no longer routed'}: replacing it.`);
    // An earlier task may have died between taking users off it and waiting for the data plane to follow.
    if (!actions.some((a) => a.do === 'withdraw-users')) actions.push({ do: 'settle', why: `no user reaches slot ${target} before it is replaced` });
  }
  actions.push({ do: 'install', slot: target, role: 'staging' }, { do: 'expose', slot: target }, { do: 'settle', why: `the staging route reaches slot ${target}` });
  return { target, role: 'staging', install: true, actions, notes };
}

// ---------------------------------------------------------------------------------------------------
// RouteTraffic

export interface ValidatePlan extends Plan {
  slot: Slot;
  kind: 'staging' | 'production';
}

export function planValidate(state: AppState, runId: string, percent: number): ValidatePlan {
  const ours = slotOfRun(state, runId);
  if (!ours) throw new Error(`No slot holds a release from this run (${runId}): nothing to validate. Did Deploy run and succeed?`);
  if (ours.release?.status !== 'deployed') throw new Error(`Slot ${ours.slot} holds ${describeRelease(ours)}: it cannot be validated. Run Deploy again.`);
  const production = productionSlot(state);
  if (production === ours.slot) {
    return { slot: ours.slot, kind: 'production', actions: [{ do: 'validate-production', slot: ours.slot }], notes: [`This run's release went straight to production in slot ${ours.slot} (first deploy): validating production.`] };
  }
  if (!production) {
    throw new Error(`No route serves production of app ${state.app.name} (a first deploy or a repair did not finish): run Deploy again before validating. Nothing was changed.`);
  }
  const notes: string[] = [];
  const actions: Action[] = [];
  // The staging route must lead to this run's slot before any check counts: after OnFailure kept the slot
  // unrouted, or after drift, the header would otherwise fall through to production.
  if (state.routing.staging !== ours.slot) {
    notes.push(`Slot ${ours.slot} is not on the staging route: exposing it to testers again before validating.`);
    actions.push({ do: 'expose', slot: ours.slot });
  }
  actions.push({ do: 'settle', why: `the staging route reaches slot ${ours.slot}` }, { do: 'validate', slot: ours.slot, production });
  const current = state.routing.staging === ours.slot ? state.routing.stagingPercent : 0;
  if (percent !== current) actions.push({ do: 'set-percent', slot: ours.slot, percent }, { do: 'settle', why: `${percent} % of users reach slot ${ours.slot}` });
  return { slot: ours.slot, kind: 'staging', actions, notes };
}

// ---------------------------------------------------------------------------------------------------
// OnSuccess

export interface PromotePlan extends Plan {
  kind: 'nothing' | 'promote' | 'finish';
  /** The slot that serves production when the plan is done. */
  production?: Slot;
  retired?: Slot;
}

/**
 * The slot that still holds exactly the revision a promotion came from: to move users back to it (it must be
 * deployed), or to retire it (any state: an uninstall killed half-way leaves it `uninstalling`).
 */
function fromSlot(state: AppState, promotion: Promotion | undefined, purpose: 'restore' | 'retire'): Slot | undefined {
  const from = promotion?.from;
  if (!from) return undefined;
  const s = state.slots[from.slot];
  const rev = revisionOf(s);
  if (!rev || !sameRevision(rev, from)) return undefined;
  return purpose === 'retire' || s.release?.status === 'deployed' ? from.slot : undefined;
}

/** Throws (changing nothing) when the staged release may not be promoted. */
export function planPromote(state: AppState, runId: string): PromotePlan {
  const ours = slotOfRun(state, runId);
  if (!ours?.release) {
    const staged = slots(state).find((s) => s.role === 'staging' && s.release);
    if (staged) {
      throw new Error(`Slot ${staged.slot} holds ${describeRelease(staged)}, staged by another run (this run is ${runId}); nothing was changed. Promote it from its own run, or run Deploy again.`);
    }
    return { kind: 'nothing', actions: [], notes: [`Nothing to promote: no slot holds a release from this run (${runId}).`], production: productionSlot(state) };
  }
  const rev = revisionOf(ours)!;
  const promotion = promotionTo(state.record, rev, runId);
  const production = productionSlot(state);

  if (production === ours.slot) {
    if (!promotion) {
      return { kind: 'nothing', actions: [], notes: [`This run's release went straight to production in slot ${ours.slot} (first deploy): nothing to promote.`], production };
    }
    const from = fromSlot(state, promotion, 'restore');
    const retire = fromSlot(state, promotion, 'retire');
    if (promotion.state === 'begun') {
      // The switch happened but was never confirmed (a crash right after it): confirm now, and move users
      // back to the previous production on the first failure, as the uninterrupted run would have.
      const notes = [`Slot ${ours.slot} serves production but the promotion was never confirmed (an interrupted OnSuccess): confirming it now.`];
      const actions: Action[] = [...finishSwitch(state, ours.slot), { do: 'settle', why: `production reaches slot ${ours.slot}` }, { do: 'confirm', to: ours.slot, from }, { do: 'end-promotion', to: ours.slot, from }];
      if (retire) actions.push({ do: 'retire', slot: retire });
      return { kind: 'finish', actions, notes, production: ours.slot, retired: retire };
    }
    const notes = [`Slot ${ours.slot} already serves production (this run's promotion was confirmed).`];
    return { kind: 'finish', actions: retire ? [{ do: 'retire', slot: retire }] : [], notes, production: ours.slot, retired: retire };
  }

  if (ours.release.status !== 'deployed') {
    throw new Error(`Slot ${ours.slot} holds ${describeRelease(ours)}; only a deployed release can be promoted. Run BlueGreenOnFailure or Deploy again; production was not changed.`);
  }
  if (!ours.ready) throw new Error(`Slot ${ours.slot} holds ${describeRelease(ours)}, but its workloads are not ready; production was not changed.`);
  if (!production) {
    throw new Error(`No route serves production of app ${state.app.name}; run Deploy to repair it before promoting. Production was not changed.`);
  }
  const notes: string[] = [];
  // Promotion starts from the staged state (so a rolled-back slot is left staged, as the message says).
  const actions: Action[] = state.routing.staging === ours.slot ? [] : [{ do: 'expose', slot: ours.slot }];
  const validation = validationOf(state.record, rev, runId);
  const rolledBack = promotion?.state === 'rolledBack' || rolledBackFrom(state.record, rev);
  if (!validation || rolledBack) {
    notes.push(
      rolledBack
        ? `Slot ${ours.slot} was promoted before and rolled back: validating it again on its staging route first.`
        : `Slot ${ours.slot} has not passed validation in this run: validating it on its staging route first.`,
    );
    actions.push({ do: 'settle', why: `the staging route reaches slot ${ours.slot}` }, { do: 'validate', slot: ours.slot, production });
  } else {
    notes.push(`Slot ${ours.slot} passed validation in this run (${validation.by}, ${validation.at}${validation.checks.length ? `: ${validation.checks.length} checks` : ', route only'}).`);
  }
  actions.push(
    { do: 'begin-promotion', to: ours.slot, from: production },
    { do: 'switch', to: ours.slot, from: production },
    { do: 'settle', why: `production reaches slot ${ours.slot}` },
    { do: 'confirm', to: ours.slot, from: production },
    { do: 'end-promotion', to: ours.slot, from: production },
    { do: 'retire', slot: production },
  );
  return { kind: 'promote', actions, notes, production: ours.slot, retired: production };
}

// ---------------------------------------------------------------------------------------------------
// OnFailure

export interface WithdrawPlan extends Plan {
  kind: 'nothing' | 'withdraw';
  slot?: Slot;
}

export function planWithdraw(state: AppState, runId: string, keep: boolean): WithdrawPlan {
  const ours = slotOfRun(state, runId);
  if (!ours) return { kind: 'nothing', actions: [], notes: [`Nothing to withdraw: no slot holds a release from this run (${runId}).`] };
  const production = productionSlot(state);
  const end: Action = keep && ours.release?.status === 'deployed' ? { do: 'unroute', slot: ours.slot } : { do: 'remove', slot: ours.slot };
  if (production === ours.slot) {
    const promotion = promotionTo(state.record, revisionOf(ours)!, runId);
    const from = fromSlot(state, promotion, 'restore');
    if (promotion?.state === 'begun' && from) {
      return {
        kind: 'withdraw',
        slot: ours.slot,
        actions: [{ do: 'restore', to: from, from: ours.slot }, end],
        notes: [`This run's promotion of slot ${ours.slot} was interrupted before it was confirmed: moving users back to slot ${from}, the production it replaced.`],
      };
    }
    return { kind: 'nothing', actions: [], notes: [`Slot ${ours.slot} (${describeRelease(ours)}) already serves production; OnFailure never touches production.`] };
  }
  if (ours.release && knownGood(state.record, revisionOf(ours)!) === 'served production') {
    return { kind: 'nothing', actions: [], notes: [`Slot ${ours.slot} holds this run's ${describeRelease(ours)}, which served production; OnFailure withdraws only a release that never served users.`] };
  }
  const actions: Action[] = [];
  if (takesUsers(state, ours.slot)) actions.push({ do: 'withdraw-users', slot: ours.slot });
  actions.push(end);
  return { kind: 'withdraw', slot: ours.slot, actions, notes: [] };
}
