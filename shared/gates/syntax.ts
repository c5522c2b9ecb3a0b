// Metric gates: a PromQL query and the condition its value must meet, one per line, in the same
// readable family as the HTTP checks (shared/checks/http.ts).
//
//   [NAME:] PROMQL OPERATOR NUMBER
//   success-rate: sum(rate(nginx_ingress_controller_requests{namespace="calc",ingress="calc",canary!="",status!~"5.."}[1m]))
//                 / sum(rate(nginx_ingress_controller_requests{namespace="calc",ingress="calc",canary!=""}[1m])) >= 0.99
//   p95-latency: histogram_quantile(0.95, sum by (le) (rate(nginx_ingress_controller_request_duration_seconds_bucket{canary!=""}[1m]))) < 0.5
//
// The LAST comparison on the line is the gate's condition (PromQL may compare inside the query too).
// Placeholders {{app}}, {{namespace}}, {{slot}}, {{release}}, {{productionSlot}}, {{productionRelease}}
// are replaced with the slot the gate watches; PromQL itself never contains `{{`.

export type Operator = '>=' | '<=' | '>' | '<' | '==' | '!=';

export interface Gate {
  /** The line as written (placeholders unreplaced), for the log and errors. */
  line: string;
  /** The name before the colon, or gate-N. */
  name: string;
  /** PromQL with placeholders, replaced per evaluation (fillPlaceholders). */
  query: string;
  op: Operator;
  threshold: number;
}

export const PLACEHOLDERS = ['app', 'namespace', 'slot', 'release', 'productionSlot', 'productionRelease'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Record<Placeholder, string>;

const SYNTAX = 'Write gates as: [name:] PROMQL >= NUMBER (operators >=, <=, >, <, ==, !=), e.g. success-rate: sum(rate(ok[1m])) / sum(rate(all[1m])) >= 0.99';
// A name is a word followed by ": " (a recording rule such as job:http:rate5m has no space after its colons).
const NAME = /^([A-Za-z][A-Za-z0-9_.-]*):\s+/;
const CONDITION = /\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$/;
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

export function parseGates(text: string): Gate[] {
  const gates = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((line, i) => parseGate(line, i + 1));
  const names = new Set<string>();
  for (const g of gates) {
    if (names.has(g.name)) throw new Error(`Gate name "${g.name}" is used twice; give each gate its own name.`);
    names.add(g.name);
  }
  return gates;
}

export function parseGate(line: string, index = 1): Gate {
  const fail = (why: string): never => {
    throw new Error(`Gate "${line}" is not valid: ${why}. ${SYNTAX}`);
  };
  let rest = line;
  let name = `gate-${index}`;
  const named = NAME.exec(rest);
  if (named?.[1]) {
    name = named[1];
    rest = rest.slice(named[0].length);
  }
  const condition = CONDITION.exec(rest);
  if (!condition) fail('it does not end with a condition such as ">= 0.99"');
  const query = rest.slice(0, condition!.index).trim();
  if (!query) fail('the PromQL query is missing before the condition');
  if (!balanced(query)) fail('its brackets, braces or parentheses do not pair up');
  for (const m of query.matchAll(PLACEHOLDER)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1] ?? '')) fail(`{{${m[1]}}} is not a placeholder; use ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`);
  }
  return { line, name, query, op: condition![1] as Operator, threshold: Number(condition![2]) };
}

/** Brackets pair up outside string literals (a cheap syntax check before the server sees the query). */
function balanced(query: string): boolean {
  const open: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  let quote: string | undefined;
  for (let i = 0; i < query.length; i++) {
    const c = query.charAt(i);
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if ('([{'.includes(c)) open.push(c);
    else if (c in pairs && open.pop() !== pairs[c]) return false;
  }
  return open.length === 0 && quote === undefined;
}

/** The query with its placeholders replaced (values are quoted by the user inside label matchers). */
export function fillPlaceholders(query: string, values: PlaceholderValues): string {
  return query.replace(PLACEHOLDER, (_, key: Placeholder) => values[key]);
}

/** Does `value` meet the gate's condition? NaN and infinities never do (callers treat NaN as no data). */
export function meets(value: number, op: Operator, threshold: number): boolean {
  if (!Number.isFinite(value)) return false;
  switch (op) {
    case '>=':
      return value >= threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '<':
      return value < threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

export const conditionText = (g: Pick<Gate, 'op' | 'threshold'>) => `${g.op} ${g.threshold}`;
