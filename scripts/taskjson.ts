// Writes tasks/<Task>/task.json for the four tasks from one source, so an input shared by all four is
// written once. Run by `npm run build` before bundling; the output is committed (the classic editor and
// tfx read it) and a unit test checks that the committed files equal what this script generates.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { INPUT_DEFAULTS } from '../shared/inputs/source';
import { RECORDED_INPUTS } from '../shared/core/settings';
import {
  APP_INPUTS,
  checkAddressInput,
  checksCaInput,
  checksInputs,
  DURATION,
  PERCENT,
  wholeNumber,
  CLUSTER_INPUTS,
  ADVANCED_INPUTS,
  ROUTING_INPUTS,
  type TaskGroup,
  type TaskInput,
} from './taskinputs';
import { GATEWAY_INPUTS, TRAFFIC_MANAGER_INPUTS } from './taskinputs-routers';
import { CHART_AUTH_INPUTS, FAIL_FAST_INPUTS } from './taskinputs-chart';
import { GATES_GROUP, gateInputs, TRAFFIC_STEP_INPUTS } from './taskinputs-gates';

export const repoRoot = path.resolve(__dirname, '..', '..');
export type TaskFolder = 'Deploy' | 'RouteTraffic' | 'OnSuccess' | 'OnFailure' | 'Rollback';

/**
 * The oldest agent that runs the tasks: 3.232.1 is the first with the Node20_1 handler. Agents from 4.265.1
 * also have Node24 and pick it (the highest handler an agent has wins); older ones run Node20_1.
 */
export const MINIMUM_AGENT_VERSION = '3.232.1';

/** The repository's address, from package.json's `repository` (the one place it is written). */
export function repositoryUrl(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { repository?: { url?: string } | string };
  const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  if (!url) throw new Error('package.json has no repository url: the task help links and the marketplace page point at it.');
  return url.replace(/^git\+/, '').replace(/\.git$/, '');
}
/** A task's help page: its own section of the docs in the repository. */
export const helpUrl = (task: TaskFolder): string => `${repositoryUrl()}/blob/main/docs/tasks.md#${task.toLowerCase()}`;

interface TaskSpec {
  id: string;
  name: string;
  friendlyName: string;
  description: string;
  instanceNameFormat: string;
  groups: TaskGroup[];
  inputs: TaskInput[];
  outputVariables: Array<{ name: string; description: string }>;
  messages: Record<string, string>;
}

const GROUP = {
  cluster: { name: 'cluster', displayName: 'Kubernetes cluster', isExpanded: true },
  app: { name: 'app', displayName: 'Application and slots', isExpanded: true },
  chart: { name: 'chart', displayName: 'Chart and values', isExpanded: true },
  routing: { name: 'routing', displayName: 'Routing', isExpanded: true },
  gateway: { name: 'gateway', displayName: 'Gateway API', isExpanded: true, visibleRule: 'router = gateway' },
  trafficManager: { name: 'trafficManager', displayName: 'Azure Traffic Manager', isExpanded: true, visibleRule: 'router = trafficmanager' },
  checks: { name: 'checks', displayName: 'Validation', isExpanded: true },
  retire: { name: 'retire', displayName: 'Old slot', isExpanded: true },
  failure: { name: 'failure', displayName: 'Rejected slot', isExpanded: true },
  advanced: { name: 'advanced', displayName: 'Advanced', isExpanded: false },
} satisfies Record<string, TaskGroup>;

const ROUTING_GROUPS = [GROUP.routing, GROUP.gateway, GROUP.trafficManager];
/** The chart group of the tasks after Deploy: only chart-owned routing re-renders releases and needs it. */
const RERENDER_GROUP: TaskGroup = { name: 'chart', displayName: 'Chart (chart-owned routing)', isExpanded: true, visibleRule: 'routingOwnership = chart' };

/**
 * The chart inputs. Deploy installs the chart; with chart-owned routing the later tasks re-render releases
 * with new routing values, so they take the same chart (each release keeps its own chart version when the
 * chart comes from a repository or registry).
 */
function chartInputs(deploy: boolean): TaskInput[] {
  const more = deploy ? '' : ' Needed only with chart-owned routing, to re-render releases with new routing values: give the same chart as Deploy.';
  return [
    { name: 'chart', type: 'string', label: 'Chart', required: deploy, groupName: 'chart',
      helpMarkDown: `The chart: a local folder or \`.tgz\` (relative to the sources directory), a chart name together with a chart repository URL, or an \`oci://\` reference such as \`oci://myacr.azurecr.io/helm/calculator\`.${more}` },
    { name: 'chartRepository', type: 'string', label: 'Chart repository URL', groupName: 'chart',
      helpMarkDown: 'URL of the chart repository that holds the chart named above (helm `--repo`). Empty for local charts and `oci://` references.' },
    { name: 'chartVersion', type: 'string', label: 'Chart version', groupName: 'chart',
      helpMarkDown: 'Exact chart version to install from a repository or registry. Empty: the latest.' },
    ...CHART_AUTH_INPUTS,
  ];
}
const COMMON_ROUTING = [...ROUTING_INPUTS, ...GATEWAY_INPUTS, ...TRAFFIC_MANAGER_INPUTS];

/** Deploy's deliberate change of the app's settings (shared/core/settings.ts). */
const CHANGE_SETTINGS: TaskInput = {
  name: 'changeSettings', type: 'boolean', label: 'Change the app\'s settings', defaultValue: INPUT_DEFAULTS.changeSettings, groupName: 'routing',
  helpMarkDown: "Deploy records the app's layout and routing settings in the cluster, and refuses settings that differ from the recorded ones, so that a mistyped router or host never rewrites a live app's routing. Set this to change them on purpose (the namespace layout cannot change).",
};

/**
 * The later tasks read the app's settings from the record Deploy wrote: their setting inputs have no
 * default and are never required (an empty input means "as recorded"), and a value given must agree.
 */
function recordedSettings(inputs: TaskInput[]): TaskInput[] {
  return inputs.map((input) => {
    if (!RECORDED_INPUTS.includes(input.name)) return input;
    const { defaultValue: _default, required: _required, ...rest } = input;
    return { ...rest, helpMarkDown: `${input.helpMarkDown} Empty: as recorded by Deploy (a value given must match it).` };
  });
}

/** Loc strings every task may use (tl.loc in shared/); task-specific ones are added per task. A unit test holds them to the code. */
const COMMON_MESSAGES: Record<string, string> = { NotDeployed: 'App %s is not deployed (namespace %s does not exist): %s' };

const version = (): { Major: number; Minor: number; Patch: number } => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const [, minor, patch] = pkg.version.split('.').map(Number);
  return { Major: 1, Minor: minor ?? 0, Patch: patch ?? 0 };
};

const SPECS: Record<TaskFolder, TaskSpec> = {
  Deploy: {
    id: 'f18b4b64-01e4-4fb3-9e7d-b9f1786b6dd8',
    name: 'BlueGreenDeploy',
    friendlyName: 'Blue/green: deploy to staging slot',
    description: 'Install a helm chart into the idle blue/green slot, reachable only by testers until it is promoted.',
    instanceNameFormat: 'Blue/green deploy $(name)',
    groups: [GROUP.cluster, GROUP.app, GROUP.chart, ...ROUTING_GROUPS, GROUP.advanced],
    inputs: [
      ...CLUSTER_INPUTS,
      ...APP_INPUTS,
      ...chartInputs(true),
      { name: 'valueFiles', aliases: ['valueFile'], type: 'multiLine', label: 'Value files', groupName: 'chart', properties: { resizable: 'true', rows: '2' },
        helpMarkDown: 'Values files, one per line, applied in order (helm `-f`). Relative paths start at the sources directory.' },
      { name: 'setValues', aliases: ['overrideValues'], type: 'multiLine', label: 'Set values', groupName: 'chart', properties: { resizable: 'true', rows: '4' },
        helpMarkDown: 'Values to set, one `key=value` per line (helm `--set` paths, e.g. `image.tag=$(Build.BuildId)`); they win over the value files.' },
      { name: 'secretValues', type: 'multiLine', label: 'Secret values', groupName: 'chart', properties: { resizable: 'true', rows: '2' },
        helpMarkDown: 'Like set values, but each value is masked in the logs and given to helm in a file, never on a command line. Write the values as secret variables, e.g. `db.password=$(dbPassword)`.' },
      { name: 'timeout', type: 'string', label: 'Timeout', defaultValue: INPUT_DEFAULTS.deployTimeout, groupName: 'chart', validation: DURATION,
        helpMarkDown: 'How long helm waits for the release to become ready (helm duration, e.g. `10m0s`).' },
      { name: 'createNamespace', type: 'boolean', label: 'Create namespace', defaultValue: INPUT_DEFAULTS.createNamespace, groupName: 'chart',
        helpMarkDown: "Create the slot's namespace if it does not exist." },
      ...FAIL_FAST_INPUTS,
      ...COMMON_ROUTING,
      CHANGE_SETTINGS,
      ...ADVANCED_INPUTS,
      checkAddressInput('advanced'),
      checksCaInput('advanced'),
    ],
    outputVariables: [
      { name: 'slot', description: 'Slot this run deployed to (blue or green).' },
      { name: 'stagingSlot', description: 'Slot that now holds the staged release (empty on a first deploy).' },
      { name: 'productionSlot', description: 'Slot that serves production.' },
      { name: 'releaseName', description: 'Helm release this run installed or upgraded.' },
      { name: 'namespace', description: 'Namespace of that release.' },
      { name: 'firstDeploy', description: 'true when there was no release yet and the new slot became production directly.' },
      { name: 'version', description: 'Version of the deployed release (chart appVersion).' },
    ],
    messages: {
      FirstDeploy: 'First deploy: version %s is in production in slot %s.',
      Staged: 'Version %s is staged in slot %s; production stays on slot %s.',
    },
  },
  RouteTraffic: {
    id: '88f7a745-233b-492f-a4ec-9d2209b750f3',
    name: 'BlueGreenRouteTraffic',
    friendlyName: 'Blue/green: validate and route traffic',
    description: 'Check the staged blue/green slot over HTTP (and helm test), then optionally send a share of real users to it.',
    instanceNameFormat: 'Blue/green route traffic $(name)',
    groups: [GROUP.cluster, GROUP.app, { ...GROUP.checks, displayName: 'Validation and traffic' }, GATES_GROUP, ...ROUTING_GROUPS, RERENDER_GROUP, GROUP.advanced],
    inputs: recordedSettings([
      ...CLUSTER_INPUTS,
      ...APP_INPUTS,
      ...chartInputs(false),
      ...checksInputs(),
      { name: 'helmTest', type: 'boolean', label: 'Run helm test', defaultValue: INPUT_DEFAULTS.helmTest, groupName: 'checks',
        helpMarkDown: "Also run the chart's tests (`helm test`) against the staged release." },
      { name: 'trafficPercent', type: 'string', label: 'Traffic to staging (%)', defaultValue: INPUT_DEFAULTS.trafficPercent, groupName: 'checks', validation: PERCENT,
        helpMarkDown: 'Share of real users sent to the staging slot after the checks pass, 0-100 (not available with AGIC). 0: testers only.' },
      ...TRAFFIC_STEP_INPUTS,
      { name: 'timeout', type: 'string', label: 'Timeout', defaultValue: INPUT_DEFAULTS.routeTrafficTimeout, groupName: 'checks', validation: DURATION,
        helpMarkDown: 'How long helm test and the routing changes may take (helm duration, e.g. `5m0s`).' },
      ...gateInputs('RouteTraffic'),
      ...COMMON_ROUTING,
      ...ADVANCED_INPUTS,
    ]),
    outputVariables: [
      { name: 'stagingSlot', description: 'Slot that was validated.' },
      { name: 'productionSlot', description: 'Slot that serves production.' },
      { name: 'trafficPercent', description: 'Share of users the staging slot now receives.' },
      { name: 'checksPassed', description: 'true when every check passed.' },
    ],
    messages: {
      StagingValidated: 'Slot %s (version %s) passed validation.',
      StagingValidatedWithUsers: 'Slot %s (version %s) passed validation and receives %s %% of users.',
      ProductionValidated: 'Production (slot %s) passed validation.',
    },
  },
  OnSuccess: {
    id: 'a255c85f-f13c-4ead-9eb0-04df39ba9800',
    name: 'BlueGreenOnSuccess',
    friendlyName: 'Blue/green: promote staging slot',
    description: 'Switch production to the validated staging slot in one step, then retire the old slot once it is drained.',
    instanceNameFormat: 'Blue/green promote $(name)',
    groups: [GROUP.cluster, GROUP.app, GROUP.checks, GATES_GROUP, GROUP.retire, ...ROUTING_GROUPS, RERENDER_GROUP, GROUP.advanced],
    inputs: recordedSettings([
      ...CLUSTER_INPUTS,
      ...APP_INPUTS,
      ...chartInputs(false),
      ...checksInputs(),
      { name: 'retirePolicy', type: 'pickList', label: 'Old slot after promotion', defaultValue: INPUT_DEFAULTS.retirePolicy, groupName: 'retire',
        options: { delete: 'Uninstall its release', keep: 'Keep its release installed, without traffic' },
        helpMarkDown: 'What happens to the previous production slot once no traffic reaches it: uninstall it, or keep it for inspection.' },
      { name: 'drainSeconds', type: 'string', label: 'Drain time (seconds)', defaultValue: INPUT_DEFAULTS.drainSeconds, groupName: 'retire', validation: wholeNumber(0, 3600),
        helpMarkDown: 'How long the old slot keeps serving open connections after the switch before it is retired (Traffic Manager adds the profile TTL).' },
      ...gateInputs('OnSuccess'),
      ...COMMON_ROUTING,
      ...ADVANCED_INPUTS,
    ]),
    outputVariables: [
      { name: 'productionSlot', description: 'Slot that serves production after this step.' },
      { name: 'productionVersion', description: 'Version now in production.' },
      { name: 'promoted', description: 'true when this run switched production (false when there was nothing to promote).' },
      { name: 'retiredSlot', description: 'Slot that was retired (empty if none).' },
    ],
    messages: {
      Promoted: 'Slot %s (version %s) serves production.',
    },
  },
  OnFailure: {
    id: '57652297-c224-4efe-922e-f7fd5bc5f997',
    name: 'BlueGreenOnFailure',
    friendlyName: 'Blue/green: reject staging slot',
    description: 'Withdraw the staged blue/green slot; production is left untouched.',
    instanceNameFormat: 'Blue/green reject $(name)',
    groups: [GROUP.cluster, GROUP.app, GROUP.failure, ...ROUTING_GROUPS, RERENDER_GROUP, GROUP.advanced],
    inputs: recordedSettings([
      ...CLUSTER_INPUTS,
      ...APP_INPUTS,
      ...chartInputs(false),
      { name: 'keepFailedSlot', type: 'boolean', label: 'Keep the failed slot', defaultValue: INPUT_DEFAULTS.keepFailedSlot, groupName: 'failure',
        helpMarkDown: 'Keep the rejected release installed (without any traffic) for debugging instead of uninstalling it.' },
      ...COMMON_ROUTING,
      ...ADVANCED_INPUTS,
      checkAddressInput('advanced'),
      checksCaInput('advanced'),
    ]),
    outputVariables: [
      { name: 'productionSlot', description: 'Slot that serves production (unchanged).' },
      { name: 'productionVersion', description: 'Version in production.' },
      { name: 'rejectedSlot', description: 'Slot that was withdrawn (empty if nothing was staged).' },
    ],
    messages: {
      Withdrawn: 'Slot %s was withdrawn; production stays on slot %s.',
    },
  },
  Rollback: {
    id: '6a6981eb-1701-4404-b72d-51eb83c3a17e',
    name: 'BlueGreenRollback',
    friendlyName: 'Blue/green: roll back to the previous production',
    description: 'Return production to the previous version kept in the other slot (retirePolicy: keep): validate it, switch in one step, confirm.',
    instanceNameFormat: 'Blue/green roll back $(name)',
    groups: [GROUP.cluster, GROUP.app, GROUP.checks, { name: 'rolledBack', displayName: 'Version rolled back from', isExpanded: true }, ...ROUTING_GROUPS, RERENDER_GROUP, GROUP.advanced],
    inputs: recordedSettings([
      ...CLUSTER_INPUTS,
      ...APP_INPUTS,
      ...chartInputs(false),
      ...checksInputs(),
      { name: 'afterRollback', type: 'pickList', label: 'Version rolled back from', defaultValue: INPUT_DEFAULTS.afterRollback, groupName: 'rolledBack',
        options: { stage: 'Keep it staged, reachable by testers only, for investigation', remove: 'Uninstall its release once drained' },
        helpMarkDown: 'What becomes of the version production leaves: staged for investigation (testers reach it as they reach a staged version; the next Deploy replaces it), or uninstalled once no traffic reaches it.' },
      { name: 'drainSeconds', type: 'string', label: 'Drain time (seconds)', defaultValue: INPUT_DEFAULTS.drainSeconds, groupName: 'rolledBack', validation: wholeNumber(0, 3600), visibleRule: 'afterRollback = remove',
        helpMarkDown: 'With `remove`: how long the version rolled back from keeps serving open connections before it is uninstalled.' },
      ...COMMON_ROUTING,
      ...ADVANCED_INPUTS,
    ]),
    outputVariables: [
      { name: 'productionSlot', description: 'Slot that serves production after the rollback.' },
      { name: 'productionVersion', description: 'Version in production after the rollback.' },
      { name: 'rolledBackFrom', description: 'Slot production was taken away from.' },
    ],
    messages: {
      RolledBack: 'Production is back on slot %s (version %s); version %s was rolled back from.',
    },
  },
};

export const TASK_FOLDERS = Object.keys(SPECS) as TaskFolder[];

/** Pick lists filled from the Azure connections, as in Microsoft's HelmDeploy task. */
const DATA_SOURCE_BINDINGS = [
  {
    target: 'azureResourceGroup',
    endpointId: '$(azureSubscriptionEndpoint)',
    endpointUrl:
      '{{{endpoint.url}}}/subscriptions/{{{endpoint.subscriptionId}}}/providers/Microsoft.ContainerService/managedClusters?api-version=2024-05-01&$skiptoken={{{skiptoken}}}',
    callbackContextTemplate: '{"skiptoken": "{{#getTokenValue response.nextLink}}{{extractUrlQueryParameter %24skiptoken}}{{/getTokenValue}}"}',
    callbackRequiredTemplate: '{{isTokenPresent response.nextLink}}',
    initialContextTemplate: '{"skiptoken": ""}',
    resultSelector: 'jsonpath:$.value[*]',
    resultTemplate: '{{{ #extractResource id resourcegroups}}}',
  },
  {
    target: 'kubernetesCluster',
    endpointId: '$(azureSubscriptionEndpoint)',
    endpointUrl:
      '{{{endpoint.url}}}/subscriptions/{{{endpoint.subscriptionId}}}/resourceGroups/$(azureResourceGroup)/providers/Microsoft.ContainerService/managedClusters?api-version=2024-05-01',
    resultSelector: 'jsonpath:$.value[*]',
    resultTemplate: '{{{name}}}',
  },
  { target: 'trafficManagerResourceGroup', endpointId: '$(trafficManagerConnection)', dataSourceName: 'AzureResourceGroups' },
  {
    target: 'trafficManagerProfile',
    endpointId: '$(trafficManagerConnection)',
    endpointUrl:
      '{{{endpoint.url}}}/subscriptions/{{{endpoint.subscriptionId}}}/resourceGroups/$(trafficManagerResourceGroup)/providers/Microsoft.Network/trafficmanagerprofiles?api-version=2022-04-01',
    resultSelector: 'jsonpath:$.value[*]',
    resultTemplate: '{{{name}}}',
  },
];

export function taskJson(task: TaskFolder): object {
  const spec = SPECS[task];
  const handler = { target: 'index.js', argumentFormat: '' };
  return {
    $schema: 'https://raw.githubusercontent.com/Microsoft/azure-pipelines-task-lib/master/tasks.schema.json',
    id: spec.id,
    name: spec.name,
    friendlyName: spec.friendlyName,
    description: spec.description,
    helpUrl: helpUrl(task),
    helpMarkDown: `[How ${spec.friendlyName.replace('Blue/green: ', '')} works](${helpUrl(task)})`,
    category: 'Deploy',
    visibility: ['Build', 'Release'],
    runsOn: ['Agent', 'DeploymentGroup'],
    author: 'Helm blue/green for Azure Pipelines contributors',
    version: version(),
    minimumAgentVersion: MINIMUM_AGENT_VERSION,
    instanceNameFormat: spec.instanceNameFormat,
    groups: spec.groups,
    inputs: spec.inputs.map(({ required, ...input }) => ({
      ...input,
      // task.json spells these as the agent expects: "required" only when true, defaults always present.
      defaultValue: input.defaultValue ?? '',
      ...(required ? { required: true } : {}),
    })),
    dataSourceBindings: DATA_SOURCE_BINDINGS,
    outputVariables: spec.outputVariables,
    execution: { Node20_1: handler, Node24: handler },
    messages: { ...COMMON_MESSAGES, ...spec.messages },
  };
}

export function taskJsonText(task: TaskFolder): string {
  return `${JSON.stringify(taskJson(task), null, 2)}\n`;
}

export const taskJsonPath = (task: TaskFolder): string => path.join(repoRoot, 'tasks', task, 'task.json');

if (require.main === module) {
  for (const task of TASK_FOLDERS) {
    fs.writeFileSync(taskJsonPath(task), taskJsonText(task));
    console.log(`wrote tasks/${task}/task.json`);
  }
}
