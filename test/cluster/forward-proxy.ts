// A real forward proxy for the proxy tests: Debian's tinyproxy, started on a loopback port with a generated
// config that demands Basic credentials (tinyproxy's config takes letters, digits, '-' and '_' in them) (a client that drops them or sends wrong ones is refused; tinyproxy answers 401 there) and logs every
// request (LogLevel Info: one `Request (file descriptor N): CONNECT host:port` or `GET http://...` line
// each). Its outgoing connections leave from BIND_ADDRESS (127.0.0.3), so a server behind it tells a
// proxied connection from a direct one by the peer address alone.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** Where tinyproxy's connections to the servers come from. */
export const BIND_ADDRESS = '127.0.0.3';

export interface ForwardProxy {
  /** http://127.0.0.1:PORT (no credentials) */
  url: string;
  username: string;
  password: string;
  /** Every request line tinyproxy logged so far: `CONNECT 127.0.0.1:1234` or `GET http://127.0.0.1:1234/x`. */
  requests(): ProxiedRequest[];
  close(): Promise<void>;
}

export interface ProxiedRequest {
  method: string;
  /** host:port the request was for. */
  target: string;
  /** The absolute URL of a plain-http request (GET http://...); '' for a CONNECT. */
  url: string;
  line: string;
}

/** The tinyproxy binary, or undefined when it is not installed. */
export function tinyproxyBinary(): string | undefined {
  for (const candidate of ['/usr/bin/tinyproxy', '/usr/sbin/tinyproxy', '/usr/local/bin/tinyproxy']) if (fs.existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', 'command -v tinyproxy'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : undefined;
}

/**
 * Skips the calling suite when tinyproxy is missing, with the line that installs it; under CI=true a
 * missing tinyproxy fails instead (.ci/run installs it).
 */
export function requireTinyproxy(ctx: Mocha.Context): string {
  const binary = tinyproxyBinary();
  if (binary) return binary;
  const message = 'tinyproxy is not installed: install it with: apt-get install tinyproxy';
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: the proxy tests must run)`);
  console.log(`      skipped: ${message}`);
  ctx.skip();
  throw new Error('unreachable');
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`tinyproxy exited with ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tinyproxy did not listen on 127.0.0.1:${port} within 10 s: ${log()}`);
}

export async function startForwardProxy(binary: string, credentials = { username: 'proxy-user', password: 'pr0xy-Pa55-w0rd' }): Promise<ForwardProxy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyproxy-'));
  const logFile = path.join(dir, 'tinyproxy.log');
  const readLog = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  let child: ChildProcess | undefined;
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const conf = [
      `Port ${port}`,
      'Listen 127.0.0.1',
      `Bind ${BIND_ADDRESS}`,
      'Timeout 120',
      `LogFile "${logFile}"`,
      'LogLevel Info',
      'MaxClients 200',
      'Allow 127.0.0.1',
      `BasicAuth ${credentials.username} ${credentials.password}`,
      'DisableViaHeader Yes',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'tinyproxy.conf'), conf);
    child = spawn(binary, ['-d', '-c', path.join(dir, 'tinyproxy.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    try {
      await waitForPort(port, child, () => `${stderr}${readLog()}`);
      const running = child;
      return {
        url: `http://127.0.0.1:${port}`,
        ...credentials,
        requests: () =>
          [...readLog().matchAll(/Request \(file descriptor \d+\): (\S+) (\S+) HTTP/g)].map(([line, method = '', target = '']) => ({
            method,
            target: method === 'CONNECT' ? target : new URL(target).host,
            url: method === 'CONNECT' ? '' : target,
            line,
          })),
        close: async () => {
          if (running.exitCode === null) {
            const exited = new Promise((r) => running.once('exit', r));
            running.kill('SIGTERM');
            await exited;
          }
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      child.kill('SIGKILL');
      // Another process may have taken the free port between the probe and tinyproxy's bind.
      if (attempt >= 3) throw err;
    }
  }
}
