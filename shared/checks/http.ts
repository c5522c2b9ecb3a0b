// HTTP validation of a slot: a small readable check syntax, and a runner that retries until a deadline
// and logs every result.
//
//   [staging:|production:] METHOD PATH [header NAME=VALUE ...] expect STATUS [contains TEXT]
//   GET /ping expect 200 contains 3.0.379
//   production: GET /healthz expect 2xx
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { activeProxy, tunnelAgent } from '../connection/proxy';

export type CheckRole = 'staging' | 'production';

export interface Check {
  line: string;
  role: CheckRole;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Exact status (200) or class (2 for 2xx). */
  expect: { status?: number; statusClass?: number };
  contains?: string;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

export function parseChecks(text: string): Check[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map(parseCheck);
}

export function parseCheck(line: string): Check {
  const fail = (why: string): never => {
    throw new Error(`Check "${line}" is not valid: ${why}. Write checks as: [staging:|production:] GET /path [header Name=value] expect 200 [contains text]`);
  };
  let rest = line;
  let role: CheckRole = 'staging';
  const roleMatch = /^(staging|production):\s*/i.exec(rest);
  if (roleMatch?.[1]) {
    role = roleMatch[1].toLowerCase() as CheckRole;
    rest = rest.slice(roleMatch[0].length);
  }
  const containsAt = rest.search(/\scontains\s/);
  const contains = containsAt >= 0 ? rest.slice(containsAt).replace(/^\s*contains\s+/, '').trim() : undefined;
  if (contains !== undefined && !contains) fail('"contains" needs a text');
  const words = (containsAt >= 0 ? rest.slice(0, containsAt) : rest).trim().split(/\s+/);
  const method = (words.shift() ?? '').toUpperCase();
  if (!METHODS.has(method)) fail(`unknown method "${method}"`);
  const path = words.shift() ?? '';
  if (!path.startsWith('/')) fail('the path must start with /');
  const offTarget = offTargetReason(path);
  if (offTarget) fail(offTarget);
  const headers: Record<string, string> = {};
  while (words[0]?.toLowerCase() === 'header') {
    words.shift();
    const pair = words.shift() ?? '';
    const eq = pair.indexOf('=');
    if (eq <= 0) fail(`header "${pair}" must be Name=value`);
    headers[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  if (words.shift()?.toLowerCase() !== 'expect') fail('"expect STATUS" is missing');
  const status = words.shift() ?? '';
  if (words.length) fail(`unexpected "${words.join(' ')}"`);
  const expect = /^[1-5]xx$/i.test(status) ? { statusClass: Number(status[0]) } : /^[1-5]\d\d$/.test(status) ? { status: Number(status) } : fail(`"${status}" is not a status such as 200 or 2xx`);
  return { line, role, method, path, headers, expect, contains };
}

/** Any origin stands in for the target's when parsing: a path that changes it would leave the target. */
const PROBE_BASE = 'http://check.invalid';

/**
 * Why a check path would send the request to another host (undefined: it stays on the target). URL
 * parsers read `//host/x` and, for http(s), `/\host` as another host; the resolved-origin comparison
 * catches whatever else a parser may read that way.
 */
function offTargetReason(path: string): string | undefined {
  if (path.startsWith('//') || path.includes('\\')) return `the path "${path}" would leave the app's host (no "//" at the start, no backslashes); a check only requests paths on the app`;
  let resolved: URL;
  try {
    resolved = new URL(path, PROBE_BASE);
  } catch {
    return `the path "${path}" is not a valid URL path`;
  }
  if (resolved.origin !== new URL(PROBE_BASE).origin) return `the path "${path}" would leave the app's host; a check only requests paths on the app`;
  return undefined;
}

/** Where a check's requests go: the address to connect to, the Host header, and what marks the slot. */
export interface CheckTarget {
  /** e.g. "staging (slot green)" */
  label: string;
  /** Scheme://address[:port] to connect to. */
  baseUrl: string;
  /** Host header and TLS server name, when it differs from the address. */
  host?: string;
  /** Prepended to every path (App Gateway's /canary route). */
  pathPrefix: string;
  /** Sent with every request (the staging header). */
  headers: Record<string, string>;
}

export interface CheckResult {
  check: Check;
  ok: boolean;
  status?: number;
  detail: string;
  ms: number;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** What the checks (and the route fence) trust besides the system's CAs: the checksCaCertificate input. */
let extraCa: string | undefined;

/** Trusts `pem` (PEM certificates) for https checks, in addition to the system's CAs; undefined: only those. */
export function trustForChecks(pem: string | undefined): void {
  extraCa = pem;
}

/** Longest a single request may take, whatever time the step has left. */
export const REQUEST_CAP_MS = 10_000;

const secondsText = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/** The URL a check path resolves to on the target; throws if it would leave the target's origin. */
export function checkUrl(target: CheckTarget, path: string): URL {
  const url = new URL(target.pathPrefix.replace(/\/$/, '') + path, target.baseUrl);
  const origin = new URL(target.baseUrl).origin;
  if (url.origin !== origin) throw new Error(`the path ${path} resolves to ${url.origin}, not to the target ${origin}; nothing was requested`);
  return url;
}

/**
 * One HTTP exchange. `timeoutMs` bounds all of it (connect, headers and body): a server that answers
 * slowly, byte by byte, fails at the deadline like one that never answers.
 */
export function request(target: CheckTarget, method: string, path: string, headers: Record<string, string> = {}, timeoutMs = 10000): Promise<HttpAnswer> {
  let url: URL;
  try {
    url = checkUrl(target, path);
  } catch (err) {
    return Promise.reject(err);
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = (outcome: () => void) => {
      if (timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      outcome();
    };
    const req = client.request(
      url,
      {
        method,
        headers: { ...(target.host ? { host: target.host } : {}), ...target.headers, ...headers },
        servername: target.host,
        // Through the agent's proxy (a CONNECT tunnel) unless the address is bypassed.
        agent: tunnelAgent(activeProxy(), url),
        ...(extraCa && url.protocol === 'https:' ? { ca: [...tls.rootCertificates, extraCa] } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= 1 << 20) chunks.push(c);
        });
        res.on('end', () => settle(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })));
        res.on('error', (err) => settle(() => reject(err)));
      },
    );
    timer = setTimeout(() => {
      const err = new Error(`no complete answer within ${secondsText(timeoutMs)}`);
      settle(() => reject(err));
      req.destroy(err);
    }, Math.max(0, timeoutMs));
    req.on('error', (err) => settle(() => reject(proxyRefusal(err, url))));
    req.end();
  });
}

/** hpagent's "Bad response: 407" for a refused CONNECT, said as what it is. */
function proxyRefusal(err: Error, url: URL): Error {
  const status = /^Bad response: (\d+)/.exec(err.message)?.[1];
  const proxy = activeProxy();
  if (!status || !proxy) return err;
  const hint = status === '407' || status === '401' ? ": check the agent's proxy credentials" : '; check that the proxy lets the agent reach this address, or add it to the bypass list';
  return new Error(`the agent's proxy at ${proxy.url.origin} refused to connect to ${url.host} (${status})${hint}`);
}

export async function runCheck(check: Check, target: CheckTarget, timeoutMs = REQUEST_CAP_MS): Promise<CheckResult> {
  const started = Date.now();
  try {
    const answer = await request(target, check.method, check.path, check.headers, timeoutMs);
    const ms = Date.now() - started;
    const statusOk = check.expect.status !== undefined ? answer.status === check.expect.status : Math.floor(answer.status / 100) === check.expect.statusClass;
    const expected = check.expect.status ?? `${check.expect.statusClass}xx`;
    if (!statusOk) return { check, ok: false, status: answer.status, detail: `answered ${answer.status}, expected ${expected}`, ms };
    if (check.contains !== undefined && !answer.body.includes(check.contains)) {
      return { check, ok: false, status: answer.status, detail: `answered ${answer.status} without \`${check.contains}\` in the body (${JSON.stringify(answer.body.slice(0, 120))})`, ms };
    }
    return { check, ok: true, status: answer.status, detail: `answered ${answer.status}${check.contains ? `, body contains \`${check.contains}\`` : ''}`, ms };
  } catch (err) {
    return { check, ok: false, detail: `request failed: ${(err as Error).message}`, ms: Date.now() - started };
  }
}

export interface RunChecksOptions {
  timeoutSeconds: number;
  intervalSeconds: number;
  log?: (line: string) => void;
  /** How one check is made (default: an HTTP request); the history tests answer from their model. */
  runCheck?: CheckRunner;
}

export type CheckRunner = (check: Check, target: CheckTarget, timeoutMs?: number) => Promise<CheckResult>;

/**
 * Runs every check against its target until all pass in one round or the deadline passes. Returns the
 * last round's results; `ok` is true only when all passed. The deadline is hard: each request gets at
 * most the time left, so the function returns by `timeoutSeconds` (plus the time to settle a round).
 */
/** Each check with its result: results come back in the order of their checks, one each. */
export function zip<A, B>(checks: readonly A[], results: readonly B[]): Array<[A, B]> {
  if (checks.length !== results.length) throw new Error(`internal: ${checks.length} checks but ${results.length} results`);
  // Same length, checked above: every index of `checks` is one of `results`.
  return checks.map((c, i) => [c, results[i]!]);
}

export async function runChecks(checks: Array<{ check: Check; target: CheckTarget }>, options: RunChecksOptions): Promise<{ ok: boolean; results: CheckResult[] }> {
  const log = options.log ?? ((l: string) => console.log(l));
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let results: CheckResult[] = [];
  for (let attempt = 1; ; attempt++) {
    const budget = Math.min(REQUEST_CAP_MS, deadline - Date.now());
    // The first round always runs (with whatever time there is), so there are results to report.
    if (budget <= 0 && attempt > 1) return { ok: false, results };
    results = await Promise.all(checks.map(({ check, target }) => (options.runCheck ?? runCheck)(check, target, Math.max(budget, 0))));
    for (const [{ target }, r] of zip(checks, results)) {
      log(`${r.ok ? 'PASS' : 'FAIL'} ${target.label}: ${r.check.method} ${r.check.path} ${r.detail} (${r.ms} ms)`);
    }
    const ok = results.every((r) => r.ok);
    if (ok || Date.now() + options.intervalSeconds * 1000 >= deadline) return { ok, results };
    log(`  attempt ${attempt} did not pass; retrying in ${options.intervalSeconds} s (${Math.ceil((deadline - Date.now()) / 1000)} s left)`);
    await new Promise((r) => setTimeout(r, options.intervalSeconds * 1000));
  }
}
