// The chart a release was installed with, rebuilt from helm's own release record. helm keeps the whole
// chart (metadata, templates, values, schema, files) in every revision's record, so a slot can be
// re-rendered with new routing values and its own templates, whatever chart the current task was given.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import type { Kube, KubeObject } from './kube';
import type { SlotLocation } from './model';
import type { ResolvedChart } from './release-ops';
import { decodeRelease } from './releases';

/** A file of a stored chart: a path inside the chart and its base64 content. */
interface StoredFile {
  name: string;
  data?: string;
}

/** The parts of helm's release JSON needed to rebuild the chart. */
export interface StoredChartRelease {
  name: string;
  version: number;
  manifest?: string;
  chart?: {
    metadata?: Record<string, unknown> & { name?: string; version?: string; dependencies?: unknown[] };
    values?: Record<string, unknown> | null;
    schema?: string | null;
    templates?: StoredFile[] | null;
    files?: StoredFile[] | null;
  };
}

/** The chart of a release's latest revision, or why it cannot be rebuilt (the caller falls back). */
export type StoredChart = { chart: ResolvedChart; release: string; revision: number } | { chart?: undefined; reason: string; release: string; revision?: number };

/** The latest revision record of a release (undefined: helm has none). */
export async function latestReleaseRecord(kube: Kube, location: SlotLocation): Promise<StoredChartRelease | undefined> {
  const secrets = await kube.list('v1', 'Secret', location.namespace, `owner=helm,name=${location.release}`);
  const latest = secrets
    .filter((s: KubeObject) => s.type === 'helm.sh/release.v1' && s.data?.release)
    .sort((a, b) => Number(b.metadata.labels?.version ?? 0) - Number(a.metadata.labels?.version ?? 0))[0];
  return latest ? (decodeRelease(latest.data.release) as unknown as StoredChartRelease) : undefined;
}

/**
 * helm does not keep subcharts in the record (a chart's dependencies are not serialized), so a chart
 * that has them cannot be rebuilt: say so. Seen in the manifest (`# Source: <chart>/charts/...`) or in
 * Chart.yaml's dependencies (helm refuses a chart whose declared dependencies are missing).
 */
export function subchartReason(record: StoredChartRelease): string | undefined {
  const name = record.chart?.metadata?.name ?? '';
  const fromManifest = (record.manifest ?? '').split('\n').some((line) => line.startsWith(`# Source: ${name}/charts/`));
  const declared = (record.chart?.metadata?.dependencies ?? []).length > 0;
  if (!fromManifest && !declared) return undefined;
  return `chart ${name} of release ${record.name} has subcharts, which helm does not keep in the release`;
}

/** A stored file's path inside the chart; refuses names that would leave the chart directory. */
function safeParts(record: StoredChartRelease, name: string): string[] {
  const parts = name.split(/[\\/]+/);
  if (!name || path.isAbsolute(name) || /^[A-Za-z]:/.test(name) || parts.includes('..')) {
    throw new Error(`The chart stored in release ${record.name} r${record.version} has a file named "${name}" that points outside the chart, so it was not used to re-render the slot. Nothing was changed.`);
  }
  return parts.filter((p) => p && p !== '.');
}

const describeStored = (record: StoredChartRelease) => `its own chart ${record.chart?.metadata?.name ?? '?'}-${record.chart?.metadata?.version ?? '?'} from release ${record.name} r${record.version}`;

/** Writes a release record's chart as a chart directory under `workDir`. */
export function writeStoredChart(record: StoredChartRelease, workDir: string): StoredChart {
  const chart = record.chart;
  const revision = { release: record.name, revision: record.version };
  if (!chart?.metadata?.name) return { reason: `release ${record.name} r${record.version} has no stored chart`, ...revision };
  const subcharts = subchartReason(record);
  if (subcharts) return { reason: subcharts, ...revision };
  // Every name is checked before anything is written.
  const files = [...(chart.templates ?? []), ...(chart.files ?? [])].map((file) => ({ parts: safeParts(record, file.name), data: Buffer.from(file.data ?? '', 'base64') }));
  const dir = fs.mkdtempSync(path.join(path.resolve(workDir), `stored-${record.name}-r${record.version}-`));
  for (const { parts, data } of files) {
    const target = path.join(dir, ...parts);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, data);
  }
  // Written last, so a stray file of the same name cannot replace them.
  fs.writeFileSync(path.join(dir, 'Chart.yaml'), YAML.stringify(chart.metadata));
  fs.writeFileSync(path.join(dir, 'values.yaml'), YAML.stringify(chart.values ?? {}));
  if (chart.schema) fs.writeFileSync(path.join(dir, 'values.schema.json'), Buffer.from(chart.schema, 'base64'));
  return { chart: { path: dir, describe: describeStored(record) }, ...revision };
}

/** The chart of the release's latest revision, written as a chart directory under `workDir`. */
export async function chartOfRelease(kube: Kube, location: SlotLocation, workDir: string): Promise<StoredChart> {
  const record = await latestReleaseRecord(kube, location);
  if (!record) return { reason: `release ${location.release} has no revision in namespace ${location.namespace}`, release: location.release };
  return writeStoredChart(record, workDir);
}
