// One lifecycle per app at a time, fenced: a coordination.k8s.io Lease in the app's home namespace.
//
// Waiting side: a second task waits (with progress in the log) and takes over a lease only when it has
// itself seen the record unchanged for the lease duration, timed on its own monotonic clock. The
// holder's renewTime is written by another machine's clock, so it is shown but never compared with ours.
//
// Holding side: the holder renews with conditional writes (resourceVersion) every duration/3, and
// counts its lease as lost, for good, when the record names someone else or when its last successful
// renewal is older than duration - margin on its monotonic clock. `assertHeld()` is the fence the task
// calls before every write (Kube's write guard, the helm runner's guard). See docs/lease.md.
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import * as tl from 'azure-pipelines-task-lib/task';
import type { V1Lease } from '@kubernetes/client-node';
import { APP_LABEL, Kube, KubeError, type KubeObject, OWNER_LABEL, OWNER_VALUE } from '../kubernetes/client';

/** Milliseconds on this process's monotonic clock: it measures how long things took, never what time it is. */
export type MonotonicClock = () => number;

export interface LeaseOptions {
  namespace: string;
  app: string;
  /** Who we are, for the other side's error message: run, task, agent. */
  holder: string;
  waitSeconds: number;
  /** How long a lease lasts without renewal (default 60 s). */
  durationSeconds?: number;
  /** How often the holder renews (default duration/3). */
  renewSeconds?: number;
  /** The holder counts its lease lost this long before the duration runs out without a renewal (default duration/6). */
  marginSeconds?: number;
  /** How often a waiting task looks at the lease again (default 3 s, at most duration/3). */
  pollSeconds?: number;
  /** For tests: the monotonic clock (default performance.now). */
  clock?: MonotonicClock;
}

export interface HeldLease {
  /** True once this task may no longer hold the lease; it then must not write anything. */
  readonly lost: boolean;
  /** Throws a LeaseLostError unless the lease is still certainly ours: the fence before every write. */
  assertHeld(): void;
  /** Stops renewing and deletes the lease if it is still ours; rejects with a LeaseLostError if it was lost. */
  release(): Promise<void>;
}

/** The task lost its lease (or already gave it back): it must not change anything more. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

/** renewTime and acquireTime are MicroTime strings on the wire (`microTime()` writes them). */
type LeaseObject = KubeObject<V1Lease>;

interface Timing {
  durationMs: number;
  renewMs: number;
  marginMs: number;
  pollMs: number;
  clock: MonotonicClock;
}

type LeaseRef = { apiVersion: string; kind: string; namespace: string; name: string };

/** A MicroTime as the API server writes it; informative only (see the file comment). */
const microTime = () => new Date().toISOString().replace(/\.(\d{3})\d*Z$/, '.$1000Z');
const seconds = (ms: number) => Math.round(ms / 100) / 10;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** Holder identities carry the agent host and pid, so a holder that died on this very agent is recognised at once. */
export function holderIdentity(runId: string, task: string): string {
  return `${task} of run ${runId} on ${os.hostname()} (pid ${process.pid})`;
}

function deadOnThisHost(holder: string): boolean {
  const match = /on (.+) \(pid (\d+)\)$/.exec(holder);
  if (!match || match[1] !== os.hostname()) return false;
  try {
    process.kill(Number(match[2]), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function timingOf(options: LeaseOptions): Timing {
  const duration = options.durationSeconds ?? 60;
  const timing = {
    durationMs: duration * 1000,
    renewMs: (options.renewSeconds ?? duration / 3) * 1000,
    marginMs: (options.marginSeconds ?? duration / 6) * 1000,
    pollMs: Math.min(options.pollSeconds ?? 3, duration / 3) * 1000,
    clock: options.clock ?? (() => performance.now()),
  };
  if (!(timing.renewMs > 0 && timing.marginMs >= 0 && timing.renewMs < timing.durationMs - timing.marginMs)) {
    throw new Error(`Lease timing for app ${options.app} is inconsistent: renewals every ${timing.renewMs} ms must come well within ${duration} s minus the ${timing.marginMs} ms margin.`);
  }
  return timing;
}

const lostMessage = (app: string, why: string) =>
  `This task lost the lease of app ${app} (${why}); it stopped before changing anything else. ` +
  `Another lifecycle of app ${app} may be running: let it finish, look at the app's state, then run this task again.`;

export async function acquireLease(kube: Kube, options: LeaseOptions): Promise<HeldLease> {
  const timing = timingOf(options);
  const { clock } = timing;
  // The lease's own writes must pass while the task's writes are fenced: a second, unguarded client
  // on the same connection.
  const client = new Kube(kube.config);
  const name = `${options.app}-bluegreen`;
  const ref: LeaseRef = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: options.namespace, name };
  const spec = () => ({ holderIdentity: options.holder, leaseDurationSeconds: timing.durationMs / 1000, acquireTime: microTime(), renewTime: microTime() });
  const deadline = clock() + options.waitSeconds * 1000;
  // The record as we first saw it, and when (after the read that showed it): its age on our clock.
  let seen: { key: string; at: number } | undefined;
  let announced = '';
  let durationMs = timing.durationMs;
  for (;;) {
    const readAt = clock();
    const existing = await client.get<V1Lease>(ref);
    try {
      if (!existing) {
        const sentAt = clock();
        const record = await client.create<LeaseObject>({
          ...ref,
          metadata: { name, namespace: options.namespace, labels: { [OWNER_LABEL]: OWNER_VALUE, [APP_LABEL]: options.app } },
          spec: spec(),
        });
        return holdLease(client, ref, options, record, sentAt, timing);
      }
      const holder = existing.spec?.holderIdentity ?? '';
      const key = `${existing.metadata.resourceVersion}|${holder}|${existing.spec?.renewTime ?? ''}`;
      if (seen?.key !== key) seen = { key, at: clock() };
      durationMs = (existing.spec?.leaseDurationSeconds ?? timing.durationMs / 1000) * 1000;
      // Unchanged from (at most) when we first saw it to (at least) when we sent this read.
      const unchangedMs = readAt - seen.at;
      const dead = holder !== options.holder && deadOnThisHost(holder);
      if (!holder || holder === options.holder || dead || unchangedMs >= durationMs) {
        if (holder && holder !== options.holder) {
          tl.warning(
            `Taking over the lease of app ${options.app} from ${holder}, ` +
              (dead ? 'whose process is no longer running on this agent.' : `which has not renewed it for ${seconds(unchangedMs)} s as seen from this agent.`),
          );
        }
        const sentAt = clock();
        // Conditional on the resourceVersion we read: if anyone wrote in between, 409 and we look again.
        const record = await client.replace<LeaseObject>({ ...existing, spec: spec() });
        return holdLease(client, ref, options, record, sentAt, timing);
      }
      if (holder !== announced) {
        console.log(`Another lifecycle of app ${options.app} is running: ${holder}. Waiting up to ${options.waitSeconds} s for it to finish.`);
        announced = holder;
      }
    } catch (err) {
      // 409: someone else created or renewed it between our read and our write; look again.
      if (!(err instanceof KubeError && err.code === 409)) throw err;
    }
    const now = clock();
    if (now >= deadline) {
      const current = await client.get<V1Lease>(ref);
      const hint =
        options.waitSeconds * 1000 < durationMs
          ? `A task takes over a lease only after seeing it unrenewed for ${durationMs / 1000} s: let that lifecycle finish, or if it died, run again with a lock timeout over ${durationMs / 1000} s.`
          : 'Let it finish, then run this task again.';
      throw new Error(
        `Another lifecycle of app ${options.app} holds its lease (${current?.spec?.holderIdentity ?? announced}, renewed ${current?.spec?.renewTime ?? '?'} by its clock) ` +
          `and did not finish within ${options.waitSeconds} s; nothing was changed. ${hint}`,
      );
    }
    console.log(`  still waiting for the lease of app ${options.app} (${Math.ceil((deadline - now) / 1000)} s left)`);
    const untilExpiry = seen ? seen.at + durationMs - now : timing.pollMs;
    await sleep(Math.min(timing.pollMs, deadline - now, Math.max(untilExpiry, 50)));
  }
}

/** Renews the lease we hold until it is released or lost; see the file comment. */
function holdLease(client: Kube, ref: LeaseRef, options: LeaseOptions, acquired: LeaseObject, acquiredAt: number, timing: Timing): HeldLease {
  const { app, holder } = options;
  const { clock } = timing;
  let record = acquired;
  /** When we sent the last write that renewed the lease (monotonic). */
  let renewedAt = acquiredAt;
  let lastError = '';
  let lostWhy: string | undefined;
  let released = false;
  let timer: NodeJS.Timeout | undefined;
  let renewing: Promise<void> = Promise.resolve();

  const lose = (why: string) => {
    if (lostWhy) return;
    lostWhy = why;
    clearTimeout(timer);
    tl.warning(lostMessage(app, why));
  };
  // Others may count our lease expired once it is `duration` old on their clocks; we stop earlier.
  const checkAge = () => {
    const idle = clock() - renewedAt;
    if (!lostWhy && idle > timing.durationMs - timing.marginMs) {
      lose(`it was last renewed ${seconds(idle)} s ago${lastError ? `, and renewing failed: ${lastError}` : ''}; another run may hold it now`);
    }
  };
  const renew = async () => {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const sentAt = clock();
      try {
        record = await client.replace<LeaseObject>({ ...record, spec: { ...record.spec, renewTime: microTime() } });
        renewedAt = sentAt;
        lastError = '';
        return;
      } catch (err) {
        if (!(err instanceof KubeError && err.code === 409)) throw err;
      }
      // Someone wrote the lease since our last write: see who.
      const current = await client.get<V1Lease>(ref);
      if (!current) return lose('its Lease object was deleted');
      if (current.spec?.holderIdentity !== holder) return lose(`now held by ${current.spec?.holderIdentity || 'nobody'}`);
      // Our own earlier renewal landed though its answer was lost: renew from what the server has.
      record = current;
    }
  };
  const tick = () => {
    checkAge();
    if (lostWhy || released) return;
    renewing = renew()
      .catch((err) => {
        lastError = (err as Error).message;
        tl.warning(`Could not renew the lease ${ref.namespace}/${ref.name}: ${lastError}`);
      })
      .then(() => {
        checkAge();
        schedule();
      });
  };
  const schedule = () => {
    if (lostWhy || released) return;
    timer = setTimeout(tick, timing.renewMs);
    timer.unref();
  };
  schedule();

  return {
    get lost() {
      checkAge();
      return lostWhy !== undefined;
    },
    assertHeld() {
      if (released) throw new LeaseLostError(`This task already gave back the lease of app ${app}; it changes nothing after that.`);
      // The age check runs here too, not only in the timer: a process that was paused (or starved) for
      // longer than the lease may resume with a write before its timer fires.
      checkAge();
      if (lostWhy) throw new LeaseLostError(lostMessage(app, lostWhy));
    },
    async release() {
      if (released) return;
      released = true;
      clearTimeout(timer);
      // A renewal in flight is waited for, but not without bound: the delete below is conditional anyway.
      // The bound's timer is cleared at once, so it never keeps the task's process alive after it is done.
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([renewing, new Promise<void>((r) => (bound = setTimeout(r, timing.renewMs)))]);
      clearTimeout(bound);
      // Conditional on our last write: it deletes the lease only if nobody wrote it since, so even a lease
      // we count lost is freed early when nobody took it, and one somebody took is left to them.
      let deleted = false;
      for (let attempt = 0; attempt < 2 && !deleted && !lostWhy?.startsWith('now held by'); attempt += 1) {
        try {
          await client.delete(ref, record.metadata.resourceVersion);
          deleted = true;
        } catch (err) {
          if (!(err instanceof KubeError && err.code === 409)) throw err;
          const current = await client.get<V1Lease>(ref);
          if (!current) deleted = true;
          else if (current.spec?.holderIdentity !== holder) lose(`now held by ${current.spec?.holderIdentity || 'nobody'}`);
          else record = current;
        }
      }
      if (lostWhy) throw new LeaseLostError(`${lostMessage(app, lostWhy)} ${deleted ? 'Nobody had taken its lease yet: it was deleted.' : 'Its lease was left as it is.'}`);
      if (!deleted) throw new Error(`Could not give back the lease of app ${app}: it kept changing under this task. It expires on its own ${timing.durationMs / 1000} s after its last renewal.`);
    },
  };
}
