// The inputs that say where a task works, read before anything else: the app's name and namespace (and
// layout), the connection to the cluster, the helm to use, and the identity of the pipeline run.
import * as fs from 'node:fs';
import type { App } from '../core/model';
import type { ConnectionInputs, HelmInputs } from './types';
import { CONNECTION_TYPES, INPUT_DEFAULTS, LAYOUTS, type Reader } from './source';
import { helmDriver } from '../helm/storage';
import * as v from './rules';

/** helm refuses release names over 53 characters; `<name>-green` / `green-<name>` add 6. */
export const MAX_APP_NAME = 53 - 'green-'.length;
/** Namespaces are DNS labels (63); the per-slot layout prefixes `green-`. */
export const MAX_NAMESPACE = { shared: 63, perSlot: 63 - 'green-'.length } as const;

export function readApp(r: Reader): App {
  const name = r.required('name', 'app name');
  if (!v.isDns1035Label(name, MAX_APP_NAME)) {
    throw new v.InputError(
      `Input 'name' is '${name}': an app name is at most ${MAX_APP_NAME} lower-case letters, digits and '-', starting with a letter and ending with a letter or digit, so that its releases and Services get valid Kubernetes names.`,
    );
  }
  const layout = r.choice('namespaceLayout', LAYOUTS, INPUT_DEFAULTS.namespaceLayout);
  const namespace = r.required('namespace', 'Kubernetes namespace');
  if (!v.isDnsLabel(namespace, MAX_NAMESPACE[layout])) {
    const room = layout === 'perSlot' ? " (leaving room for the per-slot prefix 'green-')" : '';
    throw new v.InputError(
      `Input 'namespace' is '${namespace}': a namespace is at most ${MAX_NAMESPACE[layout]} lower-case letters, digits and '-', starting and ending with a letter or digit${room}.`,
    );
  }
  return { name, namespace, layout };
}

export function readConnection(r: Reader): ConnectionInputs {
  const type = r.choice('connectionType', CONNECTION_TYPES, INPUT_DEFAULTS.connectionType);
  const when = ` with connection type '${type}'`;
  switch (type) {
    case 'Kubernetes Service Connection':
      return {
        type,
        endpoint: r.required('kubernetesServiceEndpoint', "Kubernetes service connection; YAML alias kubernetesServiceConnection, or target an Environment's Kubernetes resource", when),
        context: r.text('kubeContext'),
        useClusterAdmin: false,
      };
    case 'Azure Resource Manager': {
      const endpoint = r.required('azureSubscriptionEndpoint', 'Azure Resource Manager connection; YAML alias azureSubscription', when);
      const resourceGroup = r.required('azureResourceGroup', "the AKS cluster's resource group", when);
      if (!v.isResourceGroupName(resourceGroup)) {
        throw new v.InputError(`Input 'azureResourceGroup' is '${resourceGroup}', which is not a valid Azure resource group name.`);
      }
      const cluster = r.required('kubernetesCluster', 'AKS cluster name', when);
      if (!/^[A-Za-z0-9]([-_A-Za-z0-9]{0,61}[A-Za-z0-9])?$/.test(cluster)) {
        throw new v.InputError(`Input 'kubernetesCluster' is '${cluster}', which is not a valid AKS cluster name.`);
      }
      return { type, endpoint, resourceGroup, cluster, useClusterAdmin: r.bool('useClusterAdmin', INPUT_DEFAULTS.useClusterAdmin) };
    }
    case 'Kubeconfig File': {
      const file = r.filePath('kubeconfigFile');
      if (file === undefined) throw new v.InputError(`Input 'kubeconfigFile' (path of a kubeconfig file) is required${when}.`);
      if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
        throw new v.InputError(`Input 'kubeconfigFile' points to ${file}, which is not a file.`);
      }
      return { type, kubeconfigFile: file, context: r.text('kubeContext'), useClusterAdmin: false };
    }
  }
}

export function readHelm(r: Reader): HelmInputs {
  const raw = r.text('helmVersion') ?? INPUT_DEFAULTS.helmVersion;
  const exact = /^v?((\d+)\.\d+\.\d+(-[0-9A-Za-z.-]+)?)$/.exec(raw);
  const named = raw.toLowerCase();
  if (named !== 'latest' && named !== 'path' && !exact) {
    throw new v.InputError(
      `Input 'helmVersion' is '${raw}'; write an exact helm version such as 4.1.4 or 3.18.0, 'latest', or 'path' to use the helm on the agent's PATH.`,
    );
  }
  if (exact && Number(exact[2]) < 3) {
    throw new v.InputError(`Input 'helmVersion' is '${raw}', but helm 2 (with Tiller) is not supported; use helm 3.18 or later.`);
  }
  const downloadBase = r.text('helmDownloadBase') ?? INPUT_DEFAULTS.helmDownloadBase;
  if (!v.isHttpUrl(downloadBase)) {
    throw new v.InputError(`Input 'helmDownloadBase' is '${downloadBase}', which is not an http(s) URL such as https://get.helm.sh.`);
  }
  const checksum = r.text('helmChecksum');
  if (checksum !== undefined && !/^[0-9a-fA-F]{64}$/.test(checksum)) {
    throw new v.InputError(`Input 'helmChecksum' is '${checksum}', which is not a SHA-256 checksum (64 hexadecimal digits, as in a .sha256sum file).`);
  }
  // Over http the archive and its .sha256sum come from the same unauthenticated server: only a checksum
  // from the pipeline itself makes such a download trustworthy. Nothing is downloaded with 'path'.
  if (named !== 'path' && new URL(downloadBase).protocol === 'http:' && checksum === undefined) {
    throw new v.InputError(
      `Input 'helmDownloadBase' is '${downloadBase}': helm is downloaded only over https, as over http its checksum would come from the same unverified server; use an https mirror, give the archive's SHA-256 in 'helmChecksum', or set 'helmVersion' to path to use the helm on the agent.`,
    );
  }
  // helm's release storage is the task's environment, not an input; checked here so that a driver the
  // tasks cannot read fails every task before anything changes.
  try {
    helmDriver();
  } catch (err) {
    throw new v.InputError((err as Error).message);
  }
  return { version: exact?.[1] ?? named, downloadBase: downloadBase.replace(/\/+$/, ''), ...(checksum ? { checksum: checksum.toLowerCase() } : {}) };
}

/**
 * The identity of this pipeline run, recorded on the release Deploy stages so that later hooks and re-runs
 * recognise their own run. YAML: Build.BuildId, the same in every job of a run (each lifecycle hook is its
 * own job) and across re-runs of failed jobs; System.JobAttempt is deliberately left out because it
 * differs between the hooks of one run. Classic release pipelines: Release.ReleaseId (there Build.BuildId
 * is the artifact's build, shared by every release made from it); Release.AttemptNumber is left out for the
 * same reason as JobAttempt. Prefixed with System.TeamProjectId when present, as ids are only unique within
 * their scope. Outside a pipeline (manual runs) every run is its own.
 */
export function readRunId(r: Reader): string {
  const project = r.src.variable('System.TeamProjectId');
  const releaseId = r.src.variable('Release.ReleaseId');
  const buildId = r.src.variable('Build.BuildId');
  const run = releaseId ? `release-${releaseId}` : buildId ? `build-${buildId}` : `manual-${Date.now()}`;
  return project ? `${project}.${run}` : run;
}
