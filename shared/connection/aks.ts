// AKS credentials through ARM (listClusterUserCredential / listClusterAdminCredential) with the identity of an
// Azure Resource Manager service connection. For Entra ID clusters the user kubeconfig logs in through the
// kubelogin exec plugin (or the legacy `azure` auth-provider); we replace that user with a bearer token for the
// AKS server application obtained from the same credential, so the agent needs no kubelogin binary.
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { AzureSignInError, azureCredential } from '../azure/credentials';
import { ConnectionError } from './endpoint';
import { azureLoginServerId, kubeconfigSecrets, parseKubeconfig, useBearerToken } from './kubeconfig';
import type { KubeconfigSource } from './kubernetes';

export interface AksTarget {
  endpoint: string | undefined;
  resourceGroup: string | undefined;
  cluster: string | undefined;
  admin: boolean;
}

export async function aksKubeconfig(target: AksTarget): Promise<KubeconfigSource> {
  const { resourceGroup, cluster, admin } = target;
  if (!resourceGroup || !cluster) {
    throw new ConnectionError('An Azure Resource Manager connection needs the AKS resource group and cluster name.');
  }
  const azure = azureCredential(target.endpoint);
  const client = new ContainerServiceClient(azure.credential, azure.subscriptionId, {
    endpoint: azure.armUrl,
    credentials: { scopes: [azure.armScope] },
    ...(azure.armProxy ? { proxyOptions: azure.armProxy } : {}),
  });
  const action = admin ? 'listClusterAdminCredential' : 'listClusterUserCredential';
  const name = `AKS cluster ${resourceGroup}/${cluster}`;
  let results;
  try {
    results = admin
      ? await client.managedClusters.listClusterAdminCredentials(resourceGroup, cluster)
      : await client.managedClusters.listClusterUserCredentials(resourceGroup, cluster);
  } catch (err) {
    throw explainArmError(err, { action, name, who: azure.describe, subscriptionId: azure.subscriptionId, admin });
  }
  const value = results.kubeconfigs?.[0]?.value;
  if (!value || value.length === 0) throw new ConnectionError(`Azure returned no kubeconfig for ${name} (${action}).`);
  const config = parseKubeconfig(Buffer.from(value).toString('utf8'), name);

  let entra = false;
  for (const entry of config.users) {
    const serverId = azureLoginServerId(entry.user);
    if (!serverId) continue;
    entra = true;
    const token = await azure.credential.getToken(`${serverId}/.default`);
    if (!token) throw new ConnectionError(`Azure returned no token for the AKS server application ${serverId}.`);
    useBearerToken(config, entry.name, token.token);
  }
  return {
    config,
    describe: `${name} (${admin ? 'admin' : 'user'} credentials${entra ? ', Entra ID token' : ''}, ${azure.describe})`,
    source: name,
    secrets: kubeconfigSecrets(config),
    userContexts: true,
  };
}

interface ArmCall {
  action: string;
  name: string;
  who: string;
  subscriptionId: string;
  admin: boolean;
}

/** One sentence per ARM failure, with ARM's own message and what to do about it. */
export function explainArmError(err: unknown, call: ArmCall): Error {
  if (err instanceof AzureSignInError || err instanceof ConnectionError) return err;
  const status = (err as { statusCode?: number }).statusCode;
  const code = (err as { code?: string }).code;
  const message = (err instanceof Error ? err.message : String(err)).split(/\r?\n/)[0];
  const prefix = `Azure refused ${call.action} on ${call.name} for ${call.who}`;
  if (status === 403) {
    const role = call.admin ? 'Azure Kubernetes Service Cluster Admin Role' : 'Azure Kubernetes Service Cluster User Role';
    return new ConnectionError(`${prefix}: ${message} Grant the identity the '${role}' on the cluster.`);
  }
  if (status === 404) {
    return new ConnectionError(
      `${call.name} was not found in subscription ${call.subscriptionId} (${code ?? 'NotFound'}): ${message} Check the resource group and cluster names and the service connection's subscription.`,
    );
  }
  if (status === 401) return new ConnectionError(`${prefix} (401 ${code ?? 'Unauthorized'}): ${message}`);
  if (status) return new ConnectionError(`${prefix} (${status} ${code ?? ''}): ${message}`);
  return new ConnectionError(`Could not reach Azure Resource Manager for ${call.name}: ${message}`);
}
