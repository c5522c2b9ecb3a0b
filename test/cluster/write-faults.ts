// What the API server's and the fake ARM's fault injection share: writes are counted; a fault is armed
// for "the Nth (matching) write from now" and fires once; a crash makes the server go dark until clear()
// and emits 'crash' so a harness can SIGKILL the client at that moment.
import { EventEmitter } from 'node:events';

/** Match on some fields of a write, or with a predicate. */
export type Match<W> = Partial<W> | ((write: W) => boolean);

interface Armed<W, A> {
  remaining: number;
  match?: Match<W>;
  action: A;
}

function matches<W>(match: Match<W> | undefined, write: W): boolean {
  if (!match) return true;
  if (typeof match === 'function') return match(write);
  return Object.entries(match).every(([k, v]) => v === undefined || write[k as keyof W] === v);
}

export class WriteFaults<W, A> extends EventEmitter {
  private armed: Array<Armed<W, A>> = [];
  private writes = 0;
  private isDark = false;

  /** Writes seen since the server started (faulted ones included). */
  get writeCount(): number {
    return this.writes;
  }

  /** True after a crash fault fired, until `clear()`: nothing is answered. */
  get dark(): boolean {
    return this.isDark;
  }

  protected arm(n: number, action: A, match?: Match<W>): this {
    if (!Number.isInteger(n) || n < 1) throw new Error(`fault needs n >= 1, got ${n}`);
    this.armed.push({ remaining: n, match, action });
    return this;
  }

  /** Called by the server for every write; returns the fault to act on, if one fires now. */
  onWrite(write: W): { action: A; index: number } | undefined {
    this.writes += 1;
    let fired: A | undefined;
    for (const a of this.armed) {
      if (!matches(a.match, write)) continue;
      a.remaining -= 1;
      if (a.remaining === 0 && fired === undefined) fired = a.action;
    }
    this.armed = this.armed.filter((a) => a.remaining > 0);
    return fired === undefined ? undefined : { action: fired, index: this.writes };
  }

  /** Called by the server once a crash write has been applied. */
  goDark(event: W & { index: number }): void {
    this.isDark = true;
    this.emit('crash', event);
  }

  /** Disarms every fault and ends a crash. */
  clear(): void {
    this.armed = [];
    this.isDark = false;
  }
}
