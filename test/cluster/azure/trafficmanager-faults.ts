// Fault injection for the fake Traffic Manager ARM, in the API server's style (apiserver/faults.ts):
// every write (PUT, PATCH, DELETE) is counted; a fault is armed for "the Nth (matching) write from now"
// and fires once. `crashAfterWrite` models ARM (or the task's link to it) dying right after a write was
// persisted: the write is applied, its response is never sent, and every request hangs until `clear()`.
// The 'crash' event lets a harness SIGKILL the task at that moment.
import { type Match, WriteFaults } from '../write-faults';
import { armError, type AzureResponse } from './server';
import type { EndpointType } from './trafficmanager-model';

export interface TmWriteInfo {
  method: string;
  path: string;
  resource: 'profile' | 'endpoint';
  profile: string;
  endpointType?: EndpointType;
  endpoint?: string;
}

export type TmWriteMatch = Match<TmWriteInfo>;

export type TmFaultAction = { type: 'fail'; response: AzureResponse } | { type: 'delay'; ms: number } | { type: 'crash' };

export interface TmCrashEvent extends TmWriteInfo {
  /** 1-based count of the write among all writes since the fake started. */
  index: number;
}

/** `429` gets ARM's throttling shape (with Retry-After), anything else a generic service error. */
export function faultResponse(status: number): AzureResponse {
  if (status === 429) return { ...armError(429, 'TooManyRequests', 'injected fault: throttled'), headers: { 'retry-after': '1' } };
  return armError(status, status >= 500 ? 'InternalServerError' : 'BadRequest', `injected fault: status ${status}`);
}

export class TrafficManagerFaults extends WriteFaults<TmWriteInfo, TmFaultAction> {
  private readsArmed: Array<{ remaining: number; response: AzureResponse }> = [];
  private readonly parked: Array<(r: AzureResponse) => void> = [];

  /** The Nth (matching) write from now is answered with `status` (or this response) and changes nothing. */
  failWrite(n: number, status: number | AzureResponse = 500, match?: TmWriteMatch): this {
    return this.arm(n, { type: 'fail', response: typeof status === 'number' ? faultResponse(status) : status }, match);
  }

  /** The Nth (matching) write from now waits `ms` before it is processed. */
  delayWrite(n: number, ms: number, match?: TmWriteMatch): this {
    return this.arm(n, { type: 'delay', ms }, match);
  }

  /** The Nth (matching) write from now is applied, then the fake goes dark (see the file comment). */
  crashAfterWrite(n: number, match?: TmWriteMatch): this {
    return this.arm(n, { type: 'crash' }, match);
  }

  /** The Nth GET from now is answered with `status` (or this response). */
  failRead(n: number, status: number | AzureResponse = 500): this {
    if (!Number.isInteger(n) || n < 1) throw new Error(`fault needs n >= 1, got ${n}`);
    this.readsArmed.push({ remaining: n, response: typeof status === 'number' ? faultResponse(status) : status });
    return this;
  }

  /** Disarms every fault and ends a crash: requests are answered again (those parked get 503). */
  override clear(): void {
    super.clear();
    this.readsArmed = [];
    for (const answer of this.parked.splice(0)) answer(armError(503, 'ServiceUnavailable', 'the fake ARM was down'));
  }

  /** Called for every read; returns the response to answer instead, if a read fault fires now. */
  onRead(): AzureResponse | undefined {
    let fired: AzureResponse | undefined;
    for (const a of this.readsArmed) {
      a.remaining -= 1;
      if (a.remaining === 0 && !fired) fired = a.response;
    }
    this.readsArmed = this.readsArmed.filter((a) => a.remaining > 0);
    return fired;
  }

  /** A response that is only sent after `clear()`. */
  park(): Promise<AzureResponse> {
    return new Promise((resolve) => this.parked.push(resolve));
  }
}
