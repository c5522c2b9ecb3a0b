// Label and field selectors of list and watch requests, parsed the way apimachinery's labels.Parse does:
// `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a` (exists), `!a` (does not exist), comma = AND.
import { ApiError } from './errors';
import type { KubeObject } from '../store';

export type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' };

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;

const invalidSelector = (selector: string, why: string) =>
  new ApiError(400, 'BadRequest', `unable to parse requirement: ${why} (in selector ${JSON.stringify(selector)})`);

/** Splits on commas that are not inside a set `( ... )`. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key)) throw invalidSelector(selector, `invalid label key ${JSON.stringify(key)}`);
  return key;
}

export function parseLabelSelector(selector: string | null | undefined): Requirement[] {
  if (!selector) return [];
  const out: Requirement[] = [];
  for (const term of splitTerms(selector)) {
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^(\S+)\s+(in|notin)\s*\((.*)\)$/))) {
      const [, key = '', op, list = ''] = m;
      const values = list.split(',').map((v) => v.trim()).filter((v) => v !== '');
      out.push({ key: checkKey(key, selector), op: op as 'in' | 'notin', values });
    } else if ((m = term.match(/^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/))) {
      const [, key = '', op, value = ''] = m;
      out.push({ key: checkKey(key, selector), op: op === '!=' ? 'notin' : 'in', values: [value] });
    } else if ((m = term.match(/^!\s*(\S+)$/))) {
      out.push({ key: checkKey(m[1] ?? '', selector), op: '!exists' });
    } else if (/^\S+$/.test(term)) {
      out.push({ key: checkKey(term, selector), op: 'exists' });
    } else {
      throw invalidSelector(selector, `found '${term}', expected: =, !=, ==, in, notin`);
    }
  }
  return out;
}

export function matchesLabels(requirements: Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const value = has ? l[r.key] : undefined;
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'in':
        return value !== undefined && r.values.includes(value);
      case 'notin':
        return value === undefined || !r.values.includes(value);
    }
  });
}

/** Structured selectors (Deployment/Service `spec.selector`) as requirements. */
export function selectorRequirements(selector: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> } | Record<string, string> | undefined): Requirement[] {
  if (!selector) return [];
  const structured = 'matchLabels' in selector || 'matchExpressions' in selector;
  const labels = (structured ? (selector as { matchLabels?: Record<string, string> }).matchLabels : selector) as Record<string, string> | undefined;
  const out: Requirement[] = Object.entries(labels ?? {}).map(([key, value]) => ({ key, op: 'in', values: [value] }));
  if (structured) {
    for (const e of (selector as { matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> }).matchExpressions ?? []) {
      const op = e.operator.toLowerCase();
      if (op === 'in' || op === 'notin') out.push({ key: e.key, op, values: e.values ?? [] });
      else if (op === 'exists') out.push({ key: e.key, op: 'exists' });
      else if (op === 'doesnotexist') out.push({ key: e.key, op: '!exists' });
    }
  }
  return out;
}

export interface FieldRequirement {
  field: string;
  negate: boolean;
  value: string;
}

const FIELDS: Record<string, (o: KubeObject) => string | undefined> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace,
  'status.phase': (o) => o.status?.phase,
  'spec.nodeName': (o) => o.spec?.nodeName,
  type: (o) => o.type,
};

export function parseFieldSelector(selector: string | null | undefined): FieldRequirement[] {
  if (!selector) return [];
  return splitTerms(selector).map((term) => {
    const m = term.match(/^([^=!]+)(==|=|!=)(.*)$/);
    if (!m) throw new ApiError(400, 'BadRequest', `invalid selector: '${selector}'; can't understand '${term}'`);
    const [, name = '', op, value = ''] = m;
    const field = name.trim();
    if (!FIELDS[field]) throw new ApiError(400, 'BadRequest', `field label not supported: ${field}`);
    return { field, negate: op === '!=', value: value.trim() };
  });
}

export function matchesFields(requirements: FieldRequirement[], object: KubeObject): boolean {
  return requirements.every((r) => {
    const read = FIELDS[r.field];
    if (!read) throw new ApiError(400, 'BadRequest', `field label not supported: ${r.field}`);
    return ((read(object) ?? '') === r.value) !== r.negate;
  });
}
