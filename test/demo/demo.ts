// `npm run demo`: the blue/green lifecycle on the local cluster, the bundled tasks run through the agent
// emulator, with a probe playing the users. Prints each task's condensed log, its result, and what the
// users saw during it; ends with a table of the steps, the slots, and a verdict. Exit code 0 when the
// lifecycle behaved as promised (the broken v3 failing RouteTraffic is part of the promise).
import './quiet-tasklib';
import { HELM_VERSIONS } from '../../scripts/fetch-helm';
import type { TaskRun } from '../cluster/agent';
import type { Probe, ProbeResult } from '../cluster/probe';
import { slotRows } from '../../shared/report/summary';
import { SLOTS } from '../../shared/core/model';
import { type Env, HOST, repoRoot, startEnv } from '../integration/env';
import { type DemoOptions, parseDemoArgs, USAGE } from './options';
import { BROKEN_VERSION, FINAL_VERSION, scenario, type Step, stepTitle } from './scenario';
import { stateReader } from './state';
import { seconds, type Style, table, terminalStyle } from './style';
import { condenseLog } from './tasklog';
import { phaseView, probeLine, type PhaseView, type StepOutcome, verdict } from './verdict';

const PRODUCT = { nginx: 'ingress-nginx', appgw: 'Application Gateway (AGIC)' } as const;
const AFTER = 'after';
const PROBE_RATE = 25;

interface StepReport {
  step: Step;
  run: TaskRun;
  ms: number;
}

const out = (line = '') => process.stdout.write(`${line}\n`);

function heading(style: Style, text: string): void {
  const bar = '─'.repeat(Math.max(4, 78 - text.length - 4));
  out();
  out(style.bold(`── ${text} ${bar}`));
}

/** A "running…" line on a terminal, erased when the task ends (the log only exists once it has). */
function running(style: Style, what: string): () => void {
  if (!style.enabled) return () => undefined;
  const started = Date.now();
  const draw = () => process.stdout.write(`\r\x1b[K  ${style.dim(`${what}… ${seconds(Date.now() - started)}`)}`);
  draw();
  const timer = setInterval(draw, 200);
  return () => {
    clearInterval(timer);
    process.stdout.write('\r\x1b[K');
  };
}

async function runStep(env: Env, probe: Probe, step: Step, total: number, style: Style, previousState: string[] | undefined) {
  heading(style, stepTitle(step, total));
  out(`  ${style.cyan(step.intent)}`);
  probe.mark(String(step.index));
  const stop = running(style, `running ${step.task}`);
  const started = Date.now();
  const run = await env.task(step.task, step.run, step.inputs).finally(stop);
  const ms = Date.now() - started;
  const condensed = condenseLog(run.log, { style, repoRoot, resultMessage: run.message, previousState, showPreamble: step.index === 1 });
  for (const line of condensed.lines) out(line);
  const asExpected = run.outcome === step.expect;
  const mark = run.outcome === 'Failed' ? (asExpected ? style.yellow('✖ Failed') : style.red('✖ Failed')) : asExpected ? style.green('✔ Succeeded') : style.red(`✔ ${run.outcome}`);
  const expected = asExpected ? (step.expect === 'Failed' ? style.yellow(' (as it must)') : '') : style.red(` (expected ${step.expect})`);
  out(`  ${mark}${expected} in ${seconds(ms)}: ${run.message}`);
  return { report: { step, run, ms }, state: condensed.state ?? previousState };
}

/** Waits for the answers of requests sent before the last mark, then summarises that phase. */
async function phaseSoFar(probe: Probe, phase: string): Promise<PhaseView> {
  await new Promise((r) => setTimeout(r, 150));
  return phaseView(probe.records, phase, '1');
}

function finalTables(reports: StepReport[], result: ProbeResult, style: Style, rows: ReturnType<typeof slotRows> | undefined, total: number): PhaseView[] {
  const views = [...reports.map((r) => String(r.step.index)), AFTER].map((p) => phaseView(result.records, p, '1'));
  heading(style, 'Summary');
  const lines = table(
    ['Step', 'Result', 'Time', 'Requests', 'Failed', 'Longest failure', 'Versions users saw'],
    views.map((v, i) => {
      const r = reports[i];
      const result = !r ? '' : r.run.outcome === r.step.expect ? (r.run.outcome === 'Failed' ? style.yellow('Failed (expected)') : style.green(r.run.outcome)) : style.red(r.run.outcome);
      return [
        r ? stepTitle(r.step, total) : 'after the last task (1 s)',
        result,
        r ? seconds(r.ms) : '',
        String(v.requests) + (v.beforeProduction ? style.dim(` +${v.beforeProduction}`) : ''),
        v.failures ? style.red(String(v.failures)) : '0',
        `${v.longestFailureWindowMs} ms`,
        Object.entries(v.versions).map(([k, n]) => `${k} ×${n}`).join(' → ') || '-',
      ];
    }),
    style,
    ['left', 'left', 'right', 'right', 'right', 'right', 'left'],
  );
  for (const l of lines) out(`  ${l}`);
  if (views[0]?.beforeProduction) out(style.dim(`  (+N: requests sent before the first deploy was routed; there was no production to fail yet)`));
  if (rows) {
    out();
    out(style.bold('  Slots at the end'));
    const colour = (slot: string) => (slot === 'blue' ? style.blue(slot) : style.green(slot));
    const slotLines = table(
      ['Slot', 'Role', 'Release', 'Namespace', 'Version', 'Status', 'Users'],
      rows.map((r) => [colour(r.slot), r.role, r.release, r.namespace, r.version, r.status, r.users]),
      style,
    );
    for (const l of slotLines) out(`  ${l}`);
  }
  return views;
}

async function demo(options: DemoOptions, style: Style): Promise<boolean> {
  const started = Date.now();
  const steps = scenario(options);
  out(style.bold(`Blue/green lifecycle demo: ${PRODUCT[options.router]}, routing ${options.ownership === 'managed' ? 'managed by the task' : 'rendered by the chart'}, helm ${HELM_VERSIONS[options.helm]}`));
  // The real controllers' delays (AGIC: 20 s per change): the tasks wait for the data plane by observing it.
  const env = await startEnv({ helm: options.helm, router: options.router, ownership: options.ownership, realistic: true, inputs: { checkTimeout: '90' } });
  let probe: Probe | undefined;
  // Ctrl-C: stop the servers and remove the cluster's temp dir before leaving.
  const interrupted = () => void Promise.resolve(probe?.stop()).then(() => env.close()).finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  try {
    out(style.dim(`  local cluster: API server ${env.cluster.apiUrl}; data plane (${PRODUCT[options.router]} emulator) ${env.dataplane.url}`));
    out(style.dim(`  app ${env.options.app} in namespace ${env.options.namespace}, host ${HOST}; tasks from build/tasks run through the agent emulator`));
    out(style.dim(`  probe: ${PROBE_RATE} requests/s GET http://${HOST}/ping with the Host header and no staging header (what real users get)`));
    probe = env.probe({ url: `${env.dataplane.url}/ping`, ratePerSecond: PROBE_RATE, phase: 'setup' });

    const reports: StepReport[] = [];
    let state: string[] | undefined;
    for (const step of steps) {
      const stepped = await runStep(env, probe, step, steps.length, style, state);
      const report = stepped.report;
      state = stepped.state;
      reports.push(report);
      const asExpected = report.run.outcome === step.expect;
      const following = steps[step.index];
      probe.mark(following && asExpected ? String(following.index) : AFTER);
      out(`  ${probeLine(await phaseSoFar(probe, String(step.index)), style)}`);
      if (!asExpected) {
        out(style.red(`  Stopping: step ${step.index} did not behave as the lifecycle expects.`));
        break;
      }
    }
    // Users keep arriving after the last task: production must still answer once everything settled.
    await new Promise((r) => setTimeout(r, 1000));
    const result = await probe.stop();
    probe = undefined;

    const app = await stateReader(env.cluster.kubeconfigPath, env.common).read();
    const rows = slotRows(app);
    const views = finalTables(reports, result, style, rows, steps.length);
    const production = app.routing.production;
    const other = SLOTS.find((s) => s !== production);
    const outcomes: StepOutcome[] = reports.map((r) => ({ title: stepTitle(r.step, steps.length), expect: r.step.expect, outcome: r.run.outcome, message: r.run.message }));
    const v = verdict({
      steps: outcomes,
      phases: views,
      finalProduction: { slot: production, version: production ? app.slots[production].release?.version : undefined, otherSlotEmpty: !!other && !app.slots[other].release },
      finalVersion: FINAL_VERSION,
      brokenVersion: BROKEN_VERSION,
      skipped: steps.slice(reports.length).map((s) => stepTitle(s, steps.length)),
    });
    out();
    for (const l of v.lines) out(`  ${!l.ok ? style.red('✖') : l.warn ? style.yellow('⚠') : style.green('✔')} ${l.text}`);
    out(v.ok ? style.bold(style.green(`  The lifecycle behaved as expected (${seconds(Date.now() - started)}).`)) : style.bold(style.red(`  The lifecycle did NOT behave as expected (${seconds(Date.now() - started)}).`)));
    return v.ok;
  } finally {
    process.off('SIGINT', interrupted);
    await probe?.stop();
    await env.close();
  }
}

async function main(): Promise<number> {
  const style = terminalStyle();
  let options: DemoOptions | undefined;
  try {
    options = parseDemoArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (!options) {
    out(USAGE);
    return 0;
  }
  try {
    return (await demo(options, style)) ? 0 : 1;
  } catch (err) {
    process.stderr.write(style.red(`The demo could not run: ${(err as Error).stack ?? String(err)}\n`));
    return 2;
  }
}

void main().then((code) => process.exit(code));
