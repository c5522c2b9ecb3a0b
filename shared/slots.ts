// The blue/green state of one app (helm releases = what is deployed, router objects = who serves) and
// the pure decisions each lifecycle step takes from it.
import type { Kube } from './kube';
import { type App, type Role, type Routing, type Slot, SLOTS, type SlotLocation, locate, otherSlot } from './model';
import { APP_RELEASE_LABEL, type ReleaseRecord, readReleases } from './releases';

export interface SlotState {
  slot: Slot;
  location: SlotLocation;
  release?: ReleaseRecord;
  /** All workloads of the release are ready (false when there is no release). */
  ready: boolean;
  role: Role;
}

export interface AppState {
  app: App;
  slots: Record<Slot, SlotState>;
  routing: Routing;
}

export function roleOf(slot: Slot, release: ReleaseRecord | undefined, routing: Routing): Role {
  if (routing.production === slot) return 'production';
  if (routing.staging === slot) return 'staging';
  return release ? 'idle' : 'absent';
}

/** Ready when every Deployment/StatefulSet of the release has all its replicas ready and current. */
export async function releaseReady(kube: Kube, location: SlotLocation, podLabel: string): Promise<boolean> {
  const selector = `${podLabel}=${location.release}`;
  const [deployments, statefulSets] = await Promise.all([
    kube.list('apps/v1', 'Deployment', location.namespace, selector),
    kube.list('apps/v1', 'StatefulSet', location.namespace, selector),
  ]);
  const workloads = [...deployments, ...statefulSets];
  if (workloads.length === 0) {
    const pods = await kube.list('v1', 'Pod', location.namespace, selector);
    return pods.length > 0 && pods.every((p) => p.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'));
  }
  return workloads.every((w) => {
    const want = w.spec?.replicas ?? 1;
    const status = w.status ?? {};
    return (status.observedGeneration ?? 0) >= (w.metadata.generation ?? 0) && (status.readyReplicas ?? 0) >= want && (status.updatedReplicas ?? want) >= want;
  });
}

export async function readState(kube: Kube, app: App, routing: Routing, podLabel: string): Promise<AppState> {
  const locations = SLOTS.map((slot) => locate(app, slot));
  const releases = await readReleases(kube, locations);
  const states = await Promise.all(
    locations.map(async (location): Promise<SlotState> => {
      const release = releases.get(location);
      const ready = release?.status === 'deployed' ? await releaseReady(kube, location, podLabel) : false;
      return { slot: location.slot, location, release, ready, role: roleOf(location.slot, release, routing) };
    }),
  );
  return { app, routing, slots: { blue: states[0], green: states[1] } };
}

export const healthy = (s: SlotState) => s.release?.status === 'deployed' && s.ready;

/** A release in a slot that Deploy did not make for this app: never touch it. */
export function foreignRelease(state: AppState): SlotState | undefined {
  return SLOTS.map((s) => state.slots[s]).find((s) => s.release && s.release.labels[APP_RELEASE_LABEL] !== state.app.name);
}

/** The slot holding the release this pipeline run deployed, if any. */
export function slotOfRun(state: AppState, runId: string): SlotState | undefined {
  const ours = SLOTS.map((s) => state.slots[s]).filter((s) => s.release?.run === runId);
  return ours.sort((a, b) => (b.release?.updated ?? '').localeCompare(a.release?.updated ?? ''))[0];
}

// ---------------------------------------------------------------------------------------------------
// Deploy

export interface DeployPlan {
  /** The slot the new version goes into. */
  target: Slot;
  /** production: first deploy (or nothing healthy to protect); staging: the usual case. */
  role: 'production' | 'staging';
  /** Route production to this healthy slot before anything else (repair after a crash or a broken route). */
  repairProduction?: Slot;
  /** The target holds a release that cannot be upgraded in place: uninstall it first. */
  uninstallFirst: boolean;
  /** The target currently receives a share of real users: take it back to 0 % before touching it. */
  withdrawUsersFirst: boolean;
  /** False when the target already holds this run's healthy release (a re-run, or the next canary increment). */
  install: boolean;
  notes: string[];
}

const describeRelease = (s: SlotState) =>
  s.release ? `release ${s.release.name} (version ${s.release.version}, ${s.release.status}${s.release.run ? `, run ${s.release.run}` : ''})` : 'no release';

function productionAfterRepair(state: AppState, notes: string[]): Slot | undefined {
  const { routing } = state;
  const slot = (s: Slot) => state.slots[s];
  if (routing.staging && routing.stagingPercent === 100 && healthy(slot(routing.staging))) {
    notes.push(`No slot serves production, but slot ${routing.staging} receives 100 % of users: finishing the interrupted switch to it.`);
    return routing.staging;
  }
  const healthySlots = SLOTS.filter((s) => healthy(slot(s)));
  if (routing.production && healthySlots.length > 0) {
    const fallback = healthySlots[0];
    notes.push(`Production routes to slot ${routing.production}, which holds ${describeRelease(slot(routing.production))}: routing production back to slot ${fallback} (${describeRelease(slot(fallback))}).`);
    return fallback;
  }
  if (healthySlots.length === 1) {
    notes.push(`No slot serves production: routing it to slot ${healthySlots[0]}, the only healthy one (${describeRelease(slot(healthySlots[0]))}).`);
    return healthySlots[0];
  }
  if (healthySlots.length === 2) {
    const older = [...healthySlots].sort((a, b) => (slot(a).release?.updated ?? '').localeCompare(slot(b).release?.updated ?? ''))[0];
    notes.push(`No slot serves production and both are healthy: falling back to slot ${older}, the earlier deployment (${describeRelease(slot(older))}).`);
    return older;
  }
  return undefined;
}

export function planDeploy(state: AppState, runId: string): DeployPlan {
  const notes: string[] = [];
  const { routing } = state;
  const ours = slotOfRun(state, runId);
  if (ours && healthy(ours) && (ours.role === 'production' || ours.role === 'staging' || routing.production === otherSlot(ours.slot))) {
    notes.push(`Slot ${ours.slot} already holds this run's ${describeRelease(ours)}: nothing to install again.`);
    return { target: ours.slot, role: ours.role === 'production' ? 'production' : 'staging', uninstallFirst: false, withdrawUsersFirst: false, install: false, notes };
  }
  let production = routing.production && healthy(state.slots[routing.production]) ? routing.production : undefined;
  let repairProduction: Slot | undefined;
  if (!production && SLOTS.some((s) => state.slots[s].release)) {
    repairProduction = productionAfterRepair(state, notes);
    production = repairProduction;
  }
  if (!production) {
    const target: Slot = 'blue';
    const existing = state.slots[target];
    if (SLOTS.some((s) => state.slots[s].release)) notes.push('No slot holds a healthy release: this deployment becomes production directly.');
    return {
      target,
      role: 'production',
      uninstallFirst: !!existing.release,
      withdrawUsersFirst: false,
      install: true,
      notes: existing.release ? [...notes, `Slot ${target} holds ${describeRelease(existing)}: uninstalling it first.`] : notes,
    };
  }
  const target = otherSlot(production);
  const current = state.slots[target];
  const withdrawUsersFirst = routing.staging === target && routing.stagingPercent > 0;
  let uninstallFirst = false;
  if (current.release?.status === 'deployed') {
    notes.push(
      current.role === 'staging'
        ? `Slot ${target} holds ${describeRelease(current)}, staged but never promoted: replacing it.`
        : `Slot ${target} holds ${describeRelease(current)}, no longer routed: replacing it.`,
    );
  } else if (current.release) {
    uninstallFirst = true;
    notes.push(`Slot ${target} holds ${describeRelease(current)}: uninstalling it before installing the new version.`);
  }
  return { target, role: 'staging', repairProduction, uninstallFirst, withdrawUsersFirst, install: true, notes };
}

// ---------------------------------------------------------------------------------------------------
// OnSuccess, OnFailure, RouteTraffic: each acts on the release this run deployed.

export type PromotePlan =
  | { kind: 'nothing'; reason: string }
  | { kind: 'promote'; from?: Slot; to: Slot }
  | { kind: 'promoted'; production: Slot; retire?: Slot };

/** Throws (changing nothing) when the staged release may not be promoted. */
export function planPromote(state: AppState, runId: string): PromotePlan {
  const ours = slotOfRun(state, runId);
  const production = state.routing.production;
  if (!ours) {
    const staged = SLOTS.map((s) => state.slots[s]).find((s) => s.role === 'staging' && s.release);
    if (staged) {
      throw new Error(`Slot ${staged.slot} holds ${describeRelease(staged)}, staged by another run (this run is ${runId}); nothing was changed. Promote it from its own run, or run Deploy again.`);
    }
    return { kind: 'nothing', reason: `Nothing to promote: no slot holds a release from this run (${runId}).` };
  }
  const other = state.slots[otherSlot(ours.slot)];
  if (production === ours.slot) {
    return { kind: 'promoted', production: ours.slot, retire: other.release ? other.slot : undefined };
  }
  if (ours.release?.status !== 'deployed') {
    throw new Error(`Slot ${ours.slot} holds ${describeRelease(ours)}; only a deployed release can be promoted. Run BlueGreenOnFailure or Deploy again; production was not changed.`);
  }
  if (!ours.ready) {
    throw new Error(`Slot ${ours.slot} holds ${describeRelease(ours)}, but its workloads are not ready; production was not changed.`);
  }
  return { kind: 'promote', from: production, to: ours.slot };
}

export type WithdrawPlan = { kind: 'nothing'; reason: string } | { kind: 'withdraw'; slot: Slot; hadUsers: boolean };

export function planWithdraw(state: AppState, runId: string): WithdrawPlan {
  const ours = slotOfRun(state, runId);
  if (!ours) return { kind: 'nothing', reason: `Nothing to withdraw: no slot holds a release from this run (${runId}).` };
  if (state.routing.production === ours.slot) {
    return { kind: 'nothing', reason: `Slot ${ours.slot} (${describeRelease(ours)}) already serves production; OnFailure never touches production.` };
  }
  const hadUsers = state.routing.staging === ours.slot && state.routing.stagingPercent > 0;
  return { kind: 'withdraw', slot: ours.slot, hadUsers };
}

export type ValidatePlan = { kind: 'staging'; slot: Slot; production?: Slot } | { kind: 'production'; slot: Slot };

export function planValidate(state: AppState, runId: string): ValidatePlan {
  const ours = slotOfRun(state, runId);
  if (!ours) throw new Error(`No slot holds a release from this run (${runId}): nothing to validate. Did Deploy run and succeed?`);
  if (ours.release?.status !== 'deployed') throw new Error(`Slot ${ours.slot} holds ${describeRelease(ours)}: it cannot be validated.`);
  if (state.routing.production === ours.slot) return { kind: 'production', slot: ours.slot };
  return { kind: 'staging', slot: ours.slot, production: state.routing.production };
}

export { describeRelease };
