// The task.json inputs about getting the chart installed: signing in to its registry or repository, and
// when a pod's state ends helm's wait early. Split from taskinputs.ts, which holds the inputs every task
// shares (cluster, app, routing, checks, advanced).
import { CHART_AUTH_KINDS, INPUT_DEFAULTS } from '../shared/inputs/source';
import { FAIL_FAST_DEFAULTS } from '../shared/kubernetes/pod-state';
import { type TaskInput, wholeNumber } from './taskinputs';

/** Credentials for the chart's registry or repository (docs/registries.md); in the chart group of every task. */
export const CHART_AUTH_INPUTS: TaskInput[] = [
  {
    name: 'chartRegistryAuth',
    type: 'pickList',
    label: 'Chart registry sign-in',
    defaultValue: INPUT_DEFAULTS.chartRegistryAuth,
    options: Object.fromEntries(
      CHART_AUTH_KINDS.map((k) => [
        k,
        {
          none: "None (public, or helm's own login on the agent)",
          dockerRegistry: 'Docker registry service connection',
          azureContainerRegistry: 'Azure Container Registry (Azure Resource Manager connection)',
          basic: 'User name and password',
        }[k],
      ]),
    ),
    helpMarkDown:
      'How helm signs in to the registry or repository the chart comes from. The credentials reach helm only through its config files in the task\'s temporary folder, are masked in the log and removed at the end. See docs/registries.md.',
    groupName: 'chart',
  },
  {
    name: 'dockerRegistryConnection',
    type: 'connectedService:dockerregistry',
    label: 'Docker registry service connection',
    visibleRule: 'chartRegistryAuth = dockerRegistry',
    helpMarkDown: 'Docker registry service connection of the `oci://` registry the chart comes from (its registry must be the chart\'s).',
    groupName: 'chart',
  },
  {
    name: 'chartAzureSubscription',
    type: 'connectedService:AzureRM',
    label: 'Azure subscription of the registry',
    visibleRule: 'chartRegistryAuth = azureContainerRegistry',
    helpMarkDown:
      'Azure Resource Manager connection whose identity may pull from the Azure Container Registry of the `oci://` chart (AcrPull). Empty: the cluster\'s Azure subscription connection.',
    groupName: 'chart',
  },
  {
    name: 'chartUsername',
    type: 'string',
    label: 'Registry user name',
    visibleRule: 'chartRegistryAuth = basic',
    helpMarkDown: 'User name for the chart registry or repository.',
    groupName: 'chart',
  },
  {
    name: 'chartPassword',
    type: 'string',
    label: 'Registry password',
    visibleRule: 'chartRegistryAuth = basic',
    helpMarkDown: 'Password or token for the chart registry or repository: write it as a secret variable, e.g. `$(chartPassword)`.',
    groupName: 'chart',
  },
];

/** Deploy: when a pod's state ends helm's wait early instead of at its timeout (docs/rollouts.md). */
export const FAIL_FAST_INPUTS: TaskInput[] = [
  { name: 'failFast', type: 'boolean', label: 'Fail fast', defaultValue: FAIL_FAST_DEFAULTS.failFast, groupName: 'chart',
    helpMarkDown: 'Stop waiting for the release as soon as a pod is in a state that will not heal by waiting (crash loop, image that cannot be pulled, missing ConfigMap/Secret, unschedulable), instead of at the timeout. The release is left failed, as after a timeout.' },
  { name: 'failFastRestarts', type: 'string', label: 'Fail fast: restarts', defaultValue: FAIL_FAST_DEFAULTS.failFastRestarts, groupName: 'chart', visibleRule: 'failFast = true', validation: wholeNumber(1, 100),
    helpMarkDown: 'A container that is not ready and has restarted this many times (CrashLoopBackOff) ends the wait. With the kubelet\'s back-off (10 s, 20 s, 40 s...) 3 restarts take about 30 s.' },
  { name: 'failFastSeconds', type: 'string', label: 'Fail fast: image pull and config errors (seconds)', defaultValue: FAIL_FAST_DEFAULTS.failFastSeconds, groupName: 'chart', visibleRule: 'failFast = true', validation: wholeNumber(1, 3600),
    helpMarkDown: 'A pod whose image cannot be pulled (ErrImagePull, ImagePullBackOff) or whose ConfigMap/Secret reference is missing (CreateContainerConfigError) for this long ends the wait. An invalid image name ends it at once.' },
  { name: 'failFastUnschedulableSeconds', type: 'string', label: 'Fail fast: unschedulable (seconds)', defaultValue: FAIL_FAST_DEFAULTS.failFastUnschedulableSeconds, groupName: 'chart', visibleRule: 'failFast = true', validation: wholeNumber(1, 86400),
    helpMarkDown: 'A pod the scheduler cannot place (PodScheduled=False, Unschedulable) for this long ends the wait. Leave room for the cluster autoscaler to add a node.' },
];
