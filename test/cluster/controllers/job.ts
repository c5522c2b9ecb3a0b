// Jobs (helm hooks often are): one pod per Job, and the Complete / Failed condition helm waits for.
import type { Store } from '../store';
import { randomSuffix } from '../apiserver/metadata';
import { controllerRef, createObject, isControlledBy, now, resource, setCondition, writeStatus } from './common';

export function reconcileJob(store: Store, namespace: string | undefined, name: string): void {
  const jobs = resource('Job');
  const pods = resource('Pod');
  const job = store.get(jobs, namespace, name);
  if (!job) return;
  const owned = store.list(pods, namespace).filter((p) => isControlledBy(p, job));
  if (owned.length === 0 && !job.status?.startTime) {
    const template = job.spec?.template ?? {};
    const labels = { ...template.metadata?.labels, 'batch.kubernetes.io/job-name': name, 'job-name': name, 'batch.kubernetes.io/controller-uid': job.metadata.uid ?? '' };
    createObject(store, pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${name}-${randomSuffix()}`, namespace, labels, ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}), ownerReferences: [controllerRef(job)] },
      spec: structuredClone(template.spec ?? {}),
    });
  }
  const fresh = store.get(jobs, namespace, name);
  if (!fresh) return;
  const latest = store.list(pods, namespace).filter((p) => isControlledBy(p, fresh));
  const succeeded = latest.filter((p) => p.status?.phase === 'Succeeded').length;
  const failed = latest.filter((p) => p.status?.phase === 'Failed').length;
  const active = latest.length - succeeded - failed;
  const status: Record<string, unknown> = { ...fresh.status, startTime: fresh.status?.startTime ?? now(), ...(active ? { active } : {}), ...(succeeded ? { succeeded } : {}), ...(failed ? { failed } : {}) };
  if (!active) delete status.active;
  if (succeeded > 0 && !fresh.status?.completionTime) {
    status.completionTime = now();
    status.conditions = setCondition(setCondition(fresh.status?.conditions, { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached' }), { type: 'Complete', status: 'True', reason: 'CompletionsReached' });
  } else if (failed > 0 && !(fresh.status?.conditions ?? []).some((c: { type: string }) => c.type === 'Failed')) {
    status.conditions = setCondition(setCondition(fresh.status?.conditions, { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }), { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
  }
  writeStatus(store, jobs, fresh, status);
}
