// The shell every task runs in: load loc strings, read inputs, connect, get helm, run one lifecycle
// step, report. Any error ends the task Failed with one readable sentence (the stack goes to debug).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import { agentInputs, BEFORE_RECORD, type CommonInputs, type InputSource, readTarget, type SettingsSource } from './inputs/read';
import { connect, type Connection } from './connection';
import { Kube } from './kubernetes/client';
import { findSettings } from './core/record';
import { Helm, installHelm } from './helm/cli';
import { helmProxyEnv, useAgentProxy } from './connection/proxy';
import { trustForChecks } from './checks/http';
import { maskSecrets } from './inputs/secrets';

export interface TaskContext<I extends CommonInputs> {
  inputs: I;
  connection: Connection;
  helm: Helm;
  /** Agent temp directory for this task's files (kubeconfig, values files); removed at the end. */
  workDir: string;
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The tasks label releases (helm --labels, helm 3.13+); a helm found on PATH may be older. */
async function checkHelmFromPath(helm: Helm): Promise<void> {
  const version = await helm.version();
  // A part that cannot be read is NaN, which compares as not too old (the version is printed either way).
  const [major = NaN, minor = NaN] = version.split('.').map(Number);
  if (major < 3 || (major === 3 && minor < 13)) {
    throw new Error(`helm ${version} found on PATH is too old: the blue/green tasks need helm 3.13 or later. Set helmVersion to a version to install (e.g. 3.18.0).`);
  }
  console.log(`helm ${version}`);
}

export async function runTask<I extends CommonInputs>(
  taskDir: string,
  readInputs: (src: InputSource, found: SettingsSource) => I,
  step: (ctx: TaskContext<I>) => Promise<void>,
): Promise<void> {
  const cleanups: Array<() => void> = [];
  try {
    tl.setResourcePath(path.join(taskDir, 'task.json'));
    const src = agentInputs();
    const target = readTarget(src);
    // Bad input fails the task before it connects; the settings a later task leaves to the record wait for it.
    readInputs(src, BEFORE_RECORD);
    const proxy = useAgentProxy();
    const workDir = fs.mkdtempSync(path.join(tl.getVariable('Agent.TempDirectory') || os.tmpdir(), 'bluegreen-'));
    cleanups.push(() => fs.rmSync(workDir, { recursive: true, force: true }));
    const connection = await connect(target.connection, workDir);
    cleanups.push(() => connection.dispose());
    // The app's settings are in its record (Deploy wrote them): read before the other inputs, which they complete.
    const found = await findSettings(new Kube(connection.kubeConfig), target.app.name, target.app.namespace, target.app.layout);
    const inputs = readInputs(src, found);
    trustForChecks(inputs.checksCa?.pem);
    if (inputs.checksCa) console.log(`HTTP checks also trust the CA in ${inputs.checksCa.describe}.`);
    const helmPath = await installHelm(inputs.helm);
    const proxyEnv = helmProxyEnv(proxy, connection.server);
    if (proxyEnv.untranslated.length) {
      tl.warning(`helm is told the proxy bypass list as NO_PROXY, which takes host names only: ${proxyEnv.untranslated.join(', ')} cannot be, so helm sends chart and registry requests for them through the proxy.`);
    }
    const helm = new Helm(helmPath, { kubeconfig: connection.kubeconfigPath, workDir, env: proxyEnv.env });
    if (inputs.helm.version === 'path') await checkHelmFromPath(helm);
    await step({ inputs, connection, helm, workDir });
  } catch (err) {
    tl.debug(err instanceof Error && err.stack ? err.stack : String(err));
    tl.setResult(tl.TaskResult.Failed, maskSecrets(messageOf(err)));
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
