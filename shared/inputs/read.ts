// Typed, validated task inputs. One reader for all four tasks; every bad input is one clear error. The
// app's settings (layout and routing) come from Deploy's inputs, and for the later tasks from the app's
// record in the cluster (shared/core/settings.ts), so a task reads its inputs once it is connected.
import { type App, ROUTER_KINDS, type RouterKind, type RoutingOwnership } from '../core/model';
import type * as TaskLib from 'azure-pipelines-task-lib/task';
import type * as TaskLibInternal from 'azure-pipelines-task-lib/internal';
import {
  INPUT_DEFAULTS,
  type InputSource,
  Reader,
  RETIRE_POLICIES,
  AFTER_ROLLBACK,
} from './source';
import { readChart, readSecretValues, readValueFiles } from './chart';
import { type ChecksCa, readChecksCa } from '../checks/ca';
import { readRouting } from './routing';
import { type GateInputs, readGateInputs } from '../gates/inputs';
import { readTrafficSteps, type TrafficSteps } from '../core/progressive';
import { readApp, readConnection, readHelm, readRunId } from './target';
import type { AfterRollback } from '../core/rollback-plan';
import type { FailFastRules } from '../kubernetes/pod-state';
import { readFailFast } from './rollout';
import { registerSecret } from './secrets';
import { type AppSettings, deploySettings, givenSettings, laterTaskSettings, type RecordedSettings, type Settings, withSettings } from '../core/settings';
import * as v from './rules';
import { percentProblem } from '../routers/capabilities';

export { InputError } from './rules';
export { MAX_APP_NAME, MAX_NAMESPACE } from './target';
export { INPUT_DEFAULTS, type InputSource } from './source';

export type ConnectionType = 'Kubernetes Service Connection' | 'Azure Resource Manager' | 'Kubeconfig File';

export interface ConnectionInputs {
  type: ConnectionType;
  /** Service connection id (Kubernetes or Azure Resource Manager). */
  endpoint?: string;
  /** AKS cluster, for Azure Resource Manager connections. */
  resourceGroup?: string;
  cluster?: string;
  useClusterAdmin: boolean;
  /** Kubeconfig file path, for the file connection type. */
  kubeconfigFile?: string;
  /** Context to use inside a kubeconfig (service connection or file). */
  context?: string;
}

export interface HelmInputs {
  /** 'path' (helm found on PATH), 'latest', or an exact version such as '3.18.0' / '4.1.4'. */
  version: string;
  /** Base URL of helm release archives and their .sha256sum files (default https://get.helm.sh). */
  downloadBase: string;
  /** SHA-256 (lower-case hex) of the archive to download, trusted over the site's .sha256sum; needed for http. */
  checksum?: string;
}

/** Value keys the chart reads in chart-owned routing (inputs override the defaults). */
export interface ValueKeys {
  slot: string;
  canary: string;
  weight: string;
  ingressClass: string;
  host: string;
  ingressEnabled: string;
  serviceType: string;
  serviceDns: string;
  serviceIp: string;
  canaryHeader: string;
  canaryHeaderValue: string;
}

export const DEFAULT_VALUE_KEYS: ValueKeys = {
  slot: 'slot',
  canary: 'canary',
  weight: 'ingress.weight',
  ingressClass: 'ingress.class',
  host: 'ingress.host',
  ingressEnabled: 'ingress.enabled',
  serviceType: 'service.type',
  serviceDns: 'service.dns',
  serviceIp: 'service.ip',
  canaryHeader: 'ingress.canaryHeader',
  canaryHeaderValue: 'ingress.canaryHeaderValue',
};

export interface RoutingInputs {
  router: RouterKind;
  ownership: RoutingOwnership;
  /** Public host name users reach the app on (ingress rules, Host header of checks). */
  host?: string;
  /** Path prefix of the app (default '/'). */
  path: string;
  /** IngressClass (nginx: 'nginx'; appgw: 'azure-application-gateway'). */
  ingressClass: string;
  /** Header that sends a tester to staging, and its value. */
  stagingHeader: string;
  stagingHeaderValue: string;
  /** Optional cookie that pins a tester to staging (nginx). */
  stagingCookie?: string;
  /** Pod label that identifies a slot's pods (value: the release name). */
  podSelectorLabel: string;
  /** Port of the app's own Service the stable Services forward to (managed; default: discovered). */
  servicePort?: number;
  /** TLS secret for the managed Ingress (optional). */
  tlsSecret?: string;
  valueKeys: ValueKeys;
  gateway?: GatewayInputs;
  trafficManager?: TrafficManagerInputs;
  /** Seconds to let the controller apply a routing change before relying on it (default: the router's own). */
  settleSeconds?: number;
}

export interface GatewayInputs {
  name: string;
  namespace: string;
  sectionName?: string;
  hostnames: string[];
}

export type TrafficManagerEndpointType = 'AzureEndpoints' | 'ExternalEndpoints';

export interface TrafficManagerInputs {
  /** Azure Resource Manager connection for Traffic Manager (may differ from the cluster's). */
  endpoint: string;
  resourceGroup: string;
  profile: string;
  endpointType: TrafficManagerEndpointType;
  /** Per slot: DNS label (Azure endpoints) or FQDN/IP (external endpoints). */
  blueAddress?: string;
  greenAddress?: string;
  /** Azure endpoints: Public IP resource ids per slot, each with a DNS name (the router requires them). */
  bluePublicIp?: string;
  greenPublicIp?: string;
  /** Seconds added to the profile's DNS TTL before a slot whose endpoint was disabled is removed (default: the router's). */
  ttlMarginSeconds?: number;
}

export interface CommonInputs {
  app: App;
  connection: ConnectionInputs;
  helm: HelmInputs;
  routing: RoutingInputs;
  /** Seconds to wait for another lifecycle of the same app to release its lease. */
  lockTimeoutSeconds: number;
  /** Connect to this base URL for HTTP checks instead of the public host (the Host header stays the host). */
  checkAddress?: string;
  /** CA certificates the checks and the route fence trust besides the system's (checksCaCertificate). */
  checksCa?: ChecksCa;
  /** Identity of this pipeline run, recorded on the staged release (Build.BuildId / Release.ReleaseId ...). */
  runId: string;
  /** Who asked for the run (Release.RequestedFor / Build.RequestedFor), for the app's history. */
  requestedBy?: string;
  /** The chart. Deploy installs it; with chart-owned routing the later tasks re-render releases with it. */
  chart?: ChartInputs;
  /** The app's settings: where layout and routing came from (shared/core/settings.ts). */
  settings: AppSettings;
}

/** What a task needs before it can read the app's record: the app's name and namespace, the cluster, helm. */
export interface TaskTarget {
  app: App;
  connection: ConnectionInputs;
  helm: HelmInputs;
}

/** The app's settings as found in the cluster (shared/core/record.ts findSettings). */
export interface FoundSettings {
  settings: RecordedSettings;
  configMap: string;
}

/**
 * Inputs checked before the task connects, when the app's record is not read yet: everything but the
 * settings a later task may leave to the record (Deploy states its settings, so all of its inputs are
 * checked). The result only proves the inputs valid; the task reads them again with the record.
 */
export const BEFORE_RECORD = 'before the record is read';
export type SettingsSource = FoundSettings | undefined | typeof BEFORE_RECORD;

export interface ChartInputs {
  /** Local path, `repo/name` with a repository URL, or an `oci://` reference. */
  chart: string;
  repository?: string;
  version?: string;
  /** Credentials for the registry or repository (docs/registries.md); none: helm's own config. */
  auth?: ChartAuth;
}

export type ChartAuthKind = 'none' | 'dockerRegistry' | 'azureContainerRegistry' | 'basic';

export type ChartAuth =
  | { kind: 'dockerRegistry'; endpoint: string }
  | { kind: 'azureContainerRegistry'; endpoint: string }
  | { kind: 'basic'; username: string; password: string };

export interface DeployInputs extends CommonInputs {
  chart: ChartInputs;
  valueFiles: string[];
  /** `key=value` pairs (helm --set semantics, written to a values file). */
  setValues: Array<[string, string]>;
  /** Like setValues, but each value is registered as a secret and never logged. */
  secretValues: Array<[string, string]>;
  /** helm --timeout, e.g. '10m0s'. */
  timeout: string;
  createNamespace: boolean;
  /** When a pod's state ends helm's wait early (shared/kubernetes/pod-state.ts). */
  failFast: FailFastRules;
}

export interface RouteTrafficInputs extends CommonInputs {
  /** One check per line, e.g. `GET /ping expect 200 contains 3.0.379`. */
  checks: string;
  checkTimeoutSeconds: number;
  checkIntervalSeconds: number;
  helmTest: boolean;
  /** Share of real users to send to staging after the checks pass (0-100). */
  trafficPercent: number;
  timeout: string;
  /** Metric gates watched after the checks pass and users reach the slot (undefined: none). */
  gates?: GateInputs;
  /** Progressive shares of users instead of one trafficPercent (undefined: none). */
  trafficSteps?: TrafficSteps;
}

export type RetirePolicy = 'delete' | 'keep';

export interface OnSuccessInputs extends CommonInputs {
  checks: string;
  checkTimeoutSeconds: number;
  checkIntervalSeconds: number;
  retire: RetirePolicy;
  drainSeconds: number;
  /** Metric gates watched on the staged slot right before the switch (undefined: none). */
  gates?: GateInputs;
}

export interface RollbackInputs extends CommonInputs {
  checks: string;
  checkTimeoutSeconds: number;
  checkIntervalSeconds: number;
  /** What becomes of the version rolled back from. */
  afterRollback: AfterRollback;
  drainSeconds: number;
}

export interface OnFailureInputs extends CommonInputs {
  keepFailedSlot: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Readers: each reads its task's inputs (task-lib by default), validates them and returns the contract
// types above, or throws an InputError whose message names the input and says what to write instead.

const nonEmpty = (value: string | undefined): string | undefined => value?.trim() || undefined;

/**
 * Inputs as the agent passes them, through task-lib. task-lib is loaded on first use, not at import: loading
 * it reads the process environment into its vault and writes a key file, which the task wants and the
 * unit tests and scripts that import this module do not.
 */
export function agentInputs(): InputSource {
  const tl = require('azure-pipelines-task-lib/task') as typeof TaskLib;
  const internal = require('azure-pipelines-task-lib/internal') as typeof TaskLibInternal;
  return {
    input: (name) => nonEmpty(tl.getInput(name, false)),
    // tl.getInput writes `name=value` to the debug log before the value could be registered as a secret;
    // this vault read is what getInput does, minus that echo.
    secretInput: (name) => nonEmpty(internal._vault.retrieveSecret(`INPUT_${internal._getVariableKey(name)}`)),
    variable: (name) => nonEmpty(tl.getVariable(name)),
    // Registered through inputs/secrets.ts, which also remembers the value to mask the summary, outputs and errors.
    setSecret: (value) => registerSecret(value),
  };
}

/** The inputs read before connecting, so that a bad one fails the task before it reaches the cluster. */
export function readTarget(src: InputSource = agentInputs()): TaskTarget {
  const r = new Reader(src);
  return { app: readApp(r), connection: readConnection(r), helm: readHelm(r) };
}

export function readDeployInputs(src: InputSource = agentInputs(), found?: SettingsSource): DeployInputs {
  const r = new Reader(src);
  return {
    ...readCommon(r, found, true),
    chart: readChart(r),
    valueFiles: readValueFiles(r),
    setValues: v.parseKeyValueLines('setValues', r.text('setValues')),
    secretValues: readSecretValues(r),
    timeout: r.duration('timeout', INPUT_DEFAULTS.deployTimeout),
    createNamespace: r.bool('createNamespace', INPUT_DEFAULTS.createNamespace),
    failFast: readFailFast(r),
  };
}

export function readRouteTrafficInputs(src: InputSource = agentInputs(), found?: SettingsSource): RouteTrafficInputs {
  const r = new Reader(src);
  const common = readCommon(r, found, false);
  const trafficPercent = r.integer('trafficPercent', 0, 100, INPUT_DEFAULTS.trafficPercent);
  const router = knownRouter(r, common);
  const percentRefused = router && percentProblem(router, trafficPercent, 'trafficPercent');
  if (percentRefused) throw new v.InputError(percentRefused);
  const gates = readGateInputs(r, common.connection);
  const trafficSteps = readTrafficSteps(r, router, trafficPercent);
  if (gates && trafficSteps && trafficSteps.seconds < gates.settings.intervalSeconds) {
    throw new v.InputError(`Input 'trafficStepSeconds' (${trafficSteps.seconds} s) is shorter than 'gateInterval' (${gates.settings.intervalSeconds} s); the gates would not be evaluated at each step.`);
  }
  return {
    ...common,
    ...readChecks(r),
    helmTest: r.bool('helmTest', INPUT_DEFAULTS.helmTest),
    trafficPercent,
    timeout: r.duration('timeout', INPUT_DEFAULTS.routeTrafficTimeout),
    gates,
    trafficSteps,
  };
}

export function readOnSuccessInputs(src: InputSource = agentInputs(), found?: SettingsSource): OnSuccessInputs {
  const r = new Reader(src);
  const common = readCommon(r, found, false);
  return {
    ...common,
    ...readChecks(r),
    retire: r.choice('retirePolicy', RETIRE_POLICIES, INPUT_DEFAULTS.retirePolicy),
    drainSeconds: r.integer('drainSeconds', 0, 3600, INPUT_DEFAULTS.drainSeconds),
    gates: readGateInputs(r, common.connection),
  };
}

export function readRollbackInputs(src: InputSource = agentInputs(), found?: SettingsSource): RollbackInputs {
  const r = new Reader(src);
  return {
    ...readCommon(r, found, false),
    ...readChecks(r),
    afterRollback: r.choice('afterRollback', AFTER_ROLLBACK, INPUT_DEFAULTS.afterRollback),
    drainSeconds: r.integer('drainSeconds', 0, 3600, INPUT_DEFAULTS.drainSeconds),
  };
}

export function readOnFailureInputs(src: InputSource = agentInputs(), found?: SettingsSource): OnFailureInputs {
  const r = new Reader(src);
  return { ...readCommon(r, found, false), keepFailedSlot: r.bool('keepFailedSlot', INPUT_DEFAULTS.keepFailedSlot) };
}

/**
 * The app comes first: with no inputs at all, "app name is required" is the most useful message. Its
 * layout and routing are read from the settings the task works with: Deploy's own inputs (checked against
 * the record), or for a later task the record's settings with its own inputs checked against them.
 */
function readCommon(r: Reader, source: SettingsSource, deploy: boolean): CommonInputs {
  readApp(r);
  const connection = readConnection(r);
  const found = source === BEFORE_RECORD ? undefined : source;
  const parse = (settings: Settings) => {
    const rs = new Reader(withSettings(r.src, settings));
    const app = readApp(rs);
    return { app, routing: readRouting(rs, app, connection, readValueKeys(rs)) };
  };
  const given = givenSettings(r.src);
  const origin = { app: r.required('name', 'app name'), configMap: found?.configMap ?? '' };
  let settings: AppSettings;
  if (deploy) {
    const changes = deploySettings(given, found?.settings, origin, r.bool('changeSettings', INPUT_DEFAULTS.changeSettings), parse);
    const layoutChange = changes.find((c) => c.input === 'namespaceLayout');
    if (layoutChange) {
      throw new v.InputError(
        `App ${origin.app} is deployed with namespaceLayout ${layoutChange.recorded ?? INPUT_DEFAULTS.namespaceLayout}; the layout cannot change, as both slots would move to other namespaces. Nothing was changed. Keep the layout, or deploy under another app name.`,
      );
    }
    settings = { effective: given, recorded: found?.settings, changes };
  } else {
    settings = { effective: laterTaskSettings(given, found?.settings, origin, parse), recorded: found?.settings, changes: [] };
  }
  // A later task's settings may be completed by the record: checked once it is read.
  const { app, routing } = source === BEFORE_RECORD && !deploy ? { app: readApp(r), routing: undefined as unknown as RoutingInputs } : parse(settings.effective);
  const checkAddress = r.text('checkAddress');
  if (checkAddress !== undefined && !v.isHttpUrl(checkAddress)) {
    throw new v.InputError(`Input 'checkAddress' is '${checkAddress}', which is not an http(s) base URL such as http://10.0.0.4.`);
  }
  return {
    app,
    connection,
    helm: readHelm(r),
    routing,
    lockTimeoutSeconds: r.integer('lockTimeout', 0, 86400, INPUT_DEFAULTS.lockTimeout),
    checkAddress: checkAddress?.replace(/\/+$/, ''),
    checksCa: readChecksCa(r.text('checksCaCertificate'), r.workingDirectory()),
    runId: readRunId(r),
    requestedBy: r.src.variable('Release.RequestedFor') ?? r.src.variable('Build.RequestedFor'),
    chart: r.text('chart') ? readChart(r) : undefined,
    settings,
  };
}

/**
 * The router, when it is known: from the settings (the inputs, completed by the app's record), or, before
 * the record is read, from the router input when one is given (a later read refuses one that contradicts
 * the record). Undefined: the router's preflight refuses what it cannot do, before anything changes.
 */
function knownRouter(r: Reader, common: CommonInputs): RouterKind | undefined {
  if (common.routing) return common.routing.router;
  return r.text('router') === undefined ? undefined : r.choice('router', ROUTER_KINDS, INPUT_DEFAULTS.router);
}

/** `role=key` lines over DEFAULT_VALUE_KEYS, e.g. `host=ingress.hostname`; read only for chart-owned routing. */
function readValueKeys(r: Reader): ValueKeys {
  const keys: ValueKeys = { ...DEFAULT_VALUE_KEYS };
  const roles = Object.keys(DEFAULT_VALUE_KEYS) as Array<keyof ValueKeys>;
  for (const [role, key] of v.parseKeyValueLines('valueKeys', r.text('valueKeys'))) {
    const known = roles.find((k) => k.toLowerCase() === role.toLowerCase());
    if (known === undefined) {
      throw new v.InputError(`Input 'valueKeys' names the role '${role}', which is not one of: ${roles.join(', ')}.`);
    }
    if (!v.isValuePath(key)) {
      throw new v.InputError(`Input 'valueKeys' maps '${role}' to '${key}', which is not a values path such as ingress.host.`);
    }
    keys[known] = key;
  }
  return keys;
}


function readChecks(r: Reader): { checks: string; checkTimeoutSeconds: number; checkIntervalSeconds: number } {
  const checkTimeoutSeconds = r.integer('checkTimeout', 1, 3600, INPUT_DEFAULTS.checkTimeout);
  const checkIntervalSeconds = r.integer('checkInterval', 1, 3600, INPUT_DEFAULTS.checkInterval);
  if (checkIntervalSeconds > checkTimeoutSeconds) {
    throw new v.InputError(
      `Input 'checkInterval' (${checkIntervalSeconds} s) is longer than 'checkTimeout' (${checkTimeoutSeconds} s); the checks would run only once.`,
    );
  }
  return { checks: r.text('checks') ?? '', checkTimeoutSeconds, checkIntervalSeconds };
}
