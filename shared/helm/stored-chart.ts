// The chart a release was installed with, rebuilt from helm's own release record. helm keeps the whole
// chart (metadata, templates, values, schema, files) in every revision's record, so a slot can be
// re-rendered with new routing values and its own templates, whatever chart the current task was given.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import type { V1Secret } from '@kubernetes/client-node';
import type { Kube } from '../kubernetes/client';
import type { SlotLocation } from '../core/model';
import type { Helm } from './cli';
import type { ChartInputs } from '../inputs/types';
import { type ResolvedChart, resolveChart } from './slot-release';
import { decodeRelease } from './storage';

/** A file of a stored chart: a path inside the chart and its base64 content. */
interface StoredFile {
  name: string;
  data?: string;
}

/** The parts of helm's release JSON needed to rebuild the chart. */
export interface StoredChartRelease {
  name: string;
  version: number;
  info?: { status?: string };
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

/** The latest revision record of a release (undefined: none, or uninstalled with its history kept). */
export async function latestReleaseRecord(kube: Kube, location: SlotLocation): Promise<StoredChartRelease | undefined> {
  const secrets = await kube.list<V1Secret>('v1', 'Secret', location.namespace, `owner=helm,name=${location.release}`);
  const latest = secrets
    .filter((s) => s.type === 'helm.sh/release.v1' && s.data?.release)
    .sort((a, b) => Number(b.metadata.labels?.version ?? 0) - Number(a.metadata.labels?.version ?? 0))[0];
  const text = latest?.data?.release;
  const record = text ? (decodeRelease(text) as unknown as StoredChartRelease) : undefined;
  return record?.info?.status === 'uninstalled' ? undefined : record;
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

/** Files under `dir/sub`, as chart-relative names with forward slashes. */
function filesUnder(dir: string, sub: string): string[] {
  const root = path.join(dir, sub);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) return [];
  return fs.readdirSync(root, { withFileTypes: true }).flatMap((entry) => {
    const name = `${sub}/${entry.name}`;
    if (entry.isDirectory()) return filesUnder(dir, name);
    return entry.isFile() ? [name] : [];
  });
}

/**
 * Is this local chart directory the chart the release was installed from? Same name and version (what
 * a registry pull relies on too) and the same templates byte for byte. Only then may a local chart
 * stand in for a stored chart helm could not keep whole (subcharts).
 */
export function isSameLocalChart(record: StoredChartRelease, dir: string): boolean {
  const chartFile = path.join(dir, 'Chart.yaml');
  if (!fs.existsSync(chartFile)) return false;
  const local = YAML.parse(fs.readFileSync(chartFile, 'utf8')) as { name?: string; version?: string } | null;
  const meta = record.chart?.metadata;
  if (!meta || local?.name !== meta.name || String(local?.version) !== String(meta.version)) return false;
  const stored = new Map((record.chart?.templates ?? []).map((t) => [t.name, Buffer.from(t.data ?? '', 'base64')]));
  const here = filesUnder(dir, 'templates');
  if (here.length !== stored.size) return false;
  return here.every((name) => stored.get(name)?.equals(fs.readFileSync(path.join(dir, name))) ?? false);
}

/** What one task keeps between re-renders: stored charts per release revision, pulled charts per version. */
export interface RerenderCharts {
  stored: Map<string, Promise<StoredChart>>;
  pulled: Map<string, Promise<ResolvedChart>>;
}

export const rerenderCharts = (): RerenderCharts => ({ stored: new Map(), pulled: new Map() });

export interface RerenderChoice {
  chart: ResolvedChart;
  /** True when the chart was rebuilt from the release itself. */
  own: boolean;
}

const isRemote = (chart: ChartInputs) => chart.chart.startsWith('oci://') || !!chart.repository;

/**
 * Which chart re-renders a release: its own chart from the record; else (subcharts) a local chart only
 * if it is the very chart the release was installed from, or the chart input to pull at the version the
 * release runs. Throws, before anything changes, when neither is possible.
 */
async function choose(record: StoredChartRelease | undefined, location: SlotLocation, input: ChartInputs | undefined, workDir: string, cache: RerenderCharts): Promise<RerenderChoice | { pull: ChartInputs }> {
  const { slot } = location;
  if (record) {
    const key = `${location.namespace}/${record.name}@${record.version}`;
    if (!cache.stored.has(key)) cache.stored.set(key, Promise.resolve().then(() => writeStoredChart(record, workDir)));
    const own = await cache.stored.get(key)!;
    if (own.chart) return { chart: own.chart, own: true };
  }
  const subcharts = `slot ${slot} was installed from a chart with subcharts that helm does not keep in the release`;
  if (!input) {
    throw new Error(
      record
        ? `Re-rendering slot ${slot} needs the chart input (the same chart as Deploy): ${subcharts}. Or use routing managed by the task. Nothing was changed.`
        : `Chart-owned routing re-renders slot ${slot} with new routing values, so this task needs the chart input (the same chart as Deploy). Or use routing managed by the task.`,
    );
  }
  if (!record) return { pull: input };
  if (!isRemote(input)) {
    const local = path.resolve(input.chart);
    if (isSameLocalChart(record, local)) return { chart: { path: local, describe: `local chart ${input.chart} (the chart release ${record.name} r${record.version} was installed from)` }, own: false };
    throw new Error(`S${subcharts.slice(1)}; give the chart from a registry or repository so the old slot can be re-rendered at its own version, or use routing managed by the task. Nothing was changed.`);
  }
  return { pull: { ...input, version: record.chart?.metadata?.version ?? input.version } };
}

/** The chart input pulled at a version, once per task (signing in to its registry first, helm/registry-auth.ts). */
function pulled(helm: Helm, chart: ChartInputs, workDir: string, cache: RerenderCharts): Promise<ResolvedChart> {
  const key = `${chart.chart}@${chart.version ?? ''}`;
  if (!cache.pulled.has(key)) cache.pulled.set(key, resolveChart(helm, chart, workDir));
  return cache.pulled.get(key)!;
}

/** The chart to re-render a slot's release with (never another chart's templates). */
export async function chartToRerender(helm: Helm, kube: Kube, location: SlotLocation, input: ChartInputs | undefined, workDir: string, cache: RerenderCharts): Promise<RerenderChoice> {
  const choice = await choose(await latestReleaseRecord(kube, location), location, input, workDir, cache);
  if ('chart' in choice) return choice;
  return { chart: await pulled(helm, choice.pull, workDir, cache), own: false };
}

/**
 * Refuses, before a task changes any routing, when an installed slot could not be re-rendered with its own
 * chart. Given helm, it also pulls now every chart a re-render will pull, so a registry that refuses the
 * credentials stops the task here too.
 */
export async function checkRerenderable(kube: Kube, locations: SlotLocation[], input: ChartInputs | undefined, workDir: string, cache: RerenderCharts, helm?: Helm): Promise<void> {
  for (const location of locations) {
    const record = await latestReleaseRecord(kube, location);
    if (!record) continue;
    const choice = await choose(record, location, input, workDir, cache);
    if (helm && 'pull' in choice) await pulled(helm, choice.pull, workDir, cache);
  }
}
