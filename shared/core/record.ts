// The app's record in the cluster: which release revisions passed validation (and on which route), and
// which served production. Each hook is a separate job, often on a fresh agent: what one hook proved must
// be readable by the next, so it lives in a ConfigMap `<app>-bluegreen-record` next to the app's lease.
//
// Facts, not routing: the router's objects say who serves; this record says what is KNOWN about a release
// revision. OnSuccess promotes only a revision with a validation from its own run; Deploy's repair moves
// users only to a revision that served production or passed validation; a promotion is written as
// "begun" before the switch, so a re-run (or OnFailure) after a crash knows where production came from.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { APP_LABEL, type Kube, KubeError, type KubeObject, OWNER_LABEL, OWNER_VALUE } from '../kubernetes/client';
import { type App, type Slot, homeNamespace } from './model';
import { LAYOUTS } from '../inputs/source';
import type { RecordedSettings } from './settings';

/** One release revision, as helm numbers it: the revision Deploy installed (routing re-renders excluded). */
export interface RevisionRef {
  slot: Slot;
  release: string;
  revision: number;
  /** helm's first_deployed of the release: a release uninstalled and installed again starts at revision 1 again. */
  installed: string;
  version: string;
}

export interface Validation extends RevisionRef {
  run: string;
  /** The task that validated it (RouteTraffic, or OnSuccess before the switch). */
  by: string;
  /** The checks that passed, as written; empty when none were configured (the route alone was proven). */
  checks: string[];
  at: string;
}

export interface Promotion {
  to: RevisionRef;
  /** The production it replaced; absent for a first deploy. */
  from?: RevisionRef;
  run: string;
  /** begun: written before the switch; confirmed: production served `to` and passed the checks;
   * rolledBack: users went back to `from`. */
  state: 'begun' | 'confirmed' | 'rolledBack';
  firstDeploy?: boolean;
  /** Made by BlueGreenRollback: production went back to `to`, the previous production, away from `from`. */
  rollback?: boolean;
  /** Who asked for the run (Build.RequestedFor / Release.RequestedFor), for the app's history. */
  by?: string;
  at: string;
}

export interface AppRecord {
  /** Newest first, at most MAX_ENTRIES. */
  validations: Validation[];
  promotions: Promotion[];
  /** The app's settings as Deploy last stated them (shared/core/settings.ts). */
  settings?: RecordedSettings;
}

export const MAX_ENTRIES = 20;
export const EMPTY_RECORD: AppRecord = { validations: [], promotions: [] };

export const recordName = (app: App) => `${app.name}-bluegreen-record`;
const refOf = (app: App) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: homeNamespace(app), name: recordName(app) });

type Key = Pick<RevisionRef, 'release' | 'revision' | 'installed'>;
export const sameRevision = (a: Key, b: Key) => a.release === b.release && a.revision === b.revision && a.installed === b.installed;

/** The validation of this revision made by this run, if any. */
export function validationOf(record: AppRecord, revision: RevisionRef, run: string): Validation | undefined {
  return record.validations.find((v) => sameRevision(v, revision) && v.run === run);
}

/**
 * Known good: it served production (a confirmed promotion to it, or it was the production a promotion
 * replaced), or it passed validation. A revision whose promotion was rolled back failed in production: never.
 */
export function knownGood(record: AppRecord, revision: Key): 'served production' | 'passed validation' | undefined {
  if (record.promotions.some((p) => p.state === 'rolledBack' && sameRevision(p.to, revision)) || rolledBackFrom(record, revision)) return undefined;
  if (record.promotions.some((p) => (p.state === 'confirmed' && sameRevision(p.to, revision)) || (p.from && sameRevision(p.from, revision)))) return 'served production';
  if (record.validations.some((v) => sameRevision(v, revision))) return 'passed validation';
  return undefined;
}

/** A rollback took production away from this revision: it failed in production, like a rolled-back promotion. */
export const rolledBackFrom = (record: AppRecord, revision: Key) =>
  record.promotions.some((p) => p.rollback && p.state !== 'rolledBack' && p.from !== undefined && sameRevision(p.from, revision));

/** This run's latest promotion to this revision, whatever its state (a rollback is Rollback's own business). */
export function promotionTo(record: AppRecord, revision: Key, run: string): Promotion | undefined {
  return record.promotions.find((p) => sameRevision(p.to, revision) && p.run === run && !p.rollback);
}

/** Did the app ever serve users (any first deploy or confirmed promotion)? */
export const everLive = (record: AppRecord) => record.promotions.some((p) => p.state === 'confirmed' || p.state === 'rolledBack');

function parse(object: KubeObject<V1ConfigMap> | undefined): AppRecord {
  const text = object?.data?.record;
  if (!text) return { validations: [], promotions: [] };
  try {
    const parsed = JSON.parse(text) as Partial<AppRecord>;
    return { validations: parsed.validations ?? [], promotions: parsed.promotions ?? [], ...(parsed.settings ? { settings: parsed.settings } : {}) };
  } catch {
    throw new Error(`ConfigMap ${object?.metadata.namespace}/${object?.metadata.name} holds a record that is not JSON; nothing was changed. Delete it only if no release of the app is live.`);
  }
}

export async function readRecord(kube: Kube, app: App): Promise<AppRecord> {
  const object = await kube.get<V1ConfigMap>(refOf(app));
  if (object && object.metadata.labels?.[APP_LABEL] !== app.name) {
    throw new Error(`ConfigMap ${homeNamespace(app)}/${recordName(app)} exists but was not created by the blue/green tasks for app ${app.name}; rename the app or remove it. Nothing was changed.`);
  }
  return parse(object);
}

const trim = <T>(list: T[]) => list.slice(0, MAX_ENTRIES);

/** Read-modify-write with the resourceVersion as precondition (retried on a conflict). Returns the new record. */
export async function updateRecord(kube: Kube, app: App, change: (record: AppRecord) => AppRecord): Promise<AppRecord> {
  for (let attempt = 1; ; attempt++) {
    const ref = refOf(app);
    const object = await kube.get<V1ConfigMap>(ref);
    const next = change(parse(object));
    const data = { record: JSON.stringify({ validations: trim(next.validations), promotions: trim(next.promotions), settings: next.settings }) };
    try {
      if (!object) {
        await kube.create({ ...ref, metadata: { name: ref.name, namespace: ref.namespace, labels: { [OWNER_LABEL]: OWNER_VALUE, [APP_LABEL]: app.name } }, data });
      } else {
        await kube.replace({ ...object, data });
      }
      return next;
    } catch (err) {
      if (!(err instanceof KubeError && err.code === 409) || attempt >= 5) throw err;
    }
  }
}

export const now = () => new Date().toISOString();

/**
 * The app's recorded settings, found by name and namespace alone: a task may not be told the layout, or
 * be told the wrong one, so the record is looked for where each layout keeps it (the namespace itself, and
 * the blue slot's namespace). A namespace the task may not read holds no record for it. Should both hold
 * one, `layout` (the task's namespaceLayout input) says which app is meant. Undefined: none recorded.
 */
export async function findSettings(kube: Kube, name: string, namespace: string, layout?: App['layout']): Promise<{ settings: RecordedSettings; configMap: string } | undefined> {
  const found: Array<{ settings: RecordedSettings; configMap: string; layout: App['layout'] }> = [];
  for (const candidate of LAYOUTS) {
    if (candidate === 'perSlot' && namespace.length > 63 - 'blue-'.length) continue;
    const app: App = { name, namespace, layout: candidate };
    const record = await readRecord(kube, app).catch((err: unknown) => {
      if (err instanceof KubeError && err.code === 403) return undefined;
      throw err;
    });
    const recordedLayout = (record?.settings?.inputs.namespaceLayout ?? 'shared').toLowerCase();
    if (record?.settings && recordedLayout === candidate.toLowerCase()) {
      found.push({ settings: record.settings, configMap: `${homeNamespace(app)}/${recordName(app)}`, layout: candidate });
    }
  }
  const chosen = found.length > 1 ? found.filter((f) => f.layout === layout) : found;
  if (chosen.length > 1 || (found.length > 1 && chosen.length === 0)) {
    throw new Error(`App ${name} has a record in both layouts (${found.map((f) => f.configMap).join(' and ')}); set the input namespaceLayout to say which app is meant. Nothing was changed.`);
  }
  return chosen[0] && { settings: chosen[0].settings, configMap: chosen[0].configMap };
}
