// `npm run bench`: the lifecycle's costs on the local cluster (zero readiness delay, the data plane's
// test delays unless a section says otherwise), each against its target where it has one (docs/benchmarks.md). A benchmark, not a test: it prints a table and writes out/bench.json; it fails
// (exit 1) only when a measurement could not be taken, never because a number missed its target.
import '../demo/quiet-tasklib';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { HELM_VERSIONS } from '../../scripts/fetch-helm';
import { REALISTIC_DELAYS } from '../cluster/dataplane';
import { repoRoot, type TaskName, TEST_DELAYS } from '../integration/env';
import { table, terminalStyle } from '../demo/style';
import { benchColdStart } from './coldstart';
import { benchDeploy } from './deploy';
import { benchPromote, DELAY_PROFILES, type DelayProfile, PROFILES } from './promote';
import { benchStateRead } from './stateread';
import { type Metric, passes } from './stats';
import { benchWrites } from './writes';

const SECTIONS = ['deploy', 'state', 'writes', 'promote', 'cold'] as const;
type Section = (typeof SECTIONS)[number];
const TASKS: TaskName[] = ['Deploy', 'RouteTraffic', 'OnSuccess', 'OnFailure'];

const USAGE = `Usage: npm run bench -- [--runs N] [--cold-runs 9] [--only deploy,state,writes,promote,cold] [--profiles realistic,uniform2s] [--out out/bench.json]
  --runs: runs per measurement (default 5; 3 for promote, whose runs take minutes)
  --profiles: the data-plane delays promote measures under (default both; uniform2s alone takes about 7 minutes)`;
const DEFAULT_RUNS = 5;
const DEFAULT_PROMOTE_RUNS = 3;

function options() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      runs: { type: 'string' },
      'cold-runs': { type: 'string', default: '9' },
      only: { type: 'string', default: SECTIONS.join(',') },
      profiles: { type: 'string', default: DELAY_PROFILES.join(',') },
      out: { type: 'string', default: path.join(repoRoot, 'out', 'bench.json') },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const count = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 100) throw new Error(`--${name} is '${v}'; give a whole number from 1 to 100.`);
    return n;
  };
  const only = values.only.split(',').map((s) => s.trim());
  const unknown = only.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`--only has ${unknown.join(', ')}; choose from ${SECTIONS.join(', ')}.`);
  const profiles = values.profiles.split(',').map((s) => s.trim());
  const badProfiles = profiles.filter((p) => !(DELAY_PROFILES as readonly string[]).includes(p));
  if (badProfiles.length || !profiles.length) throw new Error(`--profiles has ${badProfiles.join(', ') || 'nothing'}; choose from ${DELAY_PROFILES.join(', ')}.`);
  const runs = values.runs === undefined ? undefined : count('runs', values.runs);
  return { help: !!values.help, runs: runs ?? DEFAULT_RUNS, promoteRuns: runs ?? DEFAULT_PROMOTE_RUNS, coldRuns: count('cold-runs', values['cold-runs']), only: new Set(only as Section[]), profiles: profiles as DelayProfile[], out: path.resolve(values.out) };
}

async function main(): Promise<number> {
  const style = terminalStyle();
  let o: ReturnType<typeof options>;
  try {
    o = options();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (o.help) return void process.stdout.write(`${USAGE}\n`), 0;
  const started = Date.now();
  const progress = (line: string) => process.stdout.write(`${style.dim(`  ${line}`)}\n`);
  const metrics: Metric[] = [];
  const section = async (name: Section, title: string, body: () => Promise<void>) => {
    if (!o.only.has(name)) return;
    process.stdout.write(`${style.bold(title)}\n`);
    await body();
  };

  await section('deploy', 'Deploy task vs bare helm', async () => {
    for (const helm of ['v3', 'v4'] as const) metrics.push(...(await benchDeploy(helm, o.runs, progress)));
  });
  await section('state', 'State read with 1000 unrelated releases', async () => {
    metrics.push(await benchStateRead({ releases: 1000, namespaces: 50, rounds: 6, readsPerRound: 50 }, progress));
  });
  await section('writes', 'API writes per promotion', async () => {
    for (const router of ['nginx', 'appgw'] as const) {
      const m = await benchWrites(router);
      progress(`${router}: ${m.basis}`);
      metrics.push(m);
    }
  });
  await section('promote', 'OnSuccess with the controllers\' apply delays: the fence vs the fixed waits', async () => {
    for (const router of ['nginx', 'appgw'] as const) metrics.push(...(await benchPromote(router, o.promoteRuns, progress, o.profiles)));
  });
  await section('cold', 'Task cold start', async () => {
    for (const task of TASKS) {
      const m = await benchColdStart(task, o.coldRuns);
      progress(`${task}: ${m.value} ms`);
      metrics.push(m);
    }
  });

  const verdictOf = (m: Metric) => {
    const p = passes(m);
    return p === undefined ? style.dim('info') : p ? style.green('PASS') : style.red('MISS');
  };
  // 'writes' reads '1 write'; a one-letter unit ('s', '×') stays as it is.
  const unit = (m: Metric, n: number) => (m.unit.length > 1 && n === 1 ? m.unit.replace(/s$/, '') : m.unit);
  const shown = (m: Metric) => (m.unit === '×' ? `${m.value.toFixed(2)} ×` : m.unit === 's' ? `${m.value.toFixed(1)} s` : `${m.value} ${unit(m, m.value)}`);
  const target = (m: Metric) => (m.target ? `${m.target.op === '==' ? '=' : '≤'} ${m.target.value} ${unit(m, m.target.value)}` : '-');
  process.stdout.write('\n');
  for (const line of table(['Metric', 'Value', 'Target', 'Result', 'Basis'], metrics.map((m) => [m.name, shown(m), target(m), verdictOf(m), m.basis]), style, ['left', 'right', 'right', 'left', 'left'])) {
    process.stdout.write(`${line}\n`);
  }
  const report = {
    generatedAt: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown' },
    helm: HELM_VERSIONS,
    settings: { readyDelayMs: 0, dataPlaneDelays: { default: TEST_DELAYS, promote: { realistic: REALISTIC_DELAYS, uniform2s: PROFILES.uniform2s.delays } }, deployRuns: o.runs, promoteRuns: o.promoteRuns, coldStartRuns: o.coldRuns },
    metrics: metrics.map((m) => ({ ...m, pass: passes(m) ?? null })),
  };
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${style.dim(`Wrote ${path.relative(process.cwd(), o.out) || o.out} in ${report.durationSeconds} s.`)}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`The benchmark could not finish: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
