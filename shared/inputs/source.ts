// Where task inputs come from (the agent via task-lib, or a map in unit tests), the defaults task.json
// declares, and the parse-or-explain rules every reader uses. No task-lib here: the task.json generator
// and unit tests import this file, and task-lib reads the environment and writes a key file when loaded. Input names are the task.json names; the
// server maps YAML aliases (e.g. kubernetesServiceConnection) onto them before the agent sees them.
import * as path from 'node:path';
import type { Layout, RouterKind, RoutingOwnership } from '../core/model';
import type { ChartAuthKind, ConnectionType, RetirePolicy, TrafficManagerEndpointType } from './types';
import type { AfterRollback } from '../core/rollback-plan';
import { InputError, isGoDuration, parseInteger } from './rules';

export interface InputSource {
  /** The input's value, trimmed; undefined when empty. */
  input(name: string): string | undefined;
  /** Like input(), for values that may hold secrets: must not echo them to the log. */
  secretInput(name: string): string | undefined;
  variable(name: string): string | undefined;
  /** Register a value so the agent masks it in every later log line. */
  setSecret(value: string): void;
}

/** Defaults shared by task.json (scripts/taskjson.ts writes them from here) and the readers (empty = default). */
export const INPUT_DEFAULTS = {
  connectionType: 'Kubernetes Service Connection',
  useClusterAdmin: 'false',
  namespaceLayout: 'shared',
  router: 'nginx',
  routingOwnership: 'managed',
  path: '/',
  stagingHeader: 'canary',
  stagingHeaderValue: 'always',
  podSelectorLabel: 'app.kubernetes.io/instance',
  trafficManagerEndpointType: 'ExternalEndpoints',
  helmVersion: '4.1.4',
  helmDownloadBase: 'https://get.helm.sh',
  lockTimeout: '600',
  deployTimeout: '10m0s',
  routeTrafficTimeout: '5m0s',
  createNamespace: 'true',
  checkTimeout: '120',
  checkInterval: '5',
  helmTest: 'false',
  trafficPercent: '0',
  retirePolicy: 'delete',
  drainSeconds: '30',
  keepFailedSlot: 'false',
  changeSettings: 'false',
  afterRollback: 'stage',
  chartRegistryAuth: 'none',
} as const;

export const CONNECTION_TYPES: readonly ConnectionType[] = [
  'Kubernetes Service Connection',
  'Azure Resource Manager',
  'Kubeconfig File',
];
export const LAYOUTS: readonly Layout[] = ['shared', 'perSlot'];
export const CHART_AUTH_KINDS: readonly ChartAuthKind[] = ['none', 'dockerRegistry', 'azureContainerRegistry', 'basic'];
export const OWNERSHIPS: readonly RoutingOwnership[] = ['managed', 'chart'];
export const TRAFFIC_MANAGER_ENDPOINT_TYPES: readonly TrafficManagerEndpointType[] = ['ExternalEndpoints', 'AzureEndpoints'];
export const RETIRE_POLICIES: readonly RetirePolicy[] = ['delete', 'keep'];
export const AFTER_ROLLBACK: readonly AfterRollback[] = ['stage', 'remove'];
/** The pick list of the helmVersion input (editable: any exact version >= 3 is accepted). */
export const HELM_VERSIONS = ['4.1.4', '3.18.0', 'latest', 'path'] as const;
/** The IngressClass each ingress router's controller registers by default. */
export const DEFAULT_INGRESS_CLASS: Partial<Record<RouterKind, string>> = {
  nginx: 'nginx',
  appgw: 'azure-application-gateway',
};

/** Input access with the defaults and the parse-or-explain rules every reader uses. */
export class Reader {
  constructor(readonly src: InputSource) {}

  text(name: string): string | undefined {
    return this.src.input(name);
  }

  required(name: string, what: string, when = ''): string {
    const value = this.src.input(name);
    if (value === undefined) throw new InputError(`Input '${name}' (${what}) is required${when}.`);
    return value;
  }

  choice<T extends string>(name: string, options: readonly T[], fallback: T): T {
    const value = this.src.input(name);
    if (value === undefined) return fallback;
    const match = options.find((o) => o.toLowerCase() === value.toLowerCase());
    if (match === undefined) {
      throw new InputError(`Input '${name}' is '${value}', which is not one of: ${options.join(', ')}.`);
    }
    return match;
  }

  bool(name: string, fallback: string): boolean {
    const value = (this.src.input(name) ?? fallback).toLowerCase();
    if (value !== 'true' && value !== 'false') throw new InputError(`Input '${name}' is '${value}'; write true or false.`);
    return value === 'true';
  }

  integer(name: string, min: number, max: number, fallback?: string): number {
    const value = this.src.input(name) ?? fallback ?? '';
    const n = parseInteger(value, min, max);
    if (n === undefined) throw new InputError(`Input '${name}' is '${value}'; write a whole number from ${min} to ${max}.`);
    return n;
  }

  duration(name: string, fallback: string): string {
    const value = this.src.input(name) ?? fallback;
    if (!isGoDuration(value)) {
      throw new InputError(`Input '${name}' is '${value}', which is not a helm duration such as 10m0s, 90s or 1h30m.`);
    }
    return value;
  }

  /** Relative paths resolve against the sources directory, the working directory the agent gives a task. */
  workingDirectory(): string {
    return this.src.variable('Build.SourcesDirectory') ?? this.src.variable('System.DefaultWorkingDirectory') ?? process.cwd();
  }

  /** A path input, made absolute. */
  path(name: string): string | undefined {
    const value = this.src.input(name);
    return value === undefined ? undefined : path.resolve(this.workingDirectory(), value);
  }

  /** A filePath input: the agent passes the repository root for an empty field, so that value means "not given". */
  filePath(name: string): string | undefined {
    const resolved = this.path(name);
    return resolved === path.resolve(this.workingDirectory()) ? undefined : resolved;
  }
}
