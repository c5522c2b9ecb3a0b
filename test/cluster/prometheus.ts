// A real Prometheus (Debian's `prometheus` package) for the metric-gate tests: started on a loopback port
// with a temporary storage directory and a 1 s scrape of the local data plane's /metrics, stopped by the
// test. Where it is not installed the tests skip with the line that installs it; on CI (CI=true) they fail.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
export const INSTALL_HINT = 'install it with: apt-get install prometheus';

/** Skips the calling suite when Prometheus is missing (fails instead on CI). Call in before(). */
export function requirePrometheus(ctx: Mocha.Context): void {
  if (fs.existsSync(PROMETHEUS_BIN)) return;
  if (process.env.CI === 'true') throw new Error(`${PROMETHEUS_BIN} is missing on CI: ${INSTALL_HINT} (.ci/run does).`);
  console.log(`      skipped: these tests need a real Prometheus at ${PROMETHEUS_BIN}; ${INSTALL_HINT}`);
  ctx.skip();
}

export interface Prometheus {
  /** http://127.0.0.1:PORT, the HTTP API's base URL. */
  url: string;
  /** Runs an instant query; the API's JSON answer. */
  query(promql: string): Promise<{ status: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts Prometheus scraping `metricsUrls` every second; resolves once every target has been scraped up. */
export async function startPrometheus(metricsUrls: string[]): Promise<Prometheus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prometheus-'));
  const targets = metricsUrls.map((u) => new URL(u));
  const [first] = targets;
  if (!first) throw new Error('startPrometheus: no metrics URL to scrape');
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: ingress-nginx',
    `    metrics_path: ${first.pathname}`,
    '    static_configs:',
    `      - targets: [${targets.map((t) => `'${t.host}'`).join(', ')}]`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log: string[] = [];
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (c: Buffer) => log.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => log.push(c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  const query = async (promql: string) => {
    const res = await fetch(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: promql }) });
    return (await res.json()) as Awaited<ReturnType<Prometheus['query']>>;
  };
  const close = async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // Bounded: Prometheus starts in about a second; 60 s covers a loaded machine.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${log.join('').slice(-2000)}`);
    try {
      const up = await query('up');
      const upCount = (up.data?.result ?? []).filter((r) => r.value[1] === '1').length;
      if (upCount === targets.length) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await close();
      throw new Error(`prometheus did not scrape ${metricsUrls.join(', ')} within 60 s: ${log.join('').slice(-2000)}`);
    }
    await sleep(250);
  }
  return { url, query, close };
}
