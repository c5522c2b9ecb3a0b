import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  readDeployInputs,
  readOnFailureInputs,
  readRollbackInputs,
  readOnSuccessInputs,
  readRouteTrafficInputs,
  type InputSource,
} from '../../shared/inputs/read';
import { MINIMUM_AGENT_VERSION, TASK_FOLDERS, type TaskFolder, taskJsonPath, taskJsonText } from '../../scripts/taskjson';
import { taskDocsPath, taskDocsText } from '../../scripts/taskdocs';
import { fakeSource } from './fake-inputs';

interface TaskJson {
  id: string;
  name: string;
  version: { Major: number };
  minimumAgentVersion: string;
  helpUrl?: string;
  groups: Array<{ name: string; visibleRule?: string }>;
  inputs: Array<{ name: string; type: string; groupName: string; visibleRule?: string; aliases?: string[]; defaultValue: string; options?: object }>;
  dataSourceBindings: Array<{ target: string; endpointId: string }>;
  execution: Record<string, { target: string }>;
  messages: Record<string, string>;
}

const READERS: Record<TaskFolder, (src: InputSource) => unknown> = {
  Deploy: readDeployInputs,
  RouteTraffic: readRouteTrafficInputs,
  OnSuccess: readOnSuccessInputs,
  OnFailure: readOnFailureInputs,
  Rollback: readRollbackInputs,
};

const committed = (task: TaskFolder): TaskJson => JSON.parse(fs.readFileSync(taskJsonPath(task), 'utf8')) as TaskJson;

describe('task.json', () => {
  let sources: string;
  before(() => {
    sources = fs.mkdtempSync(path.join(os.tmpdir(), 'taskjson-'));
    fs.mkdirSync(path.join(sources, 'chart'));
    fs.writeFileSync(path.join(sources, 'kubeconfig'), 'apiVersion: v1\n');
  });
  after(() => fs.rmSync(sources, { recursive: true, force: true }));

  /** Input combinations that together take every branch of the readers. */
  const combinations = (): Array<Record<string, string>> => {
    const app = { name: 'calc', namespace: 'calc', chart: 'chart', host: 'calc.contoso.com' };
    return [
      { ...app, kubernetesServiceEndpoint: 'k8s' },
      { ...app, connectionType: 'Azure Resource Manager', azureSubscriptionEndpoint: 'arm', azureResourceGroup: 'rg', kubernetesCluster: 'aks', router: 'gateway', gatewayName: 'gw' },
      { ...app, connectionType: 'Kubeconfig File', kubeconfigFile: 'kubeconfig', router: 'trafficmanager', trafficManagerConnection: 'tm', trafficManagerResourceGroup: 'rg', trafficManagerProfile: 'p', trafficManagerEndpointType: 'AzureEndpoints' },
      // Metric gates with each way to authenticate.
      ...([
        { metricsAuth: 'bearer', metricsToken: 't' },
        { metricsAuth: 'basic', metricsUsername: 'u', metricsPassword: 'p' },
        { metricsAuth: 'azureMonitor', metricsServer: 'https://ws.westeurope.prometheus.monitor.azure.com', metricsAzureConnection: 'arm' },
      ] as Array<Record<string, string>>).map((auth: Record<string, string>) => ({ ...app, kubernetesServiceEndpoint: 'k8s', gates: 'up >= 1', metricsServer: 'http://prometheus:9090', ...auth })),
      // Progressive traffic.
      { ...app, kubernetesServiceEndpoint: 'k8s', trafficSteps: '10, 25, 50' },
      // Chart registry sign-in, one kind each (docs/registries.md).
      { ...app, kubernetesServiceEndpoint: 'k8s', chart: 'oci://r.example/helm/calc', chartRegistryAuth: 'dockerRegistry', dockerRegistryConnection: 'reg' },
      { ...app, kubernetesServiceEndpoint: 'k8s', chart: 'oci://r.example/helm/calc', chartRegistryAuth: 'azureContainerRegistry', chartAzureSubscription: 'arm' },
      { ...app, kubernetesServiceEndpoint: 'k8s', chart: 'calc', chartRepository: 'https://charts.example', chartRegistryAuth: 'basic', chartUsername: 'u', chartPassword: 'p' },
    ];
  };

  for (const task of TASK_FOLDERS) {
    describe(task, () => {
      it('is committed exactly as scripts/taskjson.ts generates it (run npm run build)', () => {
        assert.equal(fs.readFileSync(taskJsonPath(task), 'utf8'), taskJsonText(task));
      });

      it('declares exactly the inputs its reader reads', () => {
        const read = new Set<string>();
        for (const inputs of combinations()) {
          const src = fakeSource(inputs, { 'Build.SourcesDirectory': sources });
          READERS[task](src);
          for (const name of [...src.read, ...src.readSecretly]) read.add(name);
        }
        const declared = committed(task).inputs.map((i) => i.name);
        assert.deepEqual([...read].sort(), [...declared].sort());
      });

      it('is consistent: groups, visible rules, aliases, pick lists and data sources refer to what exists', () => {
        const json = committed(task);
        const names = new Set(json.inputs.map((i) => i.name));
        const groups = new Set(json.groups.map((g) => g.name));
        assert.equal(names.size, json.inputs.length, 'input names are unique');
        for (const input of json.inputs) {
          assert.ok(groups.has(input.groupName), `${input.name}: group ${input.groupName} exists`);
          for (const alias of input.aliases ?? []) assert.ok(!names.has(alias), `alias ${alias} is not also an input name`);
          if (input.type === 'pickList' && input.options && input.defaultValue) {
            assert.ok(Object.keys(input.options).includes(input.defaultValue), `${input.name}: default is an option`);
          }
        }
        for (const rule of [...json.inputs, ...json.groups].map((x) => x.visibleRule).filter((r): r is string => !!r)) {
          for (const clause of rule.split(/\s*(?:&&|\|\|)\s*/)) {
            const [subject] = clause.split(/\s*(?:!=|==|=)\s*/);
            assert.ok(subject !== undefined && names.has(subject), `visibleRule '${rule}' refers to input ${subject}`);
          }
        }
        for (const binding of json.dataSourceBindings) {
          assert.ok(names.has(binding.target), `data source target ${binding.target}`);
          assert.ok(names.has(binding.endpointId.replace(/^\$\((.*)\)$/, '$1')), `data source endpoint ${binding.endpointId}`);
        }
      });

      it('runs on the Node 20 and Node 24 handlers of agents that have both', () => {
        const json = committed(task);
        assert.equal(json.version.Major, 1);
        assert.deepEqual(Object.keys(json.execution).sort(), ['Node20_1', 'Node24']);
        for (const handler of Object.values(json.execution)) assert.equal(handler.target, 'index.js');
        assert.equal(json.minimumAgentVersion, MINIMUM_AGENT_VERSION);
        assert.ok(Object.keys(json.messages).length > 0);
      });
    });
  }

  it('gives the tasks distinct ids and names', () => {
    const all = TASK_FOLDERS.map(committed);
    assert.equal(new Set(all.map((t) => t.id)).size, all.length);
    assert.equal(new Set(all.map((t) => t.name)).size, all.length);
    for (const t of all) assert.match(t.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(all.map((t) => t.name), ['BlueGreenDeploy', 'BlueGreenRouteTraffic', 'BlueGreenOnSuccess', 'BlueGreenOnFailure', 'BlueGreenRollback']);
  });
});

describe('docs/tasks.md (the task reference)', () => {
  it('is committed exactly as scripts/taskdocs.ts generates it (run npm run build)', () => {
    assert.equal(fs.readFileSync(taskDocsPath, 'utf8'), taskDocsText());
  });
  it('has a section for every task, where its helpUrl points', () => {
    const text = fs.readFileSync(taskDocsPath, 'utf8');
    for (const task of TASK_FOLDERS) {
      assert.match(text, new RegExp(`^## ${task}$`, 'm'));
      assert.ok(committed(task).helpUrl?.endsWith(`docs/tasks.md#${task.toLowerCase()}`), `${task} helpUrl`);
    }
  });
});
