// Dying at a chosen write: the fault hook (Kubernetes API server or fake ARM) applies the Nth write from
// now, goes dark, and tells us; we SIGKILL the task with its helm child at that moment.
import type { EventEmitter } from 'node:events';
import type { TaskRun } from '../cluster/agent';
import type { Env, TaskName } from './env';

/** What the API server's and the fake ARM's fault hooks have in common. */
export interface CrashFaults extends EventEmitter {
  crashAfterWrite(n: number): unknown;
  clear(): void;
}

export interface CrashWrite {
  method: string;
  path: string;
  resource?: string;
  name?: string;
}

/** Runs a task that dies right after the `n`-th write from now that `faults` sees (if it makes that many). */
export async function crashAfter(env: Env, task: TaskName, run: number, inputs: Record<string, string>, n: number, faults: CrashFaults = env.cluster.faults): Promise<{ crash?: CrashWrite; run: TaskRun }> {
  let crash: CrashWrite | undefined;
  faults.crashAfterWrite(n);
  const started = env.startTask(task, run, inputs);
  const onCrash = (event: CrashWrite) => {
    crash = event;
    started.kill('SIGKILL');
  };
  faults.once('crash', onCrash);
  try {
    const result = await started.done;
    return { crash, run: result };
  } finally {
    faults.off('crash', onCrash);
    faults.clear();
  }
}
