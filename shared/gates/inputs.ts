// The metric-gate inputs of RouteTraffic and OnSuccess: the gates, the Prometheus-compatible server and
// its credentials (registered as secrets as they are read), and how long and how strictly to watch.
import type { ConnectionInputs } from '../inputs/types';
import type { Reader } from '../inputs/source';
import * as v from '../inputs/rules';
import { type Gate, parseGates } from './syntax';
import type { WatchSettings } from './watch';

export const METRICS_AUTHS = ['none', 'bearer', 'basic', 'azureMonitor'] as const;
export type MetricsAuth = (typeof METRICS_AUTHS)[number];
export const NO_DATA = ['fail', 'pass'] as const;

/** Entra ID scope of Azure Monitor managed Prometheus query endpoints (public cloud). */
export const AZURE_MONITOR_SCOPE = 'https://prometheus.monitor.azure.com/.default';

export const GATE_DEFAULTS = {
  metricsAuth: 'none',
  gateInterval: '30',
  gateDuration: '300',
  gateFailureLimit: '1',
  gateNoData: 'fail',
} as const;

export interface MetricsServerInputs {
  url: string;
  auth: MetricsAuth;
  token?: string;
  username?: string;
  password?: string;
  /** azureMonitor: the Azure Resource Manager connection whose identity gets the Entra token. */
  azureConnection?: string;
}

export interface GateInputs {
  gates: Gate[];
  server: MetricsServerInputs;
  settings: WatchSettings;
}

/** Undefined when no gate is configured (the other metric inputs are then not read). */
export function readGateInputs(r: Reader, connection: ConnectionInputs): GateInputs | undefined {
  const text = r.text('gates');
  if (text === undefined) return undefined;
  let gates: Gate[];
  try {
    gates = parseGates(text);
  } catch (err) {
    throw new v.InputError(`Input 'gates': ${(err as Error).message}`);
  }
  if (!gates.length) return undefined;
  const url = r.text('metricsServer');
  if (url === undefined) throw new v.InputError("Input 'metricsServer' (the base URL of the Prometheus HTTP API, e.g. http://prometheus.monitoring:9090) is required with metric gates.");
  if (!v.isHttpUrl(url)) throw new v.InputError(`Input 'metricsServer' is '${url}', which is not an http(s) base URL such as http://prometheus.monitoring:9090.`);
  const settings: WatchSettings = {
    intervalSeconds: r.integer('gateInterval', 1, 3600, GATE_DEFAULTS.gateInterval),
    durationSeconds: r.integer('gateDuration', 1, 86400, GATE_DEFAULTS.gateDuration),
    failureLimit: r.integer('gateFailureLimit', 1, 1000, GATE_DEFAULTS.gateFailureLimit),
    noData: r.choice('gateNoData', NO_DATA, GATE_DEFAULTS.gateNoData),
  };
  if (settings.intervalSeconds > settings.durationSeconds) {
    throw new v.InputError(`Input 'gateInterval' (${settings.intervalSeconds} s) is longer than 'gateDuration' (${settings.durationSeconds} s); the gates would never be evaluated.`);
  }
  return { gates, server: readServer(r, url.replace(/\/+$/, ''), connection), settings };
}

function readServer(r: Reader, url: string, connection: ConnectionInputs): MetricsServerInputs {
  const auth = r.choice('metricsAuth', METRICS_AUTHS, GATE_DEFAULTS.metricsAuth);
  // Read without echo, and registered before anything could log them.
  const secret = (name: string, what: string): string => {
    const value = r.src.secretInput(name);
    if (value === undefined) throw new v.InputError(`Input '${name}' (${what}) is required with metricsAuth '${auth}'.`);
    r.src.setSecret(value);
    return value;
  };
  switch (auth) {
    case 'none':
      return { url, auth };
    case 'bearer':
      return { url, auth, token: secret('metricsToken', 'the bearer token; write it as a secret variable') };
    case 'basic': {
      const username = r.text('metricsUsername');
      if (username === undefined) throw new v.InputError("Input 'metricsUsername' is required with metricsAuth 'basic'.");
      if (username.includes(':')) throw new v.InputError("Input 'metricsUsername' contains ':', which HTTP basic authentication cannot carry.");
      return { url, auth, username, password: secret('metricsPassword', 'the password; write it as a secret variable') };
    }
    case 'azureMonitor': {
      const azureConnection = r.text('metricsAzureConnection') ?? (connection.type === 'Azure Resource Manager' ? connection.endpoint : undefined);
      if (azureConnection === undefined) {
        throw new v.InputError(
          "Input 'metricsAzureConnection' (an Azure Resource Manager connection whose identity has the Monitoring Data Reader role on the Azure Monitor workspace) is required with metricsAuth 'azureMonitor' when the cluster connection is not Azure Resource Manager.",
        );
      }
      if (new URL(url).protocol !== 'https:') throw new v.InputError(`Input 'metricsServer' is '${url}': an Entra token is sent over https only (Azure Monitor's query endpoint is https://<workspace>.<region>.prometheus.monitor.azure.com).`);
      return { url, auth, azureConnection };
    }
  }
}
