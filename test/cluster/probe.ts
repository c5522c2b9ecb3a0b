// A traffic probe: users hitting the app at a fixed rate through the data plane while a scenario runs.
// Each answer is recorded with the scenario phase it was sent in, so a test can assert "no failed
// production request" per phase and see which versions answered and how long any outage lasted.
import * as http from 'node:http';
import { requestRetryingClosedIdle } from './keepalive';

export interface ProbeOptions {
  /** Data-plane URL including the path, e.g. `${dataPlane.url}/ping`. */
  url: string;
  /** Host header (the app's host, a Traffic Manager name, a slot's LB address). */
  host?: string;
  headers?: Record<string, string>;
  ratePerSecond: number;
  /** Identifies this client's DNS cache on the Traffic Manager data plane. */
  clientId?: string;
  clientIdHeader?: string;
  /** The probe stops by itself after this long (default 120 s). */
  maxDurationMs?: number;
  /** ...or after this many requests (default: rate x max duration). */
  maxRequests?: number;
  /** Per-request timeout (default 2 s); a timeout is recorded as an error. */
  timeoutMs?: number;
  /** Phase of the first requests (default `start`). */
  phase?: string;
  /** What counts as failed (default: a network error or a status outside 200-299). */
  isFailure?: (record: ProbeRecord) => boolean;
}

export interface ProbeRecord {
  seq: number;
  phase: string;
  /** Send time, ms since the probe started. */
  at: number;
  durationMs: number;
  status?: number;
  version?: string;
  release?: string;
  pod?: string;
  /** A network error, timeout, or the data plane's x-dataplane-error (NXDOMAIN, ECONNREFUSED...). */
  error?: string;
  /**
   * Connection errors of earlier attempts sent again: a request reset on a reused keep-alive connection
   * (the server closed it as idle at that instant) is sent again, as browsers do (keepalive.ts).
   */
  retried?: string;
  failed: boolean;
}

export interface PhaseSummary {
  phase: string;
  requests: number;
  failures: number;
  statuses: Record<string, number>;
  versions: Record<string, number>;
  releases: Record<string, number>;
  /** Longest run of failures: from its first failed request to the next success (or its last answer). */
  longestFailureWindowMs: number;
  firstFailure?: ProbeRecord;
}

export interface ProbeResult {
  records: ProbeRecord[];
  /** In the order the phases were marked. */
  phases: PhaseSummary[];
  total: PhaseSummary;
  durationMs: number;
  stoppedBy: 'stop' | 'maxDuration' | 'maxRequests';
}

export interface Probe {
  /** Requests sent from now on belong to this phase. */
  mark(phase: string): void;
  /** Resolves once every request sent so far has its answer (the probe keeps sending meanwhile). */
  answered(): Promise<void>;
  /** Stops sending, waits for answers in flight, summarises. */
  stop(): Promise<ProbeResult>;
  /** Settles when the probe stops, by stop() or by its own bounds. */
  readonly done: Promise<ProbeResult>;
  /** Answers so far (live). */
  readonly records: readonly ProbeRecord[];
}

const defaultIsFailure = (r: ProbeRecord) => r.error !== undefined || r.status === undefined || r.status < 200 || r.status > 299;

export function summarise(phase: string, records: readonly ProbeRecord[]): PhaseSummary {
  const count = (into: Record<string, number>, value: string | number | undefined) => {
    if (value !== undefined) into[String(value)] = (into[String(value)] ?? 0) + 1;
  };
  const s: PhaseSummary = { phase, requests: records.length, failures: 0, statuses: {}, versions: {}, releases: {}, longestFailureWindowMs: 0 };
  const ordered = [...records].sort((a, b) => a.seq - b.seq);
  let runStart: ProbeRecord | undefined;
  ordered.forEach((r, i) => {
    count(s.statuses, r.status ?? r.error);
    count(s.versions, r.version);
    count(s.releases, r.release);
    if (!r.failed) return;
    s.failures += 1;
    s.firstFailure ??= r;
    runStart ??= r;
    const next = ordered[i + 1];
    if (next && next.failed) return;
    const end = next ? next.at : r.at + r.durationMs;
    s.longestFailureWindowMs = Math.max(s.longestFailureWindowMs, end - runStart.at);
    runStart = undefined;
  });
  return s;
}

export function startProbe(options: ProbeOptions): Probe {
  if (!(options.ratePerSecond > 0)) throw new Error('startProbe: ratePerSecond must be positive');
  const interval = 1000 / options.ratePerSecond;
  const maxDurationMs = options.maxDurationMs ?? 120_000;
  const maxRequests = options.maxRequests ?? Math.ceil((maxDurationMs / 1000) * options.ratePerSecond);
  const timeoutMs = options.timeoutMs ?? 2000;
  const isFailure = options.isFailure ?? defaultIsFailure;
  const url = new URL(options.url);
  const headers: Record<string, string> = { ...options.headers };
  if (options.host) headers.host = options.host;
  if (options.clientId) headers[options.clientIdHeader ?? 'x-client-id'] = options.clientId;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  let current = options.phase ?? 'start';
  const phases: string[] = [current];
  const records: ProbeRecord[] = [];
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopping: Promise<ProbeResult> | undefined;
  let resolveDone!: (r: ProbeResult) => void;
  const done = new Promise<ProbeResult>((resolve) => (resolveDone = resolve));

  const send = () => {
    const seq = ++sent;
    const phase = current;
    const at = Date.now() - started;
    const record = (fields: Partial<ProbeRecord>) => {
      const r: ProbeRecord = { seq, phase, at, durationMs: Date.now() - started - at, failed: false, ...fields };
      r.failed = isFailure(r);
      records.push(r);
    };
    const p = new Promise<void>((resolve) => {
      requestRetryingClosedIdle(
        url,
        { method: 'GET', headers, agent, timeout: timeoutMs },
        (res, retry) => {
          const retried = retry.retried.join('; ') || undefined;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => (record({ status: res.statusCode, error: err.message, retried }), resolve()));
          res.on('end', () => {
            let body: { version?: string; release?: string; pod?: string } = {};
            try {
              body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              /* not a pod answer */
            }
            const dataPlaneError = res.headers['x-dataplane-error'];
            record({ status: res.statusCode, version: body.version, release: body.release, pod: body.pod, error: typeof dataPlaneError === 'string' ? dataPlaneError : undefined, retried });
            resolve();
          });
        },
        (err, retry) => (record({ error: err.message, retried: retry.retried.join('; ') || undefined }), resolve()),
      );
    });
    inFlight.add(p);
    void p.then(() => inFlight.delete(p));
  };

  const finish = (stoppedBy: ProbeResult['stoppedBy']): Promise<ProbeResult> => {
    stopping ??= (async () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      while (inFlight.size) await Promise.all([...inFlight]);
      agent.destroy();
      const sorted = records.sort((a, b) => a.seq - b.seq);
      const result: ProbeResult = {
        records: sorted,
        phases: [...new Set(phases)].map((ph) => summarise(ph, sorted.filter((r) => r.phase === ph))),
        total: summarise('total', sorted),
        durationMs: Date.now() - started,
        stoppedBy,
      };
      resolveDone(result);
      return result;
    })();
    return stopping;
  };

  // Each request is due at start + seq x interval, so slow answers do not slow the rate down.
  const tick = () => {
    if (stopping) return;
    if (sent >= maxRequests) return void finish('maxRequests');
    if (Date.now() - started >= maxDurationMs) return void finish('maxDuration');
    send();
    timer = setTimeout(tick, Math.max(0, started + sent * interval - Date.now()));
  };
  tick();

  return {
    mark: (phase) => {
      current = phase;
      phases.push(phase);
    },
    answered: async () => void (await Promise.all([...inFlight])),
    stop: () => finish('stop'),
    done,
    records,
  };
}
