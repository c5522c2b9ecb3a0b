// The pod `log` subresource of the local cluster. No container runs here, so a container's log is what
// the emulator made of it: one line for a container that serves, and the lines a crashing container
// printed before it exited (the same for every run, so `previous=true` reads the same). A container that
// never started has no log: the API server answers 400 "is waiting to start", as the real one does.
import type { KubeObject } from '../store';
import { crashes, type Container } from './podfaults';

export class PodLogError extends Error {}

export interface LogQuery {
  container?: string;
  tailLines?: number;
  previous?: boolean;
}

export function podLog(pod: KubeObject, q: LogQuery = {}): string {
  const containers = (pod.spec?.containers ?? []) as Container[];
  const name = pod.metadata.name;
  if (!q.container && containers.length > 1) {
    throw new PodLogError(`a container name must be specified for pod ${name}, choose one of: [${containers.map((c) => c.name).join(' ')}]`);
  }
  const container = q.container ? containers.find((c) => c.name === q.container) : containers[0];
  if (!container) throw new PodLogError(`container ${q.container} is not valid for pod ${name}`);
  const status = ((pod.status?.containerStatuses ?? []) as Array<{ name: string; restartCount?: number; state?: { waiting?: { reason?: string } }; lastState?: { terminated?: unknown } }>).find(
    (s) => s.name === container.name,
  );
  if (q.previous && !status?.lastState?.terminated) throw new PodLogError(`previous terminated container "${container.name}" in pod "${name}" not found`);
  const waiting = status?.state?.waiting?.reason;
  if (!q.previous && (!status || (waiting && !status.lastState?.terminated))) {
    throw new PodLogError(`container "${container.name}" in pod "${name}" is waiting to start: ${waiting ?? 'ContainerCreating'}`);
  }
  const env = container.env ?? [];
  const failing = env.some((e) => e.name === 'FAIL' && e.value === 'true');
  const lines = crashes(container.image)
    ? [
        `[local cluster] ${container.image} starting (container ${container.name} of pod ${name})`,
        `fatal: cannot start: the local cluster makes images tagged "crash" exit with code 1`,
      ]
    : [`[local cluster] pod ${name}: phase ${pod.status?.phase ?? 'Pending'}${failing ? ' (FAIL=true)' : ''}`];
  const tail = q.tailLines !== undefined && q.tailLines >= 0 ? lines.slice(Math.max(0, lines.length - q.tailLines)) : lines;
  return tail.map((l) => `${l}\n`).join('');
}
