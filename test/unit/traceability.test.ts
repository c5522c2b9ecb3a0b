// The azure-pipelines/* annotations: the same keys and values Microsoft's KubernetesManifest task writes,
// for YAML runs and classic releases, and the objects of a release they go on.
import * as assert from 'node:assert/strict';
import { annotatable, pipelineAnnotations } from '../../shared/kubernetes/traceability';

const vars = (v: Record<string, string>) => (name: string) => v[name];
const ORG = { 'System.TeamFoundationCollectionUri': 'https://dev.azure.com/contoso/', 'System.TeamProject': 'web shop', 'Agent.JobName': 'Deploy calc' };

describe('traceability annotations', () => {
  it('a YAML run: build number, pipeline, its id, job, run URI, project and organization', () => {
    const a = pipelineAnnotations(vars({ ...ORG, 'Build.BuildNumber': '20261130.4', 'Build.BuildId': '812', 'Build.DefinitionName': 'calc-cd', 'System.DefinitionId': '17' }));
    assert.deepEqual(a, {
      'azure-pipelines/run': '20261130.4',
      'azure-pipelines/pipeline': 'calc-cd',
      'azure-pipelines/pipelineId': '17',
      'azure-pipelines/runuri': 'https://dev.azure.com/contoso/web%20shop/_build/results?buildId=812',
      'azure-pipelines/jobName': 'Deploy calc',
      'azure-pipelines/project': 'web shop',
      'azure-pipelines/org': 'https://dev.azure.com/contoso/',
    });
  });

  it('a classic release names the release and links to its progress page', () => {
    const a = pipelineAnnotations(vars({ ...ORG, 'System.HostType': 'release', 'Release.ReleaseId': '55', 'Release.DefinitionName': 'calc-release', 'Release.DefinitionId': '3', 'Build.BuildNumber': 'artifact-build' }));
    assert.equal(a['azure-pipelines/run'], '55');
    assert.equal(a['azure-pipelines/pipeline'], 'calc-release');
    assert.equal(a['azure-pipelines/runuri'], 'https://dev.azure.com/contoso/web%20shop/_releaseProgress?releaseId=55');
  });

  it('outside a pipeline there is nothing to annotate', () => {
    assert.deepEqual(pipelineAnnotations(vars({})), {});
  });

  it('annotates workloads, Services and routes of the manifest, never ConfigMaps or Secrets', () => {
    const manifest = [
      '---\n# Source: app/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: calc-green-config',
      '---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: calc-green',
      '---\napiVersion: v1\nkind: Service\nmetadata:\n  name: calc-green\n  namespace: other',
      '---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: calc-green',
      '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: calc-green-secret',
    ].join('\n');
    assert.deepEqual(
      annotatable(manifest, 'calc').map((r) => `${r.kind} ${r.namespace}/${r.name}`),
      ['Deployment calc/calc-green', 'Service other/calc-green', 'Ingress calc/calc-green'],
    );
  });
});
