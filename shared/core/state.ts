// The blue/green state of one app, read from the cluster: helm releases (what is deployed), the router's
// objects (who serves) and the app's record (what is known about each revision). The decisions taken
// from it are pure functions in plans.ts.
import type { V1Deployment, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { Kube } from '../kubernetes/client';
import { type App, type Role, type Routing, type Slot, SLOTS, type SlotLocation, locate } from './model';
import { type AppRecord, type RevisionRef, readRecord } from './record';
import { APP_RELEASE_LABEL, type ReleaseRecord, readReleases } from '../helm/storage';

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
  record: AppRecord;
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
    kube.list<V1Deployment>('apps/v1', 'Deployment', location.namespace, selector),
    kube.list<V1StatefulSet>('apps/v1', 'StatefulSet', location.namespace, selector),
  ]);
  const workloads = [...deployments, ...statefulSets];
  if (workloads.length === 0) {
    const pods = await kube.list<V1Pod>('v1', 'Pod', location.namespace, selector);
    return pods.length > 0 && pods.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  }
  return workloads.every((w) => {
    const want = w.spec?.replicas ?? 1;
    const status = w.status ?? {};
    return (status.observedGeneration ?? 0) >= (w.metadata.generation ?? 0) && (status.readyReplicas ?? 0) >= want && (status.updatedReplicas ?? want) >= want;
  });
}

export async function readState(kube: Kube, app: App, routing: Routing, podLabel: string): Promise<AppState> {
  const blue = locate(app, 'blue');
  const green = locate(app, 'green');
  const [releases, record] = await Promise.all([readReleases(kube, [blue, green]), readRecord(kube, app)]);
  const stateOf = async (location: SlotLocation): Promise<SlotState> => {
    const release = releases.get(location);
    const ready = release?.status === 'deployed' ? await releaseReady(kube, location, podLabel) : false;
    return { slot: location.slot, location, release, ready, role: roleOf(location.slot, release, routing) };
  };
  const [blueState, greenState] = await Promise.all([stateOf(blue), stateOf(green)]);
  return { app, routing, record, slots: { blue: blueState, green: greenState } };
}

export const healthy = (s: SlotState) => s.release?.status === 'deployed' && s.ready;

/** A release in a slot that Deploy did not make for this app: never touch it. */
export function foreignRelease(state: AppState): SlotState | undefined {
  return SLOTS.map((s) => state.slots[s]).find((s) => s.release && s.release.labels[APP_RELEASE_LABEL] !== state.app.name);
}

/** The revision a slot holds, as the record names it (the revision Deploy installed, re-renders excluded). */
export function revisionOf(s: SlotState): RevisionRef | undefined {
  const r = s.release;
  return r ? { slot: s.slot, release: r.name, revision: r.deployRevision, installed: r.installed, version: r.version } : undefined;
}

export const describeRelease = (s: SlotState) =>
  s.release ? `release ${s.release.name} (version ${s.release.version}, ${s.release.status}${s.release.run ? `, run ${s.release.run}` : ''})` : 'no release';

/** The slot holding the release this pipeline run deployed, if any. */
export function slotOfRun(state: AppState, runId: string): SlotState | undefined {
  const ours = SLOTS.map((s) => state.slots[s]).filter((s) => s.release?.run === runId);
  return ours.sort((a, b) => (b.release?.updated ?? '').localeCompare(a.release?.updated ?? ''))[0];
}

