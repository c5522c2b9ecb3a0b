// Fault injection for crash-safety tests. Every mutating request (POST, PUT, PATCH, DELETE) from any
// client is counted; a fault is armed for "the Nth write from now" (optionally counting only writes that
// match), and fires once. `crashAfterWrite` models the API server (or the client's link to it) dying
// right after a write was persisted: the write is applied, its response is never sent, and every
// request is dropped until `clear()`. The 'crash' event lets a harness SIGKILL the client at that moment.
import { type Match, WriteFaults } from '../write-faults';

export interface WriteInfo {
  method: string;
  path: string;
  /** plural, e.g. `services`; '' for non-resource paths */
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export type WriteMatch = Match<WriteInfo>;

export type FaultAction =
  | { type: 'fail'; status: number }
  | { type: 'delay'; ms: number }
  | { type: 'drop' }
  | { type: 'crash' };

export interface CrashEvent extends WriteInfo {
  /** 1-based count of the write among all writes since the server started. */
  index: number;
}

export class Faults extends WriteFaults<WriteInfo, FaultAction> {
  /** The Nth (matching) write from now is answered `status` (default 500) and changes nothing. */
  failWrite(n: number, status = 500, match?: WriteMatch): this {
    return this.arm(n, { type: 'fail', status }, match);
  }

  /** The Nth (matching) write from now waits `ms` before it is processed. */
  delayWrite(n: number, ms: number, match?: WriteMatch): this {
    return this.arm(n, { type: 'delay', ms }, match);
  }

  /** The Nth (matching) write from now has its connection destroyed before anything is applied. */
  dropConnection(n: number, match?: WriteMatch): this {
    return this.arm(n, { type: 'drop' }, match);
  }

  /** The Nth (matching) write from now is applied, then the server goes dark (see the file comment). */
  crashAfterWrite(n: number, match?: WriteMatch): this {
    return this.arm(n, { type: 'crash' }, match);
  }
}

export interface WriteRecord extends WriteInfo {
  seq: number;
  time: number;
  /** fieldManager, else the manager the server derives from the user agent */
  manager: string;
  userAgent: string;
  /** Request media type, e.g. application/apply-patch+yaml for server-side apply */
  contentType: string;
  dryRun: boolean;
  /** HTTP status answered (for a crash: the status the write would have had); undefined while in flight or when dropped */
  status?: number;
  /** The fault that fired on this write, if any */
  fault?: FaultAction['type'];
}

/** Every write request, in arrival order, for assertions like "one API write per promotion". */
export class WriteLog {
  readonly entries: WriteRecord[] = [];

  /** A mark to pass to `since`. */
  mark(): number {
    return this.entries.length;
  }

  since(mark: number): WriteRecord[] {
    return this.entries.slice(mark);
  }

  clear(): void {
    this.entries.length = 0;
  }
}
