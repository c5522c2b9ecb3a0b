// The task.json inputs of the metric gates (RouteTraffic and OnSuccess), read by shared/gates/inputs.ts.
import { GATE_DEFAULTS } from '../shared/gates/inputs';
import { TRAFFIC_STEP_SECONDS_DEFAULT } from '../shared/core/progressive';
import { type TaskGroup, type TaskInput, wholeNumber } from './taskinputs';

export const GATES_GROUP: TaskGroup = { name: 'gates', displayName: 'Metric gates (Prometheus)', isExpanded: false };

export function gateInputs(task: 'RouteTraffic' | 'OnSuccess'): TaskInput[] {
  const when =
    task === 'RouteTraffic'
      ? 'after the HTTP checks pass and the traffic share reaches the staging slot'
      : 'on the staging slot right before the switch (production does not move if one fails)';
  return [
    {
      name: 'gates',
      type: 'multiLine',
      label: 'Metric gates',
      properties: { resizable: 'true', rows: '4' },
      helpMarkDown:
        `One gate per line, \`[name:] PROMQL OPERATOR NUMBER\`, watched ${when}, e.g. \`success-rate: sum(rate(nginx_ingress_controller_requests{ingress="{{app}}",canary!="",status!~"5.."}[1m])) / sum(rate(nginx_ingress_controller_requests{ingress="{{app}}",canary!=""}[1m])) >= 0.99\`. ` +
        'Placeholders: `{{app}}`, `{{namespace}}`, `{{slot}}`, `{{release}}`, `{{productionSlot}}`, `{{productionRelease}}`. A failed gate takes real users off the slot at once and fails the task.',
      groupName: 'gates',
    },
    {
      name: 'metricsServer',
      type: 'string',
      label: 'Metrics server',
     
      helpMarkDown: 'Base URL of the Prometheus HTTP API (without `/api/v1`), e.g. `http://prometheus.monitoring:9090`, or the query endpoint of an Azure Monitor workspace (`https://<workspace>.<region>.prometheus.monitor.azure.com`).',
      groupName: 'gates',
    },
    {
      name: 'metricsAuth',
      type: 'pickList',
      label: 'Metrics server authentication',
      defaultValue: GATE_DEFAULTS.metricsAuth,
     
      options: { none: 'None', bearer: 'Bearer token', basic: 'User name and password', azureMonitor: 'Azure Monitor managed Prometheus (Entra ID)' },
      helpMarkDown: 'How the task authenticates to the metrics server. Azure Monitor: an Entra token of the Azure Resource Manager connection below (role Monitoring Data Reader on the workspace).',
      groupName: 'gates',
    },
    { name: 'metricsToken', type: 'string', label: 'Bearer token', visibleRule: 'metricsAuth = bearer', helpMarkDown: 'The token, as a secret variable, e.g. `$(prometheusToken)`. Masked in every log.', groupName: 'gates' },
    { name: 'metricsUsername', type: 'string', label: 'User name', visibleRule: 'metricsAuth = basic', helpMarkDown: 'User name for HTTP basic authentication.', groupName: 'gates' },
    { name: 'metricsPassword', type: 'string', label: 'Password', visibleRule: 'metricsAuth = basic', helpMarkDown: 'The password, as a secret variable. Masked in every log.', groupName: 'gates' },
    {
      name: 'metricsAzureConnection',
      type: 'connectedService:AzureRM',
      label: 'Azure Monitor subscription',
      visibleRule: 'metricsAuth = azureMonitor',
      helpMarkDown: "Azure Resource Manager connection whose identity may read the Azure Monitor workspace. Empty: the cluster's Azure connection.",
      groupName: 'gates',
    },
    { name: 'gateInterval', type: 'string', label: 'Evaluation interval (seconds)', defaultValue: GATE_DEFAULTS.gateInterval, validation: wholeNumber(1, 3600), helpMarkDown: 'Seconds between two evaluations of the gates; the first comes one interval after the watch starts.', groupName: 'gates' },
    { name: 'gateDuration', type: 'string', label: 'Watch duration (seconds)', defaultValue: GATE_DEFAULTS.gateDuration, validation: wholeNumber(1, 86400), helpMarkDown: 'How long the gates are watched; they are evaluated duration / interval times.', groupName: 'gates' },
    { name: 'gateFailureLimit', type: 'string', label: 'Breaches that fail a gate', defaultValue: GATE_DEFAULTS.gateFailureLimit, validation: wholeNumber(1, 1000), helpMarkDown: 'A gate fails when its condition was not met this many times (1: at the first breach).', groupName: 'gates' },
    {
      name: 'gateNoData',
      type: 'pickList',
      label: 'When a query has no data',
      defaultValue: GATE_DEFAULTS.gateNoData,
     
      options: { fail: 'Count it as a breach', pass: 'Count it as passing' },
      helpMarkDown: 'What an evaluation that finds no data (no series, or NaN such as 0/0 without traffic) counts as.',
      groupName: 'gates',
    },
  ];
}

/** RouteTraffic's progressive traffic (shares of users step by step, gates watched at each). */
export const TRAFFIC_STEP_INPUTS: TaskInput[] = [
  {
    name: 'trafficSteps',
    type: 'string',
    label: 'Traffic steps (%)',
    helpMarkDown:
      'Instead of one traffic share: shares of real users sent to the staging slot one after the other, e.g. `10, 25, 50`, each held for the step time while the metric gates are watched; the first failed gate takes all users off the slot. Not available with AGIC. Leave Traffic to staging at 0.',
    groupName: 'checks',
  },
  {
    name: 'trafficStepSeconds',
    type: 'string',
    label: 'Step time (seconds)',
    defaultValue: TRAFFIC_STEP_SECONDS_DEFAULT,
    validation: wholeNumber(1, 86400),
    helpMarkDown: 'How long each traffic step is held (the metric gates are evaluated every gate interval meanwhile) before the next one.',
    groupName: 'checks',
  },
];
