// The shell every task runs in: load loc strings, read inputs, connect, get helm, run one lifecycle
// step, report. Any error ends the task Failed with one readable sentence (the stack goes to debug).
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import type { CommonInputs } from './inputs';
import { connect, type Connection } from './connection';
import { Helm, installHelm } from './helm';

export interface TaskContext<I extends CommonInputs> {
  inputs: I;
  connection: Connection;
  helm: Helm;
  /** Agent temp directory for this task's files (kubeconfig, values files); removed at the end. */
  workDir: string;
}

/** An error whose message is already what the user should read: no "Error:" prefix, no stack. */
export class UserError extends Error {}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export async function runTask<I extends CommonInputs>(
  taskDir: string,
  readInputs: () => I,
  step: (ctx: TaskContext<I>) => Promise<void>,
): Promise<void> {
  const cleanups: Array<() => void> = [];
  try {
    tl.setResourcePath(path.join(taskDir, 'task.json'));
    const inputs = readInputs();
    const tempRoot = tl.getVariable('Agent.TempDirectory') || require('node:os').tmpdir();
    const workDir = require('node:fs').mkdtempSync(path.join(tempRoot, 'bluegreen-'));
    cleanups.push(() => require('node:fs').rmSync(workDir, { recursive: true, force: true }));
    const connection = await connect(inputs.connection, workDir);
    cleanups.push(() => connection.dispose());
    const helmPath = await installHelm(inputs.helm);
    const helm = new Helm(helmPath, { kubeconfig: connection.kubeconfigPath, workDir });
    await step({ inputs, connection, helm, workDir });
  } catch (err) {
    tl.debug(err instanceof Error && err.stack ? err.stack : String(err));
    tl.setResult(tl.TaskResult.Failed, messageOf(err));
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        cleanup();
      } catch (err) {
        tl.warning(`Cleanup failed: ${messageOf(err)}`);
      }
    }
  }
}
