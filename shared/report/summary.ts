// The run summary: the markdown page a task attaches to the pipeline run (its own tab on the run's
// summary), so that whoever looks at a run sees what happened without reading the log: the outcome, the
// slots and their versions (a failed release shown as failed), who gets traffic, how testers reach the
// staged slot, and every check with its result. Pure: built from the state, the task writes it.
import type { CheckTarget } from '../checks/http';
import { type Slot, SLOTS } from '../core/model';
import type { Promotion } from '../core/record';
import type { AppState } from '../core/state';

/** A check's last result, as the summary lists it. */
export interface CheckOutcome {
  /** e.g. "staging (slot green)" */
  target: string;
  line: string;
  ok: boolean;
  detail: string;
}

export interface SummaryInput {
  task: string;
  outcome: 'succeeded' | 'failed';
  headline: string;
  notes: string[];
  state: AppState;
  /** Where testers reach the staged slot (undefined: nothing is staged). */
  testers?: CheckTarget;
  checks: CheckOutcome[];
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
      // A release whose install or upgrade failed, with no route to it, is shown as what it is.
      role: s.role === 'idle' && s.release?.status === 'failed' ? 'failed' : s.role,
      release: s.release ? `${s.release.name} r${s.release.revision}` : '-',
      namespace: s.location.namespace,
      version: s.release?.version ?? '-',
      status: s.release ? `${s.release.status}${s.release.status === 'deployed' && !s.ready ? ' (not ready)' : ''}` : '-',
      users,
    };
  });
}

/** The attachment's name, shown as the title of its section on the run's summary page. */
export const summaryName = (task: string, app: string) => `Blue/green ${task}: ${app}`;

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** How a tester reaches a slot: the address and the header or path that selects it. */
export function testerAccess(target: CheckTarget): string {
  const url = `${target.baseUrl}${target.pathPrefix || ''}/`;
  const headers = Object.entries(target.headers).map(([k, v]) => `header \`${k}: ${v}\``);
  return `${url}${headers.length ? ` with ${headers.join(' and ')}` : ''}`;
}

/** How many promotions and rollbacks of the app's record the summary lists. */
export const HISTORY_ROWS = 5;
const OUTCOME: Record<Promotion['state'], string> = { begun: 'in progress (or interrupted)', confirmed: 'done', rolledBack: 'rolled back' };

function change(p: Promotion): string {
  const to = `${cell(p.to.version)} (slot ${p.to.slot})`;
  if (p.firstDeploy) return `first deploy: ${to}`;
  return `${p.rollback ? 'rollback: ' : ''}${p.from ? `${cell(p.from.version)} (slot ${p.from.slot})` : '-'} -> ${to}`;
}

export function summaryMarkdown(s: SummaryInput): string {
  const { state } = s;
  const rows = slotRows(state);
  const staged: Slot | undefined = state.routing.staging;
  const lines = [
    `### ${s.outcome === 'failed' ? 'Failed' : 'Succeeded'}: ${cell(s.headline)}`,
    '',
    ...s.notes.map((n) => `- ${cell(n)}`),
    ...(s.notes.length ? [''] : []),
    '| Slot | Role | Release | Namespace | Version | Status | Users |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.slot} | ${r.role} | ${r.release} | ${r.namespace} | ${cell(r.version)} | ${r.status} | ${r.users} |`),
    '',
  ];
  if (staged && s.testers) lines.push(`**Testers** reach slot ${staged} at ${testerAccess(s.testers)}.`, '');
  const history = state.record.promotions.slice(0, HISTORY_ROWS);
  if (history.length) {
    lines.push(`**History** of app ${state.app.name} (latest first):`, '', '| When | Run | By | Change | Outcome |', '|---|---|---|---|---|');
    for (const p of history) lines.push(`| ${p.at} | ${cell(p.run)} | ${cell(p.by ?? '')} | ${change(p)} | ${OUTCOME[p.state]} |`);
    lines.push('');
  }
  if (s.checks.length) {
    lines.push('| Check | Target | Result |', '|---|---|---|');
    for (const c of s.checks) lines.push(`| \`${cell(c.line)}\` | ${c.target} | ${c.ok ? 'passed' : 'FAILED'}: ${cell(c.detail)} |`);
    lines.push('');
  }
  return lines.join('\n');
}
