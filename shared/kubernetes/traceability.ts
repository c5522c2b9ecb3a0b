// Traceability: the objects a task deploys carry the `azure-pipelines/*` annotations Microsoft's
// KubernetesManifest task writes (run, pipeline, pipeline id, job, run URI, project, organization), so the
// Environment's Kubernetes resource view and `kubectl describe` link a workload to the run that made it.
//
// The annotations go on the objects' own metadata with a merge patch after helm installed them, never on a
// pod template (that would roll the pods). helm leaves annotations it did not write alone on upgrade.
import type { Kube } from './client';
import type { SlotLocation } from '../core/model';
import YAML from 'yaml';

/** The pipeline variables the annotations are made of (task-lib's getVariable in a task). */
export type Variables = (name: string) => string | undefined;

/** The annotations for this run, as KubernetesManifest writes them (classic release pipelines name the release). */
export function pipelineAnnotations(variable: Variables): Record<string, string> {
  const org = variable('System.TeamFoundationCollectionUri') ?? variable('System.CollectionUri') ?? '';
  const project = variable('System.TeamProject') ?? '';
  const release = (variable('System.HostType') ?? '').toLowerCase() === 'release' && variable('Release.ReleaseId');
  const annotations: Record<string, string | undefined> = release
    ? {
        'azure-pipelines/run': variable('Release.ReleaseId'),
        'azure-pipelines/pipeline': variable('Release.DefinitionName'),
        'azure-pipelines/pipelineId': variable('Release.DefinitionId'),
        'azure-pipelines/runuri': org && `${org}${encodeURIComponent(project)}/_releaseProgress?releaseId=${variable('Release.ReleaseId')}`,
      }
    : {
        'azure-pipelines/run': variable('Build.BuildNumber'),
        'azure-pipelines/pipeline': variable('Build.DefinitionName'),
        'azure-pipelines/pipelineId': variable('System.DefinitionId'),
        'azure-pipelines/runuri': org && variable('Build.BuildId') && `${org}${encodeURIComponent(project)}/_build/results?buildId=${variable('Build.BuildId')}`,
      };
  annotations['azure-pipelines/jobName'] = variable('Agent.JobName');
  annotations['azure-pipelines/project'] = project;
  annotations['azure-pipelines/org'] = org;
  // Outside a pipeline (a manual run) there is nothing to point at.
  return Object.fromEntries(Object.entries(annotations).filter((e): e is [string, string] => !!e[1]));
}

/** The kinds annotated: what the Environment view and an operator look at (workloads and how they are reached). */
const ANNOTATED: Record<string, string> = {
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  Service: 'v1',
  Ingress: 'networking.k8s.io/v1',
  HTTPRoute: 'gateway.networking.k8s.io/v1',
};

/** The objects of a release's manifest worth annotating (kind, name, namespace). */
export function annotatable(manifest: string, namespace: string): Array<{ apiVersion: string; kind: string; name: string; namespace: string }> {
  return YAML.parseAllDocuments(manifest)
    .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string; namespace?: string } } | null)
    .flatMap((o) => {
      const apiVersion = o?.kind ? ANNOTATED[o.kind] : undefined;
      return apiVersion && o?.kind && o.metadata?.name ? [{ apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace ?? namespace }] : [];
    });
}

/** Annotates the release's objects that do not carry this run's annotations yet; returns how many. An object that is gone (or refused) is skipped, with the reason. */
export async function annotateRelease(kube: Kube, location: SlotLocation, manifest: string, annotations: Record<string, string>, warn: (line: string) => void): Promise<number> {
  if (Object.keys(annotations).length === 0) return 0;
  let done = 0;
  for (const ref of annotatable(manifest, location.namespace)) {
    try {
      // A re-run of the same run finds them in place: nothing to write.
      const current = (await kube.get(ref))?.metadata.annotations ?? {};
      if (Object.entries(annotations).every(([k, v]) => current[k] === v)) continue;
      await kube.mergePatch(ref, { metadata: { annotations } });
      done++;
    } catch (err) {
      warn(`Could not annotate ${ref.kind} ${ref.namespace}/${ref.name} with this run: ${(err as Error).message}`);
    }
  }
  return done;
}
