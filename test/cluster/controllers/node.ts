// The local cluster's one node: its name and address, and what it can give pods (a Standard_D4s_v5
// agent node's allocatable resources on AKS).
export const NODE_NAME = 'aks-nodepool1-00000000-vmss000000';
export const HOST_IP = '10.224.0.4';
export const ALLOCATABLE = { cpuMilli: 3860, memoryBytes: 12_884_901_888 };

const SUFFIX: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
};

/** A resource.Quantity (`500m`, `2`, `1.5Gi`) as a number of units; NaN when it is not one. */
export function quantity(text: unknown): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(text ?? '').trim());
  const unit = m ? SUFFIX[m[2] ?? ''] : undefined;
  if (!m || unit === undefined) return NaN;
  return Number(m[1]) * unit;
}

type Resources = { requests?: Record<string, unknown>; limits?: Record<string, unknown> };

/**
 * The scheduler's verdict on a pod for this node: undefined when it fits, else the FailedScheduling
 * message. Requests default to limits, as the API server's defaulting does.
 */
export function unschedulableMessage(containers: Array<{ resources?: Resources }>): string | undefined {
  const sum = (key: 'cpu' | 'memory') =>
    containers.reduce((n, c) => n + (quantity(c.resources?.requests?.[key] ?? c.resources?.limits?.[key] ?? '0') || 0), 0);
  const missing: string[] = [];
  if (sum('cpu') * 1000 > ALLOCATABLE.cpuMilli) missing.push('Insufficient cpu');
  if (sum('memory') > ALLOCATABLE.memoryBytes) missing.push('Insufficient memory');
  if (missing.length === 0) return undefined;
  return `0/1 nodes are available: ${missing.map((m) => `1 ${m}`).join(', ')}. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.`;
}
