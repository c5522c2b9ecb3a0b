// The task.json inputs of the five tasks, written once. Names, defaults and pick lists match what
// shared/inputs/read.ts reads (a unit test holds the two together); YAML aliases follow Microsoft's HelmDeploy
// and KubernetesManifest tasks so users can reuse what they know.
import { ROUTER_KINDS } from '../shared/core/model';
import { CONNECTION_TYPES, HELM_VERSIONS, INPUT_DEFAULTS } from '../shared/inputs/source';

export interface TaskInput {
  name: string;
  type: string;
  label: string;
  defaultValue?: string;
  required?: boolean;
  helpMarkDown: string;
  groupName: string;
  visibleRule?: string;
  aliases?: string[];
  options?: Record<string, string>;
  properties?: Record<string, string>;
  /** Checked by the classic editor as the user types (the tasks check again at run time). */
  validation?: { expression: string; message: string };
}

/** A value may always be a pipeline variable, resolved only at run time. */
const VARIABLE = '\\$\\(.+\\)';
/** Classic-editor validation of a whole number in [min, max] (a range the task enforces again). */
export function wholeNumber(min: number, max: number): TaskInput['validation'] {
  return { expression: `isMatch(value, '^(\\d{1,6}|${VARIABLE})$', 'IgnoreCase')`, message: `Enter a whole number from ${min} to ${max}, or a variable such as $(seconds).` };
}
export const PERCENT: TaskInput['validation'] = {
  expression: `isMatch(value, '^(100|[1-9]?\\d|${VARIABLE})$', 'IgnoreCase')`,
  message: 'Enter a whole percentage from 0 to 100, or a variable.',
};
export const DURATION: TaskInput['validation'] = {
  expression: `isMatch(value, '^((\\d+(\\.\\d+)?(ns|us|ms|s|m|h))+|0|${VARIABLE})$', 'IgnoreCase')`,
  message: 'Enter a helm duration such as 10m0s, 90s or 1h30m, or a variable.',
};

export interface TaskGroup {
  name: string;
  displayName: string;
  isExpanded: boolean;
  visibleRule?: string;
}

const ARM = 'connectionType = Azure Resource Manager';
export const editable = { EditableOptions: 'True' };
const multiline = { resizable: 'true', rows: '4' };

export const CLUSTER_INPUTS: TaskInput[] = [
  {
    name: 'connectionType',
    type: 'pickList',
    label: 'Connection type',
    defaultValue: INPUT_DEFAULTS.connectionType,
    required: true,
    options: Object.fromEntries(CONNECTION_TYPES.map((t) => [t, t])),
    helpMarkDown:
      'How the task reaches the cluster: a Kubernetes service connection (kubeconfig or service account; also the connection of an Environment\'s Kubernetes resource), an Azure Resource Manager connection plus an AKS cluster, or a kubeconfig file on the agent.',
    groupName: 'cluster',
  },
  {
    name: 'kubernetesServiceEndpoint',
    aliases: ['kubernetesServiceConnection'],
    type: 'connectedService:kubernetes',
    label: 'Kubernetes service connection',
    // Not required in task.json: when a deployment job targets an Environment's Kubernetes resource, the
    // server fills this input after YAML validation (HelmDeploy broke such pipelines by requiring it).
    // The input reader still insists on a value at run time.
    visibleRule: 'connectionType = Kubernetes Service Connection',
    helpMarkDown: "The Kubernetes service connection of the cluster. Leave it empty in a deployment job that targets an Environment's Kubernetes resource: the pipeline passes that resource's connection.",
    groupName: 'cluster',
  },
  {
    name: 'azureSubscriptionEndpoint',
    aliases: ['azureSubscription'],
    type: 'connectedService:AzureRM',
    label: 'Azure subscription',
    required: true,
    visibleRule: ARM,
    helpMarkDown:
      'Azure Resource Manager connection (service principal, workload identity federation or managed identity) allowed to read the AKS cluster\'s credentials.',
    groupName: 'cluster',
  },
  {
    name: 'azureResourceGroup',
    type: 'pickList',
    label: 'Resource group',
    required: true,
    visibleRule: ARM,
    properties: editable,
    helpMarkDown: 'Resource group of the AKS cluster.',
    groupName: 'cluster',
  },
  {
    name: 'kubernetesCluster',
    type: 'pickList',
    label: 'Kubernetes cluster',
    required: true,
    visibleRule: ARM,
    properties: editable,
    helpMarkDown: 'Name of the AKS cluster. Clusters with Entra ID authentication work without kubelogin on the agent.',
    groupName: 'cluster',
  },
  {
    name: 'useClusterAdmin',
    type: 'boolean',
    label: 'Use cluster admin credentials',
    defaultValue: INPUT_DEFAULTS.useClusterAdmin,
    visibleRule: ARM,
    helpMarkDown: 'Use the cluster administrator credentials instead of the cluster user credentials.',
    groupName: 'cluster',
  },
  {
    name: 'kubeconfigFile',
    type: 'filePath',
    label: 'Kubeconfig file',
    required: true,
    visibleRule: 'connectionType = Kubeconfig File',
    helpMarkDown: 'Path of a kubeconfig file on the agent, e.g. one a previous step wrote. Relative paths start at the sources directory.',
    groupName: 'cluster',
  },
  {
    name: 'kubeContext',
    type: 'string',
    label: 'Kubeconfig context',
    visibleRule: 'connectionType != Azure Resource Manager',
    helpMarkDown: 'Context to use from the kubeconfig. Empty: its current context.',
    groupName: 'cluster',
  },
];

export const APP_INPUTS: TaskInput[] = [
  {
    name: 'name',
    type: 'string',
    label: 'App name',
    required: true,
    helpMarkDown:
      'Name of the app under blue/green. Its slots are the helm releases `<name>-blue` and `<name>-green` (or `blue-<name>`, `green-<name>` in per-slot namespaces). At most 47 lower-case letters, digits and `-`, starting with a letter.',
    groupName: 'app',
  },
  {
    name: 'namespace',
    type: 'string',
    label: 'Namespace',
    required: true,
    helpMarkDown: 'Kubernetes namespace of the app (with per-slot namespaces: the base name, prefixed with `blue-` and `green-`).',
    groupName: 'app',
  },
  {
    name: 'namespaceLayout',
    type: 'pickList',
    label: 'Slot layout',
    defaultValue: INPUT_DEFAULTS.namespaceLayout,
    required: true,
    options: {
      shared: 'Shared namespace: releases <name>-blue and <name>-green',
      perSlot: 'Per-slot namespaces: release <slot>-<name> in namespace <slot>-<namespace>',
    },
    helpMarkDown:
      'Where the two slots live. `shared`: both releases in one namespace (needed for managed routing with ingress-nginx or AGIC). `perSlot`: the classic layout with one namespace per slot.',
    groupName: 'app',
  },
];

export const ROUTING_INPUTS: TaskInput[] = [
  {
    name: 'router',
    type: 'pickList',
    label: 'Router',
    defaultValue: INPUT_DEFAULTS.router,
    required: true,
    options: Object.fromEntries(
      ROUTER_KINDS.map((k) => [
        k,
        {
          nginx: 'ingress-nginx (canary Ingress)',
          appgw: 'Application Gateway Ingress Controller (AGIC)',
          gateway: 'Gateway API (HTTPRoute)',
          trafficmanager: 'Azure Traffic Manager (DNS)',
        }[k],
      ]),
    ),
    helpMarkDown:
      'What sends users to the production slot and testers to the staging slot: ingress-nginx (header, cookie or weight), AGIC (`/canary` path), a Gateway API HTTPRoute (header and weights), or Azure Traffic Manager (each slot has its own address).',
    groupName: 'routing',
  },
  {
    name: 'routingOwnership',
    type: 'pickList',
    label: 'Routing objects',
    defaultValue: INPUT_DEFAULTS.routingOwnership,
    required: true,
    options: { managed: 'Managed by the task (works with any chart)', chart: 'Rendered by the chart from values the task sets' },
    helpMarkDown:
      '`managed`: the chart deploys the app and its own Service; the task owns Ingress, stable Services, HTTPRoute or Traffic Manager endpoints and switches production in one write. `chart`: the chart renders its routing objects from values the task sets (see Chart value keys).',
    groupName: 'routing',
  },
  {
    name: 'host',
    type: 'string',
    label: 'Host name',
    required: true,
    visibleRule: 'router = nginx || router = appgw || router = gateway',
    helpMarkDown:
      'Public host name of the app, e.g. `calc.contoso.com`. Required for ingress-nginx, AGIC and Gateway API (there the default host name of the HTTPRoute; YAML may give `hostnames` instead). HTTP checks send it as the Host header. With Traffic Manager (YAML only): the Host header of the checks; empty: the profile\'s DNS name.',
    groupName: 'routing',
  },
  {
    name: 'path',
    type: 'string',
    label: 'Path',
    defaultValue: INPUT_DEFAULTS.path,
    helpMarkDown: 'Path prefix the app is served on.',
    groupName: 'routing',
  },
  {
    name: 'ingressClass',
    type: 'string',
    label: 'Ingress class',
    visibleRule: 'router = nginx || router = appgw',
    helpMarkDown: 'IngressClass of the controller. Empty: `nginx` for ingress-nginx, `azure-application-gateway` for AGIC.',
    groupName: 'routing',
  },
  {
    name: 'stagingHeader',
    type: 'string',
    label: 'Staging header',
    defaultValue: INPUT_DEFAULTS.stagingHeader,
    visibleRule: 'router = nginx || router = gateway',
    helpMarkDown: 'Requests carrying this header (with the value below) reach the staging slot, e.g. `curl -H "canary: always"`.',
    groupName: 'routing',
  },
  {
    name: 'stagingHeaderValue',
    type: 'string',
    label: 'Staging header value',
    defaultValue: INPUT_DEFAULTS.stagingHeaderValue,
    visibleRule: 'router = nginx || router = gateway',
    helpMarkDown: 'Exact value of the staging header (case-sensitive).',
    groupName: 'routing',
  },
  {
    name: 'stagingCookie',
    type: 'string',
    label: 'Staging cookie',
    visibleRule: 'router = nginx',
    helpMarkDown: 'Optional cookie name: a request whose cookie has the value `always` reaches the staging slot (ingress-nginx).',
    groupName: 'routing',
  },
  {
    name: 'podSelectorLabel',
    type: 'string',
    label: 'Pod label of a slot',
    defaultValue: INPUT_DEFAULTS.podSelectorLabel,
    visibleRule: 'routingOwnership = managed',
    helpMarkDown: 'Label whose value is the release name on every pod of the chart; the stable Services select a slot by it.',
    groupName: 'routing',
  },
  {
    name: 'servicePort',
    type: 'string',
    label: 'Service port',
    visibleRule: 'routingOwnership = managed',
    validation: wholeNumber(1, 65535),
    helpMarkDown: "Port of the app's own Service that the routing objects forward to. Empty: the Service's first port.",
    groupName: 'routing',
  },
  {
    name: 'tlsSecret',
    type: 'string',
    label: 'TLS secret',
    visibleRule: 'router = nginx || router = appgw',
    helpMarkDown: 'Optional Secret holding the certificate of the host, for the Ingress the task manages.',
    groupName: 'routing',
  },
  {
    name: 'valueKeys',
    type: 'multiLine',
    label: 'Chart value keys',
    visibleRule: 'routingOwnership = chart',
    properties: multiline,
    helpMarkDown:
      'Where your chart reads what the task sets, one `role=key` per line, e.g. `host=ingress.hostname`. Roles and defaults: slot=slot, canary=canary, weight=ingress.weight, ingressClass=ingress.class, host=ingress.host, ingressEnabled=ingress.enabled, serviceType=service.type, serviceDns=service.dns, serviceIp=service.ip, canaryHeader=ingress.canaryHeader, canaryHeaderValue=ingress.canaryHeaderValue.',
    groupName: 'routing',
  },
];

export const ADVANCED_INPUTS: TaskInput[] = [
  {
    name: 'helmVersion',
    type: 'pickList',
    label: 'Helm version',
    defaultValue: INPUT_DEFAULTS.helmVersion,
    options: Object.fromEntries(HELM_VERSIONS.map((version) => [version, version === 'path' ? 'helm on the PATH of the agent' : version])),
    properties: editable,
    helpMarkDown:
      'Helm to use: an exact version (downloaded once, checked against its published sha256 and cached in the agent tool cache), `latest`, or `path` for the helm already on the agent.',
    groupName: 'advanced',
  },
  {
    name: 'helmDownloadBase',
    type: 'string',
    label: 'Helm download site',
    defaultValue: INPUT_DEFAULTS.helmDownloadBase,
    helpMarkDown:
      'Base URL of the helm release archives and their `.sha256sum` files: change it for a mirror on air-gapped agents. Only `https://`, unless the archive\'s SHA-256 is given below.',
    groupName: 'advanced',
  },
  {
    name: 'helmChecksum',
    type: 'string',
    label: 'Helm archive SHA-256',
    helpMarkDown:
      'Optional SHA-256 (64 hex digits) of the helm archive for the agent\'s platform, e.g. of `helm-v3.18.0-linux-amd64.tar.gz`. The download is checked against it instead of the site\'s `.sha256sum`; required for an `http://` download site.',
    groupName: 'advanced',
  },
  {
    name: 'lockTimeout',
    type: 'string',
    label: 'Lock timeout (seconds)',
    defaultValue: INPUT_DEFAULTS.lockTimeout,
    validation: wholeNumber(0, 86400),
    helpMarkDown: 'How long to wait while another pipeline runs a lifecycle step of the same app (one at a time per app, by a lease in the cluster).',
    groupName: 'advanced',
  },
  {
    name: 'settleSeconds',
    type: 'string',
    label: 'Routing settle time (seconds)',
    validation: wholeNumber(0, 3600),
    helpMarkDown:
      "How long to let the router's controller apply a routing change before relying on it. Empty: the router's own default (a few seconds for ingress-nginx, longer for Application Gateway).",
    groupName: 'advanced',
  },
];

export function checkAddressInput(groupName: string): TaskInput {
  return {
    name: 'checkAddress',
    type: 'string',
    label: 'Address for checks',
    helpMarkDown:
      'Optional base URL the HTTP checks connect to instead of the public host (e.g. the ingress controller\'s internal address, `http://10.0.0.4`); the Host header stays the host name.',
    groupName,
  };
}

export function checksCaInput(groupName: string): TaskInput {
  return {
    name: 'checksCaCertificate',
    type: 'string',
    label: 'CA certificate for checks',
    helpMarkDown:
      'Optional CA the HTTP checks trust besides the system\'s, for an ingress or a proxy with a certificate from an internal CA: the path of a PEM file (e.g. from a Download secure file step) or the PEM text. See docs/proxy.md.',
    groupName,
  };
}

export function checksInputs(): TaskInput[] {
  return [
    {
      name: 'checks',
      type: 'multiLine',
      label: 'HTTP checks',
      properties: multiline,
      helpMarkDown:
        'One check per line: `[staging:|production:] METHOD PATH [header NAME=VALUE ...] expect STATUS [contains TEXT]`. METHOD is GET, HEAD, POST, PUT, DELETE, OPTIONS or PATCH; STATUS an exact status (`200`) or a class (`2xx`); `contains` looks for the text in the body. A check targets the staging slot unless it starts with `production:`. All checks run until they all pass or the timeout ends; `#` starts a comment. Example: `GET /ping expect 200 contains $(Build.BuildId)`.',
      groupName: 'checks',
    },
    {
      name: 'checkTimeout',
      type: 'string',
      label: 'Check timeout (seconds)',
      defaultValue: INPUT_DEFAULTS.checkTimeout,
      validation: wholeNumber(1, 3600),
      helpMarkDown: 'How long the checks may keep failing before the task fails.',
      groupName: 'checks',
    },
    {
      name: 'checkInterval',
      type: 'string',
      label: 'Check interval (seconds)',
      defaultValue: INPUT_DEFAULTS.checkInterval,
      validation: wholeNumber(1, 3600),
      helpMarkDown: 'Pause between two rounds of checks.',
      groupName: 'checks',
    },
    checkAddressInput('checks'),
    checksCaInput('checks'),
  ];
}
