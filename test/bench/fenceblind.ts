// A front for the data plane that hides the settle fence from a task, so that the task settles the way
// it did before the fence: with the fixed wait of its settleSeconds input.
//
// The fence cannot be turned off by an input. It falls back to the fixed wait when it cannot observe the
// data plane: when the address gives no HTTP answer for 10 s, or when production already answers the
// fence path with the answer that would show the change applied. Unreachable would add those 10 s to
// every settle (and fail the task's checks, which use the same address), so this front takes the second
// way: it answers every fence path itself with the controller's no-endpoint status, at once, and
// forwards everything else (the checks) to the data plane unchanged. The router then writes no fence
// and waits the fixed settleSeconds, with its warning.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FENCE_PATH } from '../../shared/routers/fence';

export interface FenceBlind {
  /** http://127.0.0.1:PORT: give it to the task as its checkAddress. */
  readonly url: string;
  /** Fence requests answered so far. */
  readonly fenceAnswers: number;
  close(): Promise<void>;
}

const FORWARD_TIMEOUT_MS = 10_000;

export async function startFenceBlind(dataplaneUrl: string, noEndpointStatus: number): Promise<FenceBlind> {
  const upstream = new URL(dataplaneUrl);
  let fenceAnswers = 0;
  const server = http.createServer((req, res) => {
    if ((req.url ?? '').includes(FENCE_PATH)) {
      fenceAnswers += 1;
      res.writeHead(noEndpointStatus, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'fence-blind', message: 'the benchmark hides the fence from the task' }));
      return;
    }
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, timeout: FORWARD_TIMEOUT_MS }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('timeout', () => forward.destroy(new Error(`the data plane did not answer within ${FORWARD_TIMEOUT_MS} ms`)));
    forward.on('error', (err) => {
      if (res.headersSent) res.destroy();
      else res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'fence-blind-forward', message: err.message }));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get fenceAnswers() {
      return fenceAnswers;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
