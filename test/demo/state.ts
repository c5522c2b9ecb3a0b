// The blue/green state read in-process, exactly as a task reads it (shared/core/state readState plus the
// router's observe), from the same inputs the playground gives the tasks. The demo prints the final
// slot table with it; the benchmark times it.
import { KubeConfig } from '@kubernetes/client-node';
import type { InputSource } from '../../shared/inputs/read';
import { readOnFailureInputs } from '../../shared/inputs/read';
import { Kube } from '../../shared/kubernetes/client';
import type { Log } from '../../shared/report/log';
import { createRouter, type Router } from '../../shared/routers';
import { type AppState, readState } from '../../shared/core/state';

/** Task inputs from a plain map (the playground's `common`), as the agent would pass them. */
export function mapInputs(inputs: Record<string, string>, variables: Record<string, string> = {}): InputSource {
  const input = (name: string) => inputs[name]?.trim() || undefined;
  return { input, secretInput: input, variable: (name) => variables[name], setSecret: () => undefined };
}

const silentLog: Log = {
  info: () => undefined,
  warn: () => undefined,
  step: (_title, body) => body(),
  wait: async () => undefined,
};

export interface StateReader {
  kube: Kube;
  router: Router;
  /** One state read: the router's objects, then the releases and their readiness. */
  read(): Promise<AppState>;
}

/** A reader for the app the task inputs describe, talking to the cluster in `kubeconfigPath`. */
export function stateReader(kubeconfigPath: string, taskInputs: Record<string, string>): StateReader {
  const inputs = readOnFailureInputs(mapInputs({ ...taskInputs, kubeconfigFile: kubeconfigPath }, { 'Build.BuildId': '0' }));
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  const kube = new Kube(config);
  const router = createRouter({
    app: inputs.app,
    inputs: inputs.routing,
    kube,
    log: silentLog,
    settleSeconds: inputs.routing.settleSeconds,
  });
  return {
    kube,
    router,
    read: async () => readState(kube, inputs.app, await router.observe(), inputs.routing.podSelectorLabel),
  };
}
