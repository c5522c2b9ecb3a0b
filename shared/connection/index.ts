// The task's way into the cluster: a kubeconfig written 0600 into the task's work directory from whichever
// connection the user chose, validated, checked to answer, and deleted at the end.
//
// Environment Kubernetes resources: when a deployment job targets `environment: <env>.<resource>`, the server
// fills the task's `connectedService:kubernetes` input with the service connection the resource created
// (docs: "value for kubernetesServiceConnection input automatically passed down to task by
// environment.resource input"). The task sees an ordinary Kubernetes service connection (authorizationType
// ServiceAccount for generic clusters, AzureSubscription for AKS) and handles it in ./kubernetes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { ConnectionInputs } from '../inputs/types';
import { ConnectionError, registerSecret } from './endpoint';
import { currentCluster, kubeconfigSecrets, makePathsAbsolute, parseKubeconfig, useContext, writeKubeconfig } from './kubeconfig';
import { kubernetesServiceConnection, type KubeconfigSource } from './kubernetes';
import { DEFAULT_REACHABILITY_TIMEOUT_MS, ensureReachable } from './reachability';
import { activeProxy, applyToKubeconfig } from './proxy';

export { ConnectionError } from './endpoint';
export { AKS_SERVER_APP_ID } from './kubeconfig';
export { ensureReachable } from './reachability';

export interface Connection {
  /** The kubeconfig file (mode 0600) helm and client-node use. */
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  /** API server URL of the current context. */
  server: string;
  context: string;
  /** One line for the log, e.g. "AKS cluster rg/aks1 (user credentials, service principal 1234... (client secret) in tenant ...)". */
  describe: string;
  /** gitVersion from GET /version ('' when the check was skipped). */
  serverVersion: string;
  /** Deletes the kubeconfig file. */
  dispose(): void;
}

export interface ConnectOptions {
  /** Skip the GET /version check (default: check). */
  skipReachabilityCheck?: boolean;
  reachabilityTimeoutMs?: number;
}

export async function connect(inputs: ConnectionInputs, workDir: string, options: ConnectOptions = {}): Promise<Connection> {
  const source = await kubeconfigSource(inputs);
  source.secrets.forEach(registerSecret);
  const requested = source.userContexts ? inputs.context || source.defaultContext : undefined;
  const context = useContext(source.config, requested, source.source);
  const proxied = applyToKubeconfig(activeProxy(), source.config);
  const kubeconfigPath = writeKubeconfig(source.config, workDir);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const { server } = currentCluster(source.config);
  const connection: Connection = {
    kubeconfigPath,
    kubeConfig,
    server,
    context,
    describe: source.describe,
    serverVersion: '',
    dispose: () => fs.rmSync(kubeconfigPath, { force: true }),
  };
  if (!options.skipReachabilityCheck) {
    try {
      connection.serverVersion = await ensureReachable(kubeConfig, source.describe, options.reachabilityTimeoutMs ?? DEFAULT_REACHABILITY_TIMEOUT_MS);
    } catch (err) {
      connection.dispose();
      throw err;
    }
  }
  const via = { set: ", through the agent's proxy", own: ", through the kubeconfig's own proxy-url", bypassed: " (bypasses the agent's proxy)", none: '' }[proxied];
  console.log(`Cluster: ${source.describe}; API server ${server}${via}${connection.serverVersion ? ` (Kubernetes ${connection.serverVersion})` : ''}, context ${context}.`);
  return connection;
}

function kubeconfigSource(inputs: ConnectionInputs): Promise<KubeconfigSource> | KubeconfigSource {
  switch (inputs.type) {
    case 'Kubernetes Service Connection':
      return kubernetesServiceConnection(inputs.endpoint);
    case 'Azure Resource Manager':
      // The Azure SDK loads only for the connections that need it (it costs ~150 ms of every task start).
      return (require('./aks') as typeof import('./aks')).aksKubeconfig({ endpoint: inputs.endpoint, resourceGroup: inputs.resourceGroup, cluster: inputs.cluster, admin: inputs.useClusterAdmin });
    case 'Kubeconfig File':
      return kubeconfigFile(inputs.kubeconfigFile);
    default:
      throw new ConnectionError(`Unknown connection type '${String((inputs as { type: unknown }).type)}'.`);
  }
}

function kubeconfigFile(file: string | undefined): KubeconfigSource {
  if (!file) throw new ConnectionError('The kubeconfig file connection needs the path of a kubeconfig file.');
  const full = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ConnectionError(`Cannot read kubeconfig file ${full}: ${code === 'ENOENT' ? 'no such file' : code ?? String(err)}.`);
  }
  const config = parseKubeconfig(text, `file ${full}`);
  makePathsAbsolute(config, path.dirname(full));
  return { config, describe: `kubeconfig file ${full}`, source: `file ${full}`, secrets: kubeconfigSecrets(config), userContexts: true };
}
