// What the user sees: grouped steps with their duration, progress on long waits, output variables and
// the run summary (a table of slots) attached to the pipeline run.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import { type Slot, SLOTS } from './model';
import type { AppState } from './slots';

export interface Log {
  info(line: string): void;
  warn(line: string): void;
  /** One `##[group]` per step, closed with its outcome and duration. */
  step<T>(title: string, body: () => Promise<T>): Promise<T>;
  /** Waits `seconds`, printing progress at a steady pace. */
  wait(seconds: number, why: string): Promise<void>;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function taskLog(): Log {
  return {
    info: (line) => console.log(line),
    warn: (line) => tl.warning(line),
    async step(title, body) {
      const started = Date.now();
      console.log(`##[group]${title}`);
      try {
        const result = await body();
        console.log(`done in ${seconds(Date.now() - started)}`);
        return result;
      } catch (err) {
        console.log(`failed after ${seconds(Date.now() - started)}`);
        throw err;
      } finally {
        console.log('##[endgroup]');
      }
    },
    async wait(total, why) {
      if (total <= 0) return;
      console.log(`Waiting ${total} s: ${why}`);
      const tick = total > 60 ? 15 : total > 10 ? 5 : total;
      for (let elapsed = 0; elapsed < total; elapsed += tick) {
        const step = Math.min(tick, total - elapsed);
        await new Promise((r) => setTimeout(r, step * 1000));
        if (elapsed + step < total) console.log(`  ${elapsed + step} s of ${total} s`);
      }
    },
  };
}

export interface SlotRow {
  slot: Slot;
  role: string;
  release: string;
  namespace: string;
  version: string;
  status: string;
  users: string;
}

export function slotRows(state: AppState): SlotRow[] {
  const { routing } = state;
  return SLOTS.map((slot) => {
    const s = state.slots[slot];
    const users =
      routing.production === slot ? `${100 - (routing.staging && routing.staging !== slot ? routing.stagingPercent : 0)} %` : routing.staging === slot ? `${routing.stagingPercent} % (+ testers)` : '0 %';
    return {
      slot,
      role: s.role,
      release: s.release ? `${s.release.name} r${s.release.revision}` : '-',
      namespace: s.location.namespace,
      version: s.release?.version ?? '-',
      status: s.release ? `${s.release.status}${s.release.status === 'deployed' && !s.ready ? ' (not ready)' : ''}` : '-',
      users,
    };
  });
}

export function stateTable(state: AppState): string {
  const rows = slotRows(state);
  const header = '| Slot | Role | Release | Namespace | Version | Status | Users |\n|---|---|---|---|---|---|---|\n';
  return header + rows.map((r) => `| ${r.slot} | ${r.role} | ${r.release} | ${r.namespace} | ${r.version} | ${r.status} | ${r.users} |`).join('\n');
}

/** Plain-text table for the log. */
export function logState(log: Log, state: AppState): void {
  for (const r of slotRows(state)) {
    log.info(`  ${r.slot.padEnd(5)} ${r.role.padEnd(10)} ${r.release.padEnd(28)} ${r.version.padEnd(14)} ${r.status.padEnd(10)} users ${r.users}`);
  }
}

/** Attaches a markdown summary to the run (##vso[task.uploadsummary]). */
export function uploadSummary(title: string, lines: string[], state: AppState): void {
  const dir = tl.getVariable('Agent.TempDirectory') || os.tmpdir();
  const file = path.join(dir, `bluegreen-${state.app.name}-${Date.now()}.md`);
  fs.writeFileSync(file, [`### ${title}`, '', ...lines.map((l) => `- ${l}`), '', stateTable(state), ''].join('\n'));
  tl.uploadSummary(file);
}

export function setOutputs(outputs: Record<string, string | number | boolean | undefined>): void {
  for (const [name, value] of Object.entries(outputs)) {
    if (value !== undefined) tl.setVariable(name, String(value), false, true);
  }
}

/** Ends a lifecycle step that succeeded: output variables, the run summary, and the result line. */
export function finish(task: string, state: AppState, headline: string, notes: string[], outputs: Record<string, string | number | boolean | undefined>): void {
  setOutputs(outputs);
  uploadSummary(`Blue/green ${task}: ${state.app.name}`, [headline, ...notes], state);
  tl.setResult(tl.TaskResult.Succeeded, headline);
}

/** The outputs every step after Deploy reports about production. */
export function productionOutputs(state: AppState): { productionSlot: string; productionVersion: string } {
  const slot = state.routing.production;
  return { productionSlot: slot ?? '', productionVersion: (slot && state.slots[slot].release?.version) || '' };
}
