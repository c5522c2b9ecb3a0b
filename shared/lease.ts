// One lifecycle per app at a time: a coordination.k8s.io Lease in the app's home namespace. A second
// task waits (with progress in the log), takes over a lease whose holder stopped renewing, and fails
// naming the holder when the wait runs out.
import * as os from 'node:os';
import * as tl from 'azure-pipelines-task-lib/task';
import { APP_LABEL, type Kube, KubeError, type KubeObject, OWNER_LABEL, OWNER_VALUE } from './kube';

export interface LeaseOptions {
  namespace: string;
  app: string;
  /** Who we are, for the other side's error message: run, task, agent. */
  holder: string;
  waitSeconds: number;
  /** A holder that has not renewed for this long is considered dead. */
  durationSeconds?: number;
  pollSeconds?: number;
}

export interface HeldLease {
  release(): Promise<void>;
}

interface LeaseObject extends KubeObject {
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string };
}

const now = () => new Date().toISOString().replace(/\.(\d{3})\d*Z$/, '.$1000Z');

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

function expired(lease: LeaseObject, durationSeconds: number): boolean {
  const renewed = Date.parse(lease.spec.renewTime ?? lease.spec.acquireTime ?? '');
  const duration = lease.spec.leaseDurationSeconds ?? durationSeconds;
  return !lease.spec.holderIdentity || Number.isNaN(renewed) || Date.now() - renewed > duration * 1000;
}

export async function acquireLease(kube: Kube, options: LeaseOptions): Promise<HeldLease> {
  const name = `${options.app}-bluegreen`;
  const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: options.namespace, name };
  const durationSeconds = options.durationSeconds ?? 60;
  const pollMs = (options.pollSeconds ?? 3) * 1000;
  const deadline = Date.now() + options.waitSeconds * 1000;
  const spec = () => ({ holderIdentity: options.holder, leaseDurationSeconds: durationSeconds, acquireTime: now(), renewTime: now() });
  let lastHolder = '';
  for (;;) {
    const existing = await kube.get<LeaseObject>(ref);
    try {
      if (!existing) {
        await kube.create<LeaseObject>({
          ...ref,
          metadata: { name, namespace: options.namespace, labels: { [OWNER_LABEL]: OWNER_VALUE, [APP_LABEL]: options.app } },
          spec: spec(),
        });
        break;
      }
      const holder = existing.spec.holderIdentity ?? '';
      const dead = deadOnThisHost(holder);
      if (holder === options.holder || dead || expired(existing, durationSeconds)) {
        if (holder && holder !== options.holder) {
          tl.warning(`Taking over the lease of app ${options.app} from ${holder}, ${dead ? 'whose process is no longer running on this agent' : 'which stopped renewing it'}.`);
        }
        await kube.replace<LeaseObject>({ ...existing, spec: spec() });
        break;
      }
      if (holder !== lastHolder) {
        console.log(`Another lifecycle of app ${options.app} is running: ${holder}. Waiting up to ${options.waitSeconds} s for it to finish.`);
        lastHolder = holder;
      }
    } catch (err) {
      // 409: someone else created or renewed it between our read and our write; look again.
      if (!(err instanceof KubeError && err.code === 409)) throw err;
    }
    if (Date.now() >= deadline) {
      const current = await kube.get<LeaseObject>(ref);
      throw new Error(
        `Another lifecycle of app ${options.app} holds its lease (${current?.spec.holderIdentity ?? lastHolder}, renewed ${current?.spec.renewTime ?? '?'}) ` +
          `and did not finish within ${options.waitSeconds} s. Let it finish, or if it died, run again after ${durationSeconds} s when its lease expires.`,
      );
    }
    const remaining = Math.ceil((deadline - Date.now()) / 1000);
    console.log(`  still waiting for the lease of app ${options.app} (${remaining} s left)`);
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
  return holdLease(kube, ref, options.holder, durationSeconds);
}

function holdLease(kube: Kube, ref: { apiVersion: string; kind: string; namespace: string; name: string }, holder: string, durationSeconds: number): HeldLease {
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = (async () => {
      const lease = await kube.get<LeaseObject>(ref);
      if (lease?.spec.holderIdentity !== holder) return;
      await kube.replace<LeaseObject>({ ...lease, spec: { ...lease.spec, renewTime: now() } });
    })().catch((err) => tl.warning(`Could not renew the lease ${ref.namespace}/${ref.name}: ${(err as Error).message}`));
  }, (durationSeconds * 1000) / 3);
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await renewing;
      const lease = await kube.get<LeaseObject>(ref);
      if (lease?.spec.holderIdentity === holder) await kube.delete(ref);
    },
  };
}
