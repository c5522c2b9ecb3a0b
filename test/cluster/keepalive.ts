// The test clients of the data plane (the traffic probe, the data-plane tests' `get`) keep connections
// alive, like users' browsers. A server closes an idle keep-alive connection when its own timer says so
// (Node's http server after keepAliveTimeout + 1 s); a request the client sends on that connection in the
// same instant is reset (`read ECONNRESET`) although no routing failed. Real HTTP clients send such a
// request again on another connection: RFC 9112 §9.3.1 allows it for idempotent methods, browsers and
// Go's net/http Transport do it (only when the connection had been used before), and Node documents
// `request.reusedSocket` for exactly this retry. A failure on a new connection is never retried.
import * as http from 'node:http';

/** Connection errors a server's close of an idle connection gives the next request sent on it. */
const CLOSED_IDLE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);
/** More than one stale connection can sit in the pool; each retry takes the next one, or a new one. */
const MAX_RETRIES = 3;

export interface ReuseRetry {
  /** The errors of the attempts that were sent again (empty when the first attempt got its answer). */
  retried: string[];
}

/**
 * `http.request` + `end()`, sending the request again when it failed on a reused keep-alive connection
 * before any answer came. `onResponse`/`onError` get the final attempt's outcome, once.
 */
export function requestRetryingClosedIdle(
  url: string | URL,
  options: http.RequestOptions,
  onResponse: (res: http.IncomingMessage, retry: ReuseRetry) => void,
  onError: (err: Error, retry: ReuseRetry) => void,
): void {
  const retry: ReuseRetry = { retried: [] };
  const attempt = () => {
    let answered = false;
    const req = http.request(url, options, (res) => {
      answered = true;
      onResponse(res, retry);
    });
    if (options.timeout) req.on('timeout', () => req.destroy(new Error(`timeout after ${options.timeout} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (answered) return; // the response's own 'error' reports it
      const closedIdle = req.reusedSocket && CLOSED_IDLE.has(err.code ?? '') && IDEMPOTENT.has(req.method);
      if (closedIdle && retry.retried.length < MAX_RETRIES) {
        retry.retried.push(err.message);
        attempt();
      } else onError(err, retry);
    });
    req.end();
  };
  attempt();
}
