// The task.json inputs of the Gateway API and Traffic Manager routers (shown only for their router).
import { TRAFFIC_MANAGER_TTL_MARGIN } from '../shared/inputs/routing';
import { INPUT_DEFAULTS } from '../shared/inputs/source';
import { editable, type TaskInput, wholeNumber } from './taskinputs';

const GATEWAY = 'router = gateway';
const TRAFFIC_MANAGER = 'router = trafficmanager';

export const GATEWAY_INPUTS: TaskInput[] = [
  {
    name: 'gatewayName',
    type: 'string',
    label: 'Gateway',
    required: true,
    visibleRule: GATEWAY,
    helpMarkDown:
      "Name of the Gateway the app's HTTPRoute attaches to (App Gateway for Containers, NGINX Gateway Fabric, Envoy Gateway, Istio...). Its listener must accept HTTPRoutes from the app's namespace.",
    groupName: 'gateway',
  },
  {
    name: 'gatewayNamespace',
    type: 'string',
    label: 'Gateway namespace',
    visibleRule: GATEWAY,
    helpMarkDown: "Namespace of the Gateway. Empty: the namespace of the HTTPRoute (the app's namespace; `blue-<namespace>` with per-slot namespaces).",
    groupName: 'gateway',
  },
  {
    name: 'gatewaySection',
    type: 'string',
    label: 'Listener (section name)',
    visibleRule: GATEWAY,
    helpMarkDown: 'Optional listener of the Gateway to attach to.',
    groupName: 'gateway',
  },
  {
    name: 'hostnames',
    type: 'string',
    label: 'Host names',
    visibleRule: GATEWAY,
    helpMarkDown: 'Host names of the HTTPRoute, separated by commas (wildcards like `*.contoso.com` allowed). Empty: the Host name above.',
    groupName: 'gateway',
  },
];

const azureEndpoints = `${TRAFFIC_MANAGER} && trafficManagerEndpointType = AzureEndpoints`;

export const TRAFFIC_MANAGER_INPUTS: TaskInput[] = [
  {
    name: 'trafficManagerConnection',
    type: 'connectedService:AzureRM',
    label: 'Traffic Manager subscription',
    // Required in the classic editor, whose resource group and profile pick lists are read through it; in
    // YAML (where visible-only inputs are optional) an empty value means the cluster's Azure connection.
    required: true,
    visibleRule: TRAFFIC_MANAGER,
    helpMarkDown: "Azure Resource Manager connection allowed to change the Traffic Manager profile; the resource group and profile lists are read through it. In YAML it may be left out when the cluster connection is an Azure Resource Manager connection with that right.",
    groupName: 'trafficManager',
  },
  {
    name: 'trafficManagerResourceGroup',
    type: 'pickList',
    label: 'Traffic Manager resource group',
    required: true,
    visibleRule: TRAFFIC_MANAGER,
    properties: editable,
    helpMarkDown: 'Resource group of the Traffic Manager profile.',
    groupName: 'trafficManager',
  },
  {
    name: 'trafficManagerProfile',
    type: 'pickList',
    label: 'Traffic Manager profile',
    required: true,
    visibleRule: TRAFFIC_MANAGER,
    properties: editable,
    helpMarkDown: 'Traffic Manager profile with weighted routing; the task manages one endpoint per slot in it.',
    groupName: 'trafficManager',
  },
  {
    name: 'trafficManagerEndpointType',
    type: 'pickList',
    label: 'Endpoint type',
    defaultValue: INPUT_DEFAULTS.trafficManagerEndpointType,
    visibleRule: TRAFFIC_MANAGER,
    options: { ExternalEndpoints: 'External endpoints (DNS name or IP per slot)', AzureEndpoints: 'Azure endpoints (Public IP per slot)' },
    helpMarkDown: 'How Traffic Manager reaches a slot: an external DNS name or IP address, or an Azure Public IP resource.',
    groupName: 'trafficManager',
  },
  ...(['blue', 'green'] as const).map(
    (slot): TaskInput => ({
      name: `${slot}Address`,
      type: 'string',
      label: `Address of the ${slot} slot`,
      visibleRule: TRAFFIC_MANAGER,
      helpMarkDown: `External endpoints: DNS name or IP of the ${slot} slot (an IP becomes its load balancer's static IP; \`<label>.<region>.cloudapp.azure.com\` gives its DNS label). Empty: the address its LoadBalancer Service gets, with the DNS label \`<profile>-${slot}\`. Azure endpoints: leave empty (the Public IP's DNS label is used) or repeat that label.`,
      groupName: 'trafficManager',
    }),
  ),
  ...(['blue', 'green'] as const).map(
    (slot): TaskInput => ({
      name: `${slot}PublicIp`,
      type: 'string',
      label: `Public IP of the ${slot} slot`,
      visibleRule: azureEndpoints,
      helpMarkDown: `Azure endpoints (required): resource id of the Public IP, with a DNS name, that the ${slot} slot's load balancer uses and its Traffic Manager endpoint points at (/subscriptions/…/providers/Microsoft.Network/publicIPAddresses/<name>).`,
      groupName: 'trafficManager',
    }),
  ),
  {
    name: 'trafficManagerTtlMargin',
    type: 'string',
    label: 'DNS TTL margin (seconds)',
    defaultValue: TRAFFIC_MANAGER_TTL_MARGIN,
    validation: wholeNumber(0, 3600),
    visibleRule: TRAFFIC_MANAGER,
    helpMarkDown:
      "Clients keep a resolved address for the profile's DNS TTL, and some a little longer: a slot whose endpoint was disabled keeps serving for the TTL plus this margin before it is removed.",
    groupName: 'trafficManager',
  },
];
