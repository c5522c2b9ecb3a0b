// A task's time, taken two ways: until it reports its result (`##vso[task.complete]`, its last word to
// the agent) and until its process exits. They differ by the time the process needs to wind down, which
// is nothing unless a timer or socket holds it open; the benchmark reports the first and keeps the second
// in out/bench.json, so that a slow exit is seen but does not hide the task's own work.
//
// A process still alive REAP_AFTER_RESULT_MS after its result is killed (its process group, as the
// agent kills a task on timeout) and counted as reaped: the tasks' lease release leaves a 20 s timer
// behind (shared/core/lease.ts, release(): the sleep raced against the renewal is never cleared), which would
// otherwise add 20 s to every task the benchmark runs, set-up included. The task's work is over by then:
// it has released its lease and reported. Its result is what it reported (TaskRun.result).
import type { RunTaskOptions, TaskRun } from '../cluster/agent';
import type { Env, TaskName } from '../integration/env';

const RESULT_COMMAND = '##vso[task.complete';
export const REAP_AFTER_RESULT_MS = 2000;

/** Finds the result command in a stream of output chunks (a line may arrive in pieces). */
export class ResultWatcher {
  private tail = '';
  seen = false;

  /** True once the result command has been seen, this chunk or earlier. */
  push(chunk: string): boolean {
    if (this.seen) return true;
    const text = this.tail + chunk;
    const lines = text.split(/\r?\n/);
    this.tail = lines.pop() ?? '';
    this.seen = lines.some((l) => l.startsWith(RESULT_COMMAND));
    return this.seen;
  }
}

export interface TimedRun {
  run: TaskRun;
  /** Until the task reported its result; undefined if it never did. */
  resultMs?: number;
  /** Until its process exited or was reaped. */
  exitMs: number;
  /** Killed REAP_AFTER_RESULT_MS after its result, still running. */
  reaped: boolean;
}

/** The run, once the task reported success (a reaped run's outcome is Failed by the kill; its result counts). */
export function expectReportedSuccess(timed: TimedRun, what: string): TaskRun {
  const { run } = timed;
  if (run.result !== 'Succeeded' || (!timed.reaped && run.outcome !== 'Succeeded')) {
    throw new Error(`${what} ended ${run.outcome} (reported ${run.result ?? 'nothing'}): ${run.message}\n${run.log}`);
  }
  return run;
}

export async function timedTask(env: Env, name: TaskName, run: number, inputs: Record<string, string> = {}, extra: Partial<RunTaskOptions> = {}): Promise<TimedRun> {
  const watcher = new ResultWatcher();
  let resultMs: number | undefined;
  let reaped = false;
  let reaper: NodeJS.Timeout | undefined;
  const started = performance.now();
  const task = env.startTask(name, run, inputs, {
    ...extra,
    onSpawn(child) {
      extra.onSpawn?.(child);
      child.stdout?.on('data', (chunk: Buffer | string) => {
        if (resultMs !== undefined || !watcher.push(String(chunk))) return;
        resultMs = performance.now() - started;
        reaper = setTimeout(() => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          reaped = true;
          task.kill('SIGKILL');
        }, REAP_AFTER_RESULT_MS);
      });
    },
  });
  try {
    const finished = await task.done;
    return { run: finished, resultMs, exitMs: performance.now() - started, reaped };
  } finally {
    clearTimeout(reaper);
  }
}

/** Runs a task to its reported success (reaping a lingering process); throws with its log otherwise. */
export async function succeed(env: Env, name: TaskName, run: number, inputs: Record<string, string>, what: string, extra: Partial<RunTaskOptions> = {}): Promise<TimedRun> {
  const timed = await timedTask(env, name, run, inputs, extra);
  expectReportedSuccess(timed, what);
  return timed;
}
