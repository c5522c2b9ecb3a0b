// What the task inputs become: the typed contract every task reads (inputs/read.ts reads and validates
// them). Types and their few constants only.
import type { App, RouterKind, RoutingOwnership } from '../core/model';
import type { ChecksCa } from '../checks/ca';
import type { GateInputs } from '../gates/inputs';
import type { TrafficSteps } from '../core/progressive';
import type { AfterRollback } from '../core/rollback-plan';
import type { FailFastRules } from '../kubernetes/pod-state';
import type { AppSettings, RecordedSettings } from '../core/settings';

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
