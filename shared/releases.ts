// What helm has deployed in each slot, read straight from helm's release storage (the Secrets driver,
// helm's default in 3.x and 4.x): one list call per namespace instead of a helm process per release.
import { gunzipSync } from 'node:zlib';
import type { Kube, KubeObject } from './kube';
import type { Release, ReleaseStatus, SlotLocation } from './model';

/** Labels Deploy puts on a release's metadata (helm --labels), so every later hook can recognise it. */
export const RUN_LABEL = 'bluegreen-run';
export const APP_RELEASE_LABEL = 'bluegreen-app';

const SYSTEM_LABELS = new Set(['name', 'owner', 'status', 'version', 'createdAt', 'modifiedAt']);

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
  /** The revision Deploy installed: routing re-renders (chart-owned routing) make later revisions of the same content. */
  deployRevision: number;
  /** When this release was first installed (helm's first_deployed): tells a reinstall from the release it replaced. */
  installed: string;
}

export function decodeRelease(data: string): StoredRelease {
  // Secret data is base64 (Kubernetes) of base64 (helm) of gzipped JSON.
  const helmEncoded = Buffer.from(data, 'base64').toString('utf8');
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

/** The version shown to users: a `version` value, else the image tag, else the chart's appVersion. */
export function displayVersion(stored: StoredRelease): string {
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

function toRecord(location: SlotLocation, secret: KubeObject): ReleaseRecord {
  const stored = decodeRelease(secret.data.release);
  const labels = Object.fromEntries(Object.entries(secret.metadata.labels ?? {}).filter(([k]) => !SYSTEM_LABELS.has(k)));
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
    version: displayVersion(stored),
    chartVersion: meta.version ?? '',
    description: stored.info?.description ?? '',
    deployRevision: stored.version,
    installed: stored.info?.first_deployed ?? '',
  };
}

/**
 * The latest revision of each slot's release (undefined: no release). Superseded revisions are history;
 * an uninstalled release kept with --keep-history counts as absent.
 */
export async function readReleases(kube: Kube, locations: SlotLocation[]): Promise<Map<SlotLocation, ReleaseRecord | undefined>> {
  const byNamespace = new Map<string, SlotLocation[]>();
  for (const location of locations) byNamespace.set(location.namespace, [...(byNamespace.get(location.namespace) ?? []), location]);
  const result = new Map<SlotLocation, ReleaseRecord | undefined>();
  await Promise.all(
    [...byNamespace].map(async ([namespace, here]) => {
      const names = here.map((l) => l.release).join(',');
      const secrets = await kube.list('v1', 'Secret', namespace, `owner=helm,name in (${names})`);
      for (const location of here) {
        const latest = secrets
          .filter((s) => s.metadata.labels?.name === location.release && s.type === 'helm.sh/release.v1')
          .sort((a, b) => Number(b.metadata.labels?.version ?? 0) - Number(a.metadata.labels?.version ?? 0))[0];
        const record = latest ? toRecord(location, latest) : undefined;
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
export async function discardPendingRevision(kube: Kube, record: ReleaseRecord): Promise<boolean> {
  const secrets = await kube.list('v1', 'Secret', record.namespace, `owner=helm,name=${record.name}`);
  const previous = secrets.find((s) => Number(s.metadata.labels?.version) === record.revision - 1);
  if (previous?.metadata.labels?.status !== 'deployed') return false;
  await kube.delete({ apiVersion: 'v1', kind: 'Secret', namespace: record.namespace, name: `sh.helm.release.v1.${record.name}.v${record.revision}` });
  return true;
}
