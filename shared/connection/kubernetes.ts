// Kubernetes service connections: a pasted kubeconfig, a service account (server URL + CA + token), or the
// connection an Environment's Kubernetes resource creates (authorizationType AzureSubscription).
//
// Parameter names and encodings follow Microsoft's kubernetes-common `kubectlutility` (createKubeconfig /
// getKubeconfigForCluster), which KubernetesManifest and HelmDeploy use:
// - authorizationType is endpoint DATA (not the auth scheme): Kubeconfig | ServiceAccount | AzureSubscription;
//   absent means Kubeconfig.
// - Kubeconfig: auth parameters `kubeconfig` (the YAML) and optional `clusterContext`.
// - ServiceAccount / AzureSubscription: server = endpoint URL; auth parameter `apitoken` is base64 of the
//   token (it is the Secret's `data.token`, the UI takes the secret YAML); `serviceAccountCertificate` is
//   base64 of the PEM CA (the Secret's `data["ca.crt"]`), used as certificate-authority-data as is.
// - An Environment's AKS resource stores scheme `Kubernetes` with data azureSubscriptionId, clusterId,
//   namespace; at run time the service supplies apitoken + serviceAccountCertificate of a service account
//   it created in that namespace, so the task treats it exactly like ServiceAccount.
import { ConnectionError, authParam, endpointData, endpointUrl, requireEndpoint, type EndpointAuth } from './endpoint';
import { kubeconfigSecrets, parseKubeconfig, serviceAccountKubeconfig, type Kubeconfig } from './kubeconfig';

export interface KubeconfigSource {
  config: Kubeconfig;
  /** One line for the log, e.g. "Kubernetes service connection (service account)". */
  describe: string;
  /** Where the kubeconfig came from, for error messages, e.g. "Kubernetes service connection 'prod'". */
  source: string;
  secrets: string[];
  /** The context the source itself asks for (the task's context input still wins). */
  defaultContext?: string;
  /** False for kubeconfigs we generate: the user's context input does not apply to them. */
  userContexts: boolean;
}

export function kubernetesServiceConnection(endpointId: string | undefined): KubeconfigSource {
  const { id, auth } = requireEndpoint(endpointId, 'Kubernetes');
  const type = (endpointData(id, 'authorizationType') ?? (auth.scheme.toLowerCase() === 'token' ? 'ServiceAccount' : 'Kubeconfig')).toLowerCase();
  switch (type) {
    case 'kubeconfig': {
      const source = `Kubernetes service connection '${id}'`;
      const config = parseKubeconfig(authParam(id, auth, 'kubeconfig'), source);
      return {
        config,
        describe: 'Kubernetes service connection (kubeconfig)',
        source,
        secrets: kubeconfigSecrets(config),
        defaultContext: authParam(id, auth, 'clusterContext'),
        userContexts: true,
      };
    }
    case 'serviceaccount':
      return serviceAccount(id, auth, 'Kubernetes service connection (service account)');
    case 'azuresubscription': {
      const cluster = endpointData(id, 'clusterId')?.match(/resourcegroups\/([^/]+)\/.*managedClusters\/([^/]+)/i);
      const namespace = endpointData(id, 'namespace');
      const where = cluster ? `AKS cluster ${cluster[1]}/${cluster[2]}` : 'AKS cluster';
      return serviceAccount(id, auth, `Environment Kubernetes resource: ${where}${namespace ? `, namespace ${namespace}` : ''} (service account)`, namespace);
    }
    default:
      throw new ConnectionError(
        `Kubernetes service connection '${id}' uses authorization type '${type}', which this task does not support; use Kubeconfig, Service Account or Azure Subscription.`,
      );
  }
}

function serviceAccount(id: string, auth: EndpointAuth, describe: string, namespace?: string): KubeconfigSource {
  const server = endpointUrl(id);
  if (!server) throw new ConnectionError(`Kubernetes service connection '${id}' has no server URL.`);
  const apiToken = authParam(id, auth, 'apitoken');
  if (!apiToken) throw new ConnectionError(`Kubernetes service connection '${id}' has no service account token.`);
  const token = serviceAccountToken(apiToken);
  const certificate = authParam(id, auth, 'serviceAccountCertificate');
  const skipTlsVerify = endpointData(id, 'acceptUntrustedCerts')?.toLowerCase() === 'true';
  const caData = certificate && !skipTlsVerify ? certificateAuthorityData(certificate, id) : undefined;
  return {
    config: serviceAccountKubeconfig({ server, token, caData, skipTlsVerify, namespace }),
    describe,
    source: `Kubernetes service connection '${id}'`,
    secrets: [apiToken, token],
    userContexts: false,
  };
}

/**
 * The service stores base64 of the token. A JWT (service account tokens are JWTs) contains dots, which
 * base64 never does, so a value with dots was pasted raw; anything else is decoded when it decodes to a
 * printable token, as Microsoft's tasks always decode it.
 */
export function serviceAccountToken(apiToken: string): string {
  const value = apiToken.trim();
  if (value.includes('.')) return value;
  if (/^[A-Za-z0-9+/=\r\n]+$/.test(value)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8').trim();
    if (decoded && /^[\x21-\x7e]+$/.test(decoded)) return decoded;
  }
  return value;
}

/** certificate-authority-data from either base64 of the PEM (what the service stores) or a pasted PEM. */
export function certificateAuthorityData(certificate: string, id: string): string {
  const value = certificate.trim();
  if (value.includes('-----BEGIN')) return Buffer.from(value + '\n').toString('base64');
  const decoded = Buffer.from(value.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (decoded.includes('-----BEGIN')) return value.replace(/\s+/g, '');
  throw new ConnectionError(
    `The CA certificate of Kubernetes service connection '${id}' is neither a PEM certificate nor base64 of one (the service account secret's ca.crt).`,
  );
}
