// What the tier-2 history tests watch on the emulated cluster while a history plays: every write to the
// store, synchronously and in write order (Store.subscribe), so "which release served production at the
// instant of this helm write" is exact, not sampled. It follows the `-active` Service (who serves), the
// helm release Secrets (who is installed, upgraded or uninstalled), the primary Ingress (whether a
// production route exists at all) and the app record (what passed validation, what was rolled back).
import type { AppRecord } from '../../shared/core/record';
import type { ProbeRecord } from '../cluster/probe';
import type { Store, StoreEvent } from '../cluster/store';

export const APP = 'calc';
const ACTIVE_SERVICE = `${APP}-active`;
const PRIMARY_INGRESS = APP;
const RECORD = `${APP}-bluegreen-record`;
const INSTANCE_LABEL = 'app.kubernetes.io/instance';
/** How much earlier than the probe's own clock its start may be taken (the harness reads the time just before starting it). */
const SLACK_MS = 100;

/** A scenario phase: one task run (or one step of the harness), as marked on the probe. */
export interface PhaseInfo {
  name: string;
  /** Phases of one group (a hook killed and its re-run) share a confirmation rollback. */
  group: string;
  /** The primary Ingress was missing at some moment of the phase: no production route (before the first go-live, or deleted). */
  routeAbsent: boolean;
  /** Versions whose promotion was rolled back (moved users back) during the phase, with the version users went back to. */
  rollbacks: Array<{ version: string; from?: string }>;
  /** The only version users may get in this phase (the previous production, after a confirmation rollback). */
  expect?: string;
}

/** What users were served, as their answers name it. */
const served = (release: string | undefined, version: string | undefined) => `${release} ${version}`;

/** A rollback is written once (state rolledBack, stamped `at`); a later promotion of the same revision is a new entry. */
const rollbackKey = (p: AppRecord['promotions'][number]) => `${p.run}/${p.to.release}/${p.to.revision}/${p.to.installed}@${p.at}`;

export class ClusterWatch {
  /** The release the `-active` Service selects, now. */
  active: string | undefined;
  routeExists = false;
  /**
   * When each version of a release (`calc-green 2.0.0`) was first recorded as validated (a validation, or a
   * first deploy's go-live), epoch ms. Users' answers name the release and version, not helm's revision, so
   * a version installed again into the same slot counts as the one validated before.
   */
  readonly validatedAt = new Map<string, number>();
  /** Versions of a release that went live as a first deploy. */
  readonly firstDeploys = new Set<string>();
  readonly violations: string[] = [];
  /** Failed answers the invariants allow, by why (shown per history, so a run that allowed none is visible). */
  readonly tolerated = new Map<string, number>();
  /** Who is writing right now (the task the harness runs), for violation messages. */
  actor = 'the harness';
  private phase: PhaseInfo | undefined;
  readonly phases = new Map<string, PhaseInfo>();
  private readonly rollbacksSeen = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(store: Store) {
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
  }

  /** Starts a phase; requests the probe sends from now on belong to it. */
  startPhase(name: string, group: string): PhaseInfo {
    const info: PhaseInfo = { name, group, routeAbsent: !this.routeExists, rollbacks: [] };
    this.phases.set(name, info);
    this.phase = info;
    return info;
  }

  /** Rollbacks recorded in any phase of a group. */
  rollbacksOf(group: string): PhaseInfo['rollbacks'] {
    return [...this.phases.values()].filter((p) => p.group === group).flatMap((p) => p.rollbacks);
  }

  /** No production route existed at some moment of a phase of the group. */
  routeAbsentIn(group: string): boolean {
    return [...this.phases.values()].some((p) => p.group === group && p.routeAbsent);
  }

  /**
   * Invariants 1 and 2 for one answer the probe (a user) got; `t0` is when the probe started (epoch ms).
   * Returns what it breaks.
   */
  judge(r: ProbeRecord, t0: number): string[] {
    const out: string[] = [];
    const info = this.phases.get(r.phase);
    if (!info) return [`the probe marked phase ${r.phase}, which the harness never started`];
    const answer = `${r.status ?? ''}${r.error ? ` ${r.error}` : ''}${r.version ? ` from ${r.version}` : ''}`.trim();
    const key = served(r.release, r.version);
    if (r.version) {
      const validated = this.validatedAt.get(key);
      if (validated === undefined || validated > t0 + r.at + r.durationMs + SLACK_MS) out.push(`users were answered by version ${r.version} from ${r.release}, which had not passed validation (${r.phase})`);
    }
    if (info.expect && (r.failed || r.version !== info.expect)) out.push(`after the confirmation rollback users got ${answer} instead of version ${info.expect} (${r.phase})`);
    if (!r.failed) return out;
    // A failed answer from a version is allowed when that version went live broken by a first deploy, or
    // within the confirmation rollback of that very version; one from no version only while no route existed.
    const why = r.version
      ? this.firstDeploys.has(key)
        ? 'a broken first deploy'
        : this.rollbacksOf(info.group).some((b) => b.version === r.version)
          ? 'a confirmation rollback'
          : undefined
      : this.routeAbsentIn(info.group)
        ? 'no production route'
        : undefined;
    if (why) this.tolerated.set(why, (this.tolerated.get(why) ?? 0) + 1);
    else out.push(`a production request failed: ${answer} (${r.phase})`);
    return out;
  }

  close(): void {
    this.unsubscribe();
  }

  private onEvent({ type, resource, object }: StoreEvent): void {
    const { name, namespace, labels } = object.metadata;
    if (namespace !== APP) return;
    if (resource.kind === 'Service' && name === ACTIVE_SERVICE) {
      this.active = type === 'DELETED' ? undefined : object.spec?.selector?.[INSTANCE_LABEL];
    } else if (resource.kind === 'Ingress' && name === PRIMARY_INGRESS) {
      this.routeExists = type !== 'DELETED';
      if (!this.routeExists && this.phase) this.phase.routeAbsent = true;
    } else if (resource.kind === 'Secret' && labels?.owner === 'helm' && labels.name && labels.name === this.active) {
      // Invariant 3: helm writes a Secret per revision (install/upgrade), re-labels the previous one
      // (superseded) and deletes them on uninstall: any of these on the serving release is a violation.
      this.violations.push(`${this.actor} wrote helm release Secret ${name} (${type}, status ${labels.status}) while release ${labels.name} served production`);
    } else if (resource.kind === 'ConfigMap' && name === RECORD && type !== 'DELETED') {
      this.onRecord(JSON.parse(object.data?.record ?? '{}') as Partial<AppRecord>);
    }
  }

  private onRecord(record: Partial<AppRecord>): void {
    const now = Date.now();
    const validated = (key: string) => {
      if (!this.validatedAt.has(key)) this.validatedAt.set(key, now);
    };
    for (const v of record.validations ?? []) validated(served(v.release, v.version));
    for (const p of record.promotions ?? []) {
      if (p.firstDeploy) {
        validated(served(p.to.release, p.to.version));
        this.firstDeploys.add(served(p.to.release, p.to.version));
      }
      if (p.state !== 'rolledBack' || this.rollbacksSeen.has(rollbackKey(p))) continue;
      this.rollbacksSeen.add(rollbackKey(p));
      this.phase?.rollbacks.push({ version: p.to.version, from: p.from?.version });
    }
  }
}
