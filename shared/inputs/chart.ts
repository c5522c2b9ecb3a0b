// Deploy's chart inputs: where the chart comes from, the value files, and the secret values (registered
// as secrets the moment they are read). Also read by the later tasks for chart-owned routing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChartAuth, ChartInputs } from './types';
import { CHART_AUTH_KINDS, INPUT_DEFAULTS, type Reader } from './source';
import * as v from './rules';

export function readChart(r: Reader): ChartInputs {
  const source = readChartSource(r);
  const auth = readChartAuth(r, source);
  return auth ? { ...source, auth } : source;
}

function readChartSource(r: Reader): ChartInputs {
  const chart = r.required('chart', 'a local chart folder or .tgz, a chart name with chartRepository, or an oci:// reference');
  const version = r.text('chartVersion');
  if (version !== undefined && /\s/.test(version)) {
    throw new v.InputError(`Input 'chartVersion' is '${version}'; a chart version has no spaces (e.g. 1.4.0).`);
  }
  const repository = r.text('chartRepository');
  if (repository !== undefined) {
    if (!v.isHttpUrl(repository)) {
      throw new v.InputError(`Input 'chartRepository' is '${repository}', which is not an http(s) URL; put oci:// references in 'chart' itself.`);
    }
    if (chart.includes('/')) {
      throw new v.InputError(`With 'chartRepository' set, input 'chart' is the chart's name in that repository (e.g. calculator), not '${chart}'.`);
    }
    return { chart, repository, version };
  }
  if (chart.startsWith('oci://')) {
    if (!/^oci:\/\/[^\s/]+\/\S+$/.test(chart)) {
      throw new v.InputError(`Input 'chart' is '${chart}', which is not an OCI reference such as oci://myacr.azurecr.io/helm/calculator.`);
    }
    return { chart, version };
  }
  if (/^https?:\/\//.test(chart)) return { chart, version };
  const local = path.resolve(r.workingDirectory(), chart);
  if (!fs.existsSync(local)) {
    throw new v.InputError(
      `Chart '${chart}' was not found at ${local}; give a local chart folder or .tgz, a chart name with 'chartRepository', or an oci:// reference.`,
    );
  }
  return { chart: local, version };
}

/**
 * The credentials of the chart's registry or repository. They only make sense for a chart helm fetches, and
 * each kind names where its secret comes from; the password is registered as a secret as it is read.
 */
function readChartAuth(r: Reader, source: ChartInputs): ChartAuth | undefined {
  const kind = r.choice('chartRegistryAuth', CHART_AUTH_KINDS, INPUT_DEFAULTS.chartRegistryAuth);
  if (kind === 'none') return undefined;
  const oci = source.chart.startsWith('oci://') && !source.repository;
  if (!oci && !source.repository) {
    throw new v.InputError(
      `Input 'chartRegistryAuth' is '${kind}', but chart '${r.text('chart')}' is not fetched from a registry or repository; give an oci:// reference or a chart repository URL, or set 'chartRegistryAuth' to none.`,
    );
  }
  const when = ` with 'chartRegistryAuth' ${kind}`;
  switch (kind) {
    case 'dockerRegistry':
    case 'azureContainerRegistry': {
      if (!oci) {
        throw new v.InputError(
          `Input 'chartRegistryAuth' is '${kind}', which signs in to an OCI registry, but the chart comes from the classic repository ${source.repository}; use an oci:// chart reference, or 'basic' for a repository.`,
        );
      }
      if (kind === 'dockerRegistry') {
        return { kind, endpoint: r.required('dockerRegistryConnection', 'Docker registry service connection of the chart registry', when) };
      }
      // The cluster's Azure Resource Manager connection serves when none is given for the registry.
      const clusterArm = r.text('connectionType')?.toLowerCase() === 'azure resource manager' ? r.text('azureSubscriptionEndpoint') : undefined;
      const endpoint = r.text('chartAzureSubscription') ?? clusterArm;
      if (endpoint === undefined) {
        throw new v.InputError(`Input 'chartAzureSubscription' (Azure Resource Manager connection allowed to pull from the registry) is required${when}.`);
      }
      return { kind, endpoint };
    }
    case 'basic': {
      const username = r.required('chartUsername', 'user name for the chart registry or repository', when);
      const password = r.src.secretInput('chartPassword');
      if (password === undefined) throw new v.InputError(`Input 'chartPassword' (password or token for the chart registry or repository) is required${when}.`);
      r.src.setSecret(password);
      return { kind, username, password };
    }
  }
}

export function readValueFiles(r: Reader): string[] {
  return v.lines(r.text('valueFiles')).map((file) => {
    if (/^https?:\/\//.test(file)) return file;
    const local = path.resolve(r.workingDirectory(), file);
    if (!fs.statSync(local, { throwIfNoEntry: false })?.isFile()) {
      throw new v.InputError(`Input 'valueFiles': the values file '${file}' was not found at ${local}.`);
    }
    return local;
  });
}

/**
 * Each value is registered as a secret as soon as it is read, before anything could log it. The agent's
 * source registers it through inputs/secrets.ts registerSecret, which also masks it in the summary, the output
 * variables and the failure message.
 */
export function readSecretValues(r: Reader): Array<[string, string]> {
  const pairs = v.parseKeyValueLines('secretValues', r.src.secretInput('secretValues'));
  for (const [, value] of pairs) if (value !== '') r.src.setSecret(value);
  return pairs;
}
