// Turns a task's log, as the agent shows it, into what the demo prints: each ##[group] a titled section
// with its duration, helm's boilerplate and retry chatter folded away, temp paths shortened, warnings
// and errors highlighted. The slot table a task prints before it starts is dropped when it is the one
// the previous task printed at its end: the reader has just seen it.
import * as os from 'node:os';
import * as path from 'node:path';
import type { Style } from './style';

export interface CondenseOptions {
  style: Style;
  /** Paths under it print relative (`./examples/charts/...`). */
  repoRoot: string;
  /** The task's result message: an ##[error] line repeating it is dropped (the demo prints it once). */
  resultMessage?: string;
  /** The slot table lines of the previous task's "Result" step. */
  previousState?: string[];
  /** Print the lines before the first step (which cluster, which helm); the same for every task. */
  showPreamble?: boolean;
}

export interface CondensedLog {
  lines: string[];
  /** The slot table of this task's last state read (its "Result" step), for the next task. */
  state?: string[];
}

interface Group {
  title: string;
  body: string[];
  duration?: string;
  failed: boolean;
}

const STATE_ROW = /^\s+(blue|green)\s+(production|staging|idle|absent)\b/;
const APP_LINE = /^App \S+ \(.*:$/;
const HELM_NOISE = /^(NAME|LAST DEPLOYED|NAMESPACE|DESCRIPTION|TEST SUITE|NOTES):/;
const RETRY = /^\s*attempt \d+ did not pass; retrying/;
const WAIT_PROGRESS = /^\s*\d+ s of \d+ s$/;
const TIMING_SUFFIX = / \(\d+ ms\)$/;

/** Absolute temp paths become their file name, the repository becomes `.`, `[command]/x/helm` becomes `$ helm`. */
export function shortenPaths(line: string, repoRoot: string): string {
  let out = line.replace(/^\[command\](\S+)/, (_, binary: string) => `$ ${path.basename(binary)}`);
  const tmp = os.tmpdir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  out = out.replace(new RegExp(`${tmp}/\\S*`, 'g'), (p) => path.basename(p.replace(/[;,]$/, '')) + (/[;,]$/.test(p) ? p.slice(-1) : ''));
  return out.split(`${repoRoot}/`).join('./');
}

function colourSlots(line: string, style: Style): string {
  return line.replace(STATE_ROW, (m, slot: string) => m.replace(slot, slot === 'blue' ? style.blue(slot) : style.green(slot)));
}

/** Folds helm's release boilerplate, retry chatter and repeated check lines inside one step. */
function condenseBody(body: string[], style: Style): string[] {
  const out: string[] = [];
  let lastKey: string | undefined;
  let repeats = 0;
  let retries = 0;
  let helmStatus: string | undefined;
  const flushRepeats = () => {
    if (repeats > 1) out[out.length - 1] += style.dim(` (×${repeats})`);
    repeats = 0;
    lastKey = undefined;
  };
  for (const raw of body) {
    const line = raw.trimEnd();
    if (!line.trim() || HELM_NOISE.test(line) || WAIT_PROGRESS.test(line)) continue;
    if (RETRY.test(line)) {
      retries += 1;
      continue;
    }
    const status = /^STATUS: (.*)$/.exec(line);
    const revision = /^REVISION: (.*)$/.exec(line);
    if (revision && helmStatus !== undefined && out.length) {
      out[out.length - 1] = style.dim(`helm: release ${helmStatus}, revision ${revision[1]}`);
      helmStatus = undefined;
      continue;
    }
    helmStatus = status?.[1];
    const shown = status ? style.dim(`helm: release ${status[1]}`) : revision ? style.dim(`helm: revision ${revision[1]}`) : line.startsWith('$ ') ? style.dim(line) : line;
    const key = line.replace(TIMING_SUFFIX, '');
    if (key === lastKey) {
      repeats += 1;
      continue;
    }
    flushRepeats();
    out.push(shown);
    lastKey = key;
    repeats = 1;
  }
  flushRepeats();
  if (retries) out.push(style.dim(`(retried ${retries} time${retries === 1 ? '' : 's'})`));
  return out;
}

function issue(line: string, style: Style): string | undefined {
  const m = /^##\[(error|warning)\](.*)$/.exec(line);
  if (!m) return undefined;
  return m[1] === 'error' ? style.red(`✖ ${m[2]}`) : style.yellow(`⚠ ${m[2]}`);
}

export function condenseLog(log: string, options: CondenseOptions): CondensedLog {
  const { style } = options;
  const preamble: string[] = [];
  const items: Array<Group | string> = [];
  let group: Group | undefined;
  let state: string[] | undefined;

  for (const raw of log.split('\n')) {
    if (raw.includes('##vso[') || raw.startsWith('##[debug]')) continue;
    const line = shortenPaths(raw, options.repoRoot);
    if (line.startsWith('##[group]')) {
      group = { title: line.slice('##[group]'.length), body: [], failed: false };
      continue;
    }
    if (line.startsWith('##[endgroup]')) {
      if (group) items.push(group);
      group = undefined;
      continue;
    }
    if (group) {
      const done = /^(done in|failed after) (.+)$/.exec(line);
      if (done) {
        group.duration = done[2];
        group.failed = done[1] === 'failed after';
        continue;
      }
      group.body.push(line);
      continue;
    }
    if (/^##\[error\]/.test(line) && options.resultMessage && line.endsWith(options.resultMessage)) continue;
    if (items.length === 0 && !issue(line, style)) preamble.push(line);
    else items.push(line);
  }
  if (group) items.push(group);

  const lines = options.showPreamble ? preamble.filter((l) => l.trim()).map((l) => `  ${style.dim(l)}`) : [];
  for (const item of items) {
    if (typeof item === 'string') {
      const highlighted = issue(item, style);
      if (highlighted || item.trim()) lines.push(`  ${highlighted ?? item}`);
      continue;
    }
    const rows = item.body.filter((l) => STATE_ROW.test(l));
    let body = item.body;
    if (rows.length) {
      const isResult = item.title === 'Result';
      const unchanged = !isResult && options.previousState !== undefined && rows.join('\n') === options.previousState.join('\n');
      body = item.body.filter((l) => !(APP_LINE.test(l) && (isResult || unchanged)) && !(unchanged && STATE_ROW.test(l)));
      if (unchanged) body.push(style.dim('(slots as the previous step left them)'));
      state = rows;
    }
    const when = item.duration ? style.dim(`  ${item.duration}`) : '';
    lines.push(item.failed ? `  ${style.red(`✖ ${item.title}`)}${style.red(`  failed after ${item.duration}`)}` : `  ▸ ${item.title}${when}`);
    for (const l of condenseBody(body, style)) {
      const text = issue(l, style) ?? colourSlots(l, style);
      lines.push(`      ${text}`);
    }
  }
  return { lines, state };
}
