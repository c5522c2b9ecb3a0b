import type { CommonInputs } from '../inputs/types';
import { OWNER_LABEL } from '../kubernetes/client';
import { homeNamespace } from '../core/model';
import { loc } from '../report/log';
import type { Lifecycle } from './context';

/** Makes sure a namespace exists (creating it when allowed); a missing one is a clear error otherwise. */
export async function ensureNamespace(lc: Lifecycle<CommonInputs>, namespace: string, create: boolean): Promise<void> {
  const ref = { apiVersion: 'v1', kind: 'Namespace', name: namespace };
  if (await lc.kube.get(ref)) return;
  if (!create) throw new Error(`Namespace ${namespace} does not exist; create it, or set createNamespace to true. Nothing was changed.`);
  await lc.kube.create({ ...ref, metadata: { name: namespace, labels: { [OWNER_LABEL]: 'bluegreen-task' } } });
  lc.log.info(`Created namespace ${namespace}.`);
}

/**
 * Without the app's home namespace a step after Deploy has nothing to act on: the sentence that says so
 * (ending with `consequence`), or undefined when the app is deployed.
 */
export async function notDeployed(lc: Lifecycle<CommonInputs>, consequence: string): Promise<string | undefined> {
  const namespace = homeNamespace(lc.inputs.app);
  if (await lc.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace })) return undefined;
  return loc('NotDeployed', lc.inputs.app.name, namespace, consequence);
}
