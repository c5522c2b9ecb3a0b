// App states for the pure plan tests: two slots, routing, and the app's record, built from short specs.
import { type App, type Routing, type Slot, locate } from '../../shared/core/model';
import { type AppRecord, EMPTY_RECORD, type Promotion, type RevisionRef, type Validation } from '../../shared/core/record';
import type { ReleaseRecord } from '../../shared/helm/storage';
import { type AppState, roleOf } from '../../shared/core/state';

export const app: App = { name: 'calc', namespace: 'calc', layout: 'shared' };

export interface SlotSpec {
  status?: ReleaseRecord['status'];
  ready?: boolean;
  run?: string;
  version?: string;
  revision?: number;
  /** helm's first_deployed: tells a reinstall apart. */
  installed?: string;
  owner?: string;
  updated?: string;
}

export function release(slot: Slot, spec: SlotSpec): ReleaseRecord {
  const location = locate(app, slot);
  return {
    slot,
    name: location.release,
    namespace: location.namespace,
    revision: spec.revision ?? 1,
    deployRevision: spec.revision ?? 1,
    installed: spec.installed ?? `install-${slot}`,
    status: spec.status ?? 'deployed',
    chart: 'calc-1.0.0',
    chartVersion: '1.0.0',
    appVersion: '1.0',
    updated: spec.updated ?? '2026-01-01T00:00:00Z',
    run: spec.run,
    labels: { 'bluegreen-app': spec.owner ?? 'calc', ...(spec.run ? { 'bluegreen-run': spec.run } : {}) },
    version: spec.version ?? '1.0',
    description: '',
  };
}

export function rev(slot: Slot, spec: SlotSpec = {}): RevisionRef {
  const r = release(slot, spec);
  return { slot, release: r.name, revision: r.deployRevision, installed: r.installed, version: r.version };
}

export const validated = (slot: Slot, run: string, spec: SlotSpec = {}): Validation => ({ ...rev(slot, spec), run, by: 'RouteTraffic', checks: ['GET / expect 200'], at: 't' });
export const promoted = (to: RevisionRef, state: Promotion['state'], run: string, from?: RevisionRef): Promotion => ({ to, from, run, state, at: 't' });
export const live = (slot: Slot, run = 'r0', spec: SlotSpec = {}): Promotion => ({ ...promoted(rev(slot, spec), 'confirmed', run), firstDeploy: true });

export function state(routing: Partial<Routing>, slots: Partial<Record<Slot, SlotSpec>>, record: Partial<AppRecord> = {}): AppState {
  const r: Routing = { stagingPercent: 0, ...routing };
  const slot = (s: Slot) => {
    const spec = slots[s];
    const rel = spec ? release(s, spec) : undefined;
    return { slot: s, location: locate(app, s), release: rel, ready: spec ? (spec.ready ?? true) && rel!.status === 'deployed' : false, role: roleOf(s, rel, r) };
  };
  return { app, routing: r, record: { ...EMPTY_RECORD, ...record }, slots: { blue: slot('blue'), green: slot('green') } };
}
