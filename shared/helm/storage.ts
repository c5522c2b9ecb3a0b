// What helm has deployed in each slot, read straight from helm's release storage: one list call per
// namespace instead of a helm process per release. helm keeps releases in Secrets by default (3.x and 4.x)
// and in ConfigMaps with HELM_DRIVER=configmap; the tasks read whichever the helm they run uses.
import { gunzipSync } from 'node:zlib';
import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { Kube, KubeObject } from '../kubernetes/client';
import type { Release, ReleaseStatus, SlotLocation } from '../core/model';

/** Labels Deploy puts on a release's metadata (helm --labels), so every later hook can recognise it. */
export const RUN_LABEL = 'bluegreen-run';
export const APP_RELEASE_LABEL = 'bluegreen-app';
/**
 * `bluegreen-version=secret`: the version or image tag was a secret value. Later tasks, which never saw
 * the secret and so cannot mask it, then show the chart's appVersion instead.
 */
export const VERSION_LABEL = 'bluegreen-version';
export const SECRET_VERSION = 'secret';
/** `bluegreen-version=shown`: the version comes from ordinary values and may be shown. */
export const SHOWN_VERSION = 'shown';

const SYSTEM_LABELS = new Set(['name', 'owner', 'status', 'version', 'createdAt', 'modifiedAt']);

/** The description Deploy's successors give a re-render that only changes a slot's routing (see renderSlot's callers). */
const ROUTING_RERENDER = /^blue\/green \w+: routing of slot/;

/** Where helm keeps its release records. */
export type HelmDriver = 'secret' | 'configmap';

const STORAGE_KIND: Record<HelmDriver, string> = { secret: 'Secret', configmap: 'ConfigMap' };

/**
 * The storage helm uses, from HELM_DRIVER as helm reads it (helm's child process inherits the task's
 * environment). Drivers the tasks cannot read (memory, sql) fail before anything changes.
 */
export function helmDriver(env: NodeJS.ProcessEnv = process.env): HelmDriver {
  const raw = env.HELM_DRIVER?.trim() ?? '';
  const value = raw.toLowerCase();
  if (value === '' || value === 'secret' || value === 'secrets') return 'secret';
  if (value === 'configmap' || value === 'configmaps') return 'configmap';
  throw new Error(
    `HELM_DRIVER=${raw} is not supported: the blue/green tasks read helm's releases from the cluster, so unset HELM_DRIVER (Secrets, helm's default) or set it to secret or configmap; nothing was changed.`,
  );
}

/** The part of helm's stored release JSON we read. */
interface StoredRelease {
  name: string;
  namespace: string;
  version: number;
  info?: { status?: string; first_deployed?: string; last_deployed?: string; description?: string };
  chart?: { metadata?: { name?: string; version?: string; appVersion?: string }; values?: Record<string, unknown> };
  config?: Record<string, unknown>;
}

export interface ReleaseRecord extends Release {
  /** Custom labels of the release (helm --labels). */
  labels: Record<string, string>;
  /** The version users see: the `version` value, else the image tag, else the chart's appVersion. */
  version: string;
  chartVersion: string;
  description: string;
  /**
   * The newest revision that is not a routing re-render: the revision Deploy (or a rollback) installed.
   * When helm's history keeps only re-renders (--history-max), the oldest stored revision.
   */
  deployRevision: number;
  /** When this release was first installed (helm's first_deployed): tells a reinstall from the release it replaced. */
  installed: string;
}

/**
 * helm's record: base64 of gzipped JSON. A Secret's data adds Kubernetes' own base64 layer; a ConfigMap's
 * data holds helm's text as is.
 */
export function decodeRelease(data: string, driver: HelmDriver = 'secret'): StoredRelease {
  const helmEncoded = driver === 'secret' ? Buffer.from(data, 'base64').toString('utf8') : data;
  const raw = Buffer.from(helmEncoded, 'base64');
  const json = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  return JSON.parse(json) as StoredRelease;
}

function pick(values: Record<string, unknown> | undefined, dotted: string): string | undefined {
  let node: unknown = values;
  for (const part of dotted.split('.')) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'string' || typeof node === 'number' ? String(node) : undefined;
}

/**
 * The version shown to users: a `version` value, else the image tag, else the chart's appVersion. When the
 * release is marked as carrying a secret version, values are skipped: the chart's appVersion or 'unknown'.
 */
export function displayVersion(stored: StoredRelease, versionIsSecret = false): string {
  if (versionIsSecret) return stored.chart?.metadata?.appVersion || 'unknown';
  const user = stored.config;
  const defaults = stored.chart?.values;
  return (
    pick(user, 'version') ??
    pick(user, 'image.tag') ??
    pick(defaults, 'version') ??
    pick(defaults, 'image.tag') ??
    stored.chart?.metadata?.appVersion ??
    stored.chart?.metadata?.version ??
    'unknown'
  );
}

/** A release record as helm stores it: a Secret typed helm.sh/release.v1, or a ConfigMap (no type); both hold it in data.release. */
export type HelmRecord = KubeObject<V1Secret> | KubeObject<V1ConfigMap>;

/** The encoded release a record holds. */
export function releaseOf(record: HelmRecord): string {
  const text = record.data?.release;
  if (text === undefined) throw new Error(`${record.kind ?? 'Record'} ${record.metadata.namespace}/${record.metadata.name} is labelled a helm release record but holds no release.`);
  return text;
}

const revisionOf = (record: HelmRecord) => Number(record.metadata.labels?.version ?? 0);

/**
 * The newest of a release's stored records (sorted newest first) that is not a routing re-render. Decodes
 * from the newest down and stops at the first match; the newest is passed in already decoded.
 */
function deployRevisionOf(newestFirst: HelmRecord[], latest: StoredRelease, driver: HelmDriver): number {
  // `helm rollback` (the repair of an interrupted re-render) writes "Rollback to N": the content of revision N.
  let wanted: number | undefined;
  for (const [i, record] of newestFirst.entries()) {
    const stored = i === 0 ? latest : decodeRelease(releaseOf(record), driver);
    if (wanted !== undefined && stored.version > wanted) continue;
    const description = stored.info?.description ?? '';
    const rollback = /^Rollback to (\d+)$/.exec(description);
    if (rollback) wanted = Number(rollback[1]);
    else if (!ROUTING_RERENDER.test(description)) return stored.version;
  }
  const oldest = newestFirst.at(-1);
  return oldest ? revisionOf(oldest) : latest.version;
}

/** A slot's release from its stored records, newest first (the newest is the current revision). */
export function toRecord(location: SlotLocation, newestFirst: HelmRecord[], driver: HelmDriver = 'secret'): ReleaseRecord {
  const record = newestFirst[0];
  if (!record) throw new Error(`internal: release ${location.release} read from no stored record`);
  const stored = decodeRelease(releaseOf(record), driver);
  const labels = Object.fromEntries(Object.entries(record.metadata.labels ?? {}).filter(([k]) => !SYSTEM_LABELS.has(k)));
  const meta = stored.chart?.metadata ?? {};
  return {
    slot: location.slot,
    name: stored.name,
    namespace: stored.namespace,
    revision: stored.version,
    status: (stored.info?.status ?? 'unknown') as ReleaseStatus,
    chart: `${meta.name ?? '?'}-${meta.version ?? '?'}`,
    appVersion: meta.appVersion ?? '',
    updated: stored.info?.last_deployed ?? '',
    run: labels[RUN_LABEL],
    labels,
    version: displayVersion(stored, labels[VERSION_LABEL] === SECRET_VERSION),
    chartVersion: meta.version ?? '',
    description: stored.info?.description ?? '',
    deployRevision: deployRevisionOf(newestFirst, stored, driver),
    installed: stored.info?.first_deployed ?? '',
  };
}

/** helm's records in the driver's storage; a ConfigMap has no type, a Secret of helm's is typed. */
function isHelmRecord(object: HelmRecord, driver: HelmDriver): boolean {
  return driver === 'configmap' || ('type' in object && object.type === 'helm.sh/release.v1');
}

/**
 * The latest revision of each slot's release (undefined: no release). Superseded revisions are history;
 * an uninstalled release kept with --keep-history counts as absent.
 */
export async function readReleases(kube: Kube, locations: SlotLocation[], driver: HelmDriver = helmDriver()): Promise<Map<SlotLocation, ReleaseRecord | undefined>> {
  const byNamespace = new Map<string, SlotLocation[]>();
  for (const location of locations) byNamespace.set(location.namespace, [...(byNamespace.get(location.namespace) ?? []), location]);
  const result = new Map<SlotLocation, ReleaseRecord | undefined>();
  await Promise.all(
    [...byNamespace].map(async ([namespace, here]) => {
      const names = here.map((l) => l.release).join(',');
      const stored = await kube.list<V1Secret | V1ConfigMap>('v1', STORAGE_KIND[driver], namespace, `owner=helm,name in (${names})`);
      for (const location of here) {
        const newestFirst = stored
          .filter((s) => s.metadata.labels?.name === location.release && isHelmRecord(s, driver))
          .sort((a, b) => revisionOf(b) - revisionOf(a));
        const record = newestFirst.length ? toRecord(location, newestFirst, driver) : undefined;
        result.set(location, record && record.status !== 'uninstalled' ? record : undefined);
      }
    }),
  );
  return result;
}

/**
 * Undoes a helm upgrade that died half-way (status pending-upgrade / pending-rollback). helm writes the
 * new revision's record first and marks the previous one superseded only once it succeeds, so removing
 * the pending record makes the previous, still `deployed`, revision current again. (`helm rollback` cannot:
 * it diffs against the pending manifest and refuses objects that manifest does not list.) Returns false,
 * changing nothing, when the previous revision is not a deployed one.
 */
export async function discardPendingRevision(kube: Kube, record: ReleaseRecord, driver: HelmDriver = helmDriver()): Promise<boolean> {
  const kind = STORAGE_KIND[driver];
  const stored = await kube.list<V1Secret | V1ConfigMap>('v1', kind, record.namespace, `owner=helm,name=${record.name}`);
  const previous = stored.find((s) => revisionOf(s) === record.revision - 1 && isHelmRecord(s, driver));
  if (previous?.metadata.labels?.status !== 'deployed') return false;
  await kube.delete({ apiVersion: 'v1', kind, namespace: record.namespace, name: `sh.helm.release.v1.${record.name}.v${record.revision}` });
  return true;
}
