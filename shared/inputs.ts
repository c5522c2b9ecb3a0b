// Typed, validated task inputs. One reader for all four tasks; every bad input is one clear error.
// CONTRACT (filled in by the foundation work): the types below are what the lifecycle consumes.
import type { App, RouterKind, RoutingOwnership } from './model';

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
  /** Azure endpoints: Public IP resource ids per slot (optional; static IP). */
  bluePublicIp?: string;
  greenPublicIp?: string;
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
  /** Identity of this pipeline run, recorded on the staged release (Build.BuildId / Release.ReleaseId ...). */
  runId: string;
}

export interface ChartInputs {
  /** Local path, `repo/name` with a repository URL, or an `oci://` reference. */
  chart: string;
  repository?: string;
  version?: string;
}

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
}

export type RetirePolicy = 'delete' | 'keep';

export interface OnSuccessInputs extends CommonInputs {
  checks: string;
  checkTimeoutSeconds: number;
  checkIntervalSeconds: number;
  retire: RetirePolicy;
  drainSeconds: number;
}

export interface OnFailureInputs extends CommonInputs {
  keepFailedSlot: boolean;
}
