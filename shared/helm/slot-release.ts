// The helm commands the lifecycle runs on a slot: fetch the chart once, install/upgrade with values
// files, re-render with routing values, test, uninstall. Values always travel in files (secrets too).
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import type { Helm } from './cli';
import type { ChartInputs } from '../inputs/types';
import type { SlotLocation } from '../core/model';
import { APP_RELEASE_LABEL, RUN_LABEL, SECRET_VERSION, SHOWN_VERSION, VERSION_LABEL } from './storage';
import { RESERVED_VALUE_NAMES } from '../inputs/rules';
import type { Values } from '../core/rendering';
import { chartAccess } from './registry-auth';

/** A chart ready to install: a local directory/archive, or an archive pulled once into the work dir. */
export interface ResolvedChart {
  path: string;
  describe: string;
}

const isRemote = (chart: ChartInputs) => chart.chart.startsWith('oci://') || !!chart.repository;

/**
 * Resolves the chart before anything in the cluster changes, so a missing chart or version fails the
 * task with nothing touched.
 */
export async function resolveChart(helm: Helm, chart: ChartInputs, workDir: string): Promise<ResolvedChart> {
  if (!isRemote(chart) && (fs.existsSync(chart.chart) || chart.chart.startsWith('.') || chart.chart.startsWith('/'))) {
    const local = path.resolve(chart.chart);
    if (!fs.existsSync(local)) throw new Error(`Chart ${chart.chart} not found: no such file or directory (${local}).`);
    if (fs.statSync(local).isDirectory() && !fs.existsSync(path.join(local, 'Chart.yaml'))) {
      throw new Error(`Chart ${chart.chart} is not a helm chart: ${local} has no Chart.yaml.`);
    }
    return { path: local, describe: `local chart ${chart.chart}` };
  }
  const dest = fs.mkdtempSync(path.join(workDir, 'chart-'));
  const what = `Chart ${chart.chart}${chart.version ? ` version ${chart.version}` : ''}`;
  const access = chart.auth ? await chartAccess(helm, chart, workDir) : undefined;
  // With credentials, a classic repository is the one entry of the task's own repositories file.
  const args = ['pull', access?.repoName ? `${access.repoName}/${chart.chart}` : chart.chart, '--destination', dest];
  if (chart.repository && !access?.repoName) args.push('--repo', chart.repository);
  if (chart.version) args.push('--version', chart.version);
  try {
    await helm.run(args);
  } catch (err) {
    const where = access ? ` from ${access.describe}` : chart.repository ? ` from ${chart.repository}` : '';
    throw new Error(`${what} could not be fetched${where}: ${(err as Error).message}`);
  }
  const archive = fs.readdirSync(dest).find((f) => f.endsWith('.tgz'));
  if (!archive) throw new Error(`helm pull ${chart.chart} produced no chart archive.`);
  return { path: path.join(dest, archive), describe: `${chart.chart}${chart.version ? ` ${chart.version}` : ''}` };
}

export function writeValuesFile(workDir: string, name: string, values: Values): string {
  const file = path.join(workDir, `${name}.yaml`);
  fs.writeFileSync(file, YAML.stringify(values), { mode: 0o600 });
  return file;
}

/** Label values are at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric. */
export function labelValue(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return cleaned.length <= 63 ? cleaned : cleaned.slice(cleaned.length - 63).replace(/^[^A-Za-z0-9]+/, '');
}

export interface InstallOptions {
  location: SlotLocation;
  chart: ResolvedChart;
  app: string;
  runId: string;
  /** User value files, then generated files (set values, secrets, routing), lowest precedence first. */
  valueFiles: string[];
  timeout: string;
  createNamespace: boolean;
  description: string;
  /**
   * A secret value sets the version users see (see versionKeysIn): the release is labelled so that every
   * later task shows the chart's appVersion instead of a secret it could not mask.
   */
  versionIsSecret?: boolean;
  /** Stops helm (see RunOptions.signal): the fail-fast of a rollout that will not become ready. */
  signal?: AbortSignal;
}

/** The values the displayed version is read from (helm/storage.ts displayVersion), as helm value paths. */
export const VERSION_KEYS: readonly string[] = ['version', 'image.tag'];

/** The secretValues keys that would become the displayed version (`version`, `image.tag`; not `image\.tag`). */
export function versionKeysIn(secretValues: Array<[string, string]>): string[] {
  const versionPaths = new Set(VERSION_KEYS);
  const isVersionPath = (key: string): boolean => {
    try {
      const parts = keyPath(key);
      // A part with a dot in it came from an escaped dot: a different value than the nested path.
      return parts.every((part) => typeof part === 'string' && !part.includes('.')) && versionPaths.has(parts.join('.'));
    } catch {
      return false; // not a value helm could set; Deploy refuses it when it writes the values
    }
  };
  return secretValues.map(([key]) => key).filter(isVersionPath);
}

export async function installSlot(helm: Helm, o: InstallOptions): Promise<void> {
  const args = ['upgrade', '--install', o.location.release, o.chart.path, '--namespace', o.location.namespace];
  if (o.createNamespace) args.push('--create-namespace');
  for (const file of o.valueFiles) args.push('--values', file);
  // Always written: helm merges --labels into the previous revision's, so an explicit value replaces a
  // secret-version mark left by an earlier Deploy into this slot.
  const versionMark = o.versionIsSecret ? SECRET_VERSION : SHOWN_VERSION;
  args.push('--labels', `${RUN_LABEL}=${labelValue(o.runId)},${APP_RELEASE_LABEL}=${o.app},${VERSION_LABEL}=${versionMark}`);
  args.push('--description', o.description, '--wait', '--timeout', o.timeout);
  try {
    await helm.run(args, { signal: o.signal });
  } catch (err) {
    throw new Error(`helm could not install ${o.location.release} in namespace ${o.location.namespace}: ${(err as Error).message}`);
  }
}

/** Re-renders a release with changed routing values, keeping every other value it has. */
export async function renderSlot(helm: Helm, location: SlotLocation, chart: ResolvedChart, routingFile: string, timeout: string, description: string): Promise<void> {
  const args = ['upgrade', location.release, chart.path, '--namespace', location.namespace, '--reuse-values', '--values', routingFile];
  args.push('--description', description, '--wait', '--timeout', timeout);
  try {
    await helm.run(args);
  } catch (err) {
    throw new Error(`helm could not re-render ${location.release} in namespace ${location.namespace}: ${(err as Error).message}`);
  }
}

/** Rolls a release back to its previous revision (the way out of a helm upgrade that was interrupted). */
export async function rollbackSlot(helm: Helm, location: SlotLocation, timeout: string): Promise<void> {
  try {
    await helm.run(['rollback', location.release, '--namespace', location.namespace, '--wait', '--timeout', timeout]);
  } catch (err) {
    throw new Error(`helm could not roll back ${location.release} in namespace ${location.namespace}: ${(err as Error).message}`);
  }
}

export async function uninstallSlot(helm: Helm, location: SlotLocation, timeout: string): Promise<void> {
  try {
    await helm.run(['uninstall', location.release, '--namespace', location.namespace, '--wait', '--timeout', timeout]);
  } catch (err) {
    if (/not found/i.test((err as Error).message)) return;
    throw new Error(`helm could not uninstall ${location.release} in namespace ${location.namespace}: ${(err as Error).message}`);
  }
}

export async function testSlot(helm: Helm, location: SlotLocation, timeout: string): Promise<void> {
  try {
    await helm.run(['test', location.release, '--namespace', location.namespace, '--timeout', timeout, '--logs']);
  } catch (err) {
    throw new Error(`helm test failed for ${location.release} in namespace ${location.namespace}: ${(err as Error).message}`);
  }
}

/** helm --set's typing: true/false/null and integers without a leading zero; everything else a string. */
export function typedValue(raw: string): unknown {
  const lower = raw.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  if (raw === '0') return 0;
  if (/^-?[1-9]\d*$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
  return raw;
}

/** Splits `a.b\.c[1].d` into ['a', 'b.c', 1, 'd'] (an escaped dot stays in the key). */
export function keyPath(key: string): Array<string | number> {
  const parts: Array<string | number> = [];
  let current = '';
  for (let i = 0; i < key.length; i++) {
    const ch = key[i];
    if (ch === '\\' && key[i + 1] === '.') {
      current += '.';
      i++;
    } else if (ch === '.') {
      if (current) parts.push(current);
      current = '';
    } else if (ch === '[') {
      const end = key.indexOf(']', i);
      const index = Number(key.slice(i + 1, end));
      if (end < 0 || !Number.isInteger(index) || index < 0) throw new Error(`"${key}" has an invalid list index; write name[0].`);
      if (current) parts.push(current);
      current = '';
      parts.push(index);
      i = end;
    } else {
      current += ch;
    }
  }
  if (current) parts.push(current);
  if (parts.length === 0 || typeof parts[0] === 'number') throw new Error(`"${key}" is not a valid value name.`);
  // The inputs refuse these already; kept here because writing them would reach Object.prototype.
  const reserved = parts.find((part) => typeof part === 'string' && RESERVED_VALUE_NAMES.has(part));
  if (reserved !== undefined) throw new Error(`"${key}" uses the reserved name '${reserved}', which cannot be a value name.`);
  return parts;
}

/**
 * `key=value` pairs as nested values, the way `helm --set` (typed) or `--set-string` would read them. Every
 * key goes through keyPath, which refuses the names that would write into Object.prototype.
 */
export function valuesFromPairs(pairs: Array<[string, string]>, typed: boolean): Values {
  const root: Values = {};
  for (const [key, raw] of pairs) {
    const parts = keyPath(key);
    let node: Record<string | number, unknown> = root;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      if (last) {
        node[part] = typed ? typedValue(raw) : raw;
        return;
      }
      const wantList = typeof parts[i + 1] === 'number';
      if (typeof node[part] !== 'object' || node[part] === null) node[part] = wantList ? [] : {};
      node = node[part] as Record<string | number, unknown>;
    });
  }
  return root;
}
