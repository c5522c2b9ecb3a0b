import type { CommonInputs } from '../inputs';
import { OWNER_LABEL } from '../kube';
import type { Lifecycle } from './context';

/** Makes sure a namespace exists (creating it when allowed); a missing one is a clear error otherwise. */
export async function ensureNamespace(lc: Lifecycle<CommonInputs>, namespace: string, create: boolean): Promise<void> {
  const ref = { apiVersion: 'v1', kind: 'Namespace', name: namespace };
  if (await lc.kube.get(ref)) return;
  if (!create) throw new Error(`Namespace ${namespace} does not exist; create it, or set createNamespace to true. Nothing was changed.`);
  await lc.kube.create({ ...ref, metadata: { name: namespace, labels: { [OWNER_LABEL]: 'bluegreen-task' } } });
  lc.log.info(`Created namespace ${namespace}.`);
}

/** True when the namespace exists: a lifecycle step other than Deploy has nothing to do without it. */
export async function namespaceExists(lc: Lifecycle<CommonInputs>, namespace: string): Promise<boolean> {
  return !!(await lc.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace }));
}
