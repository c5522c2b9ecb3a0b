// API writes per promotion in managed mode: every write the API server received while OnSuccess ran,
// from its write log, split into routing (Services, Ingresses, HTTPRoutes the task owns), the settle
// fence, the lease, the app's record, and helm (retiring the old release). Pods are ready at once; the
// data plane applies changes with the test delays (TEST_DELAYS), which only the fence waits for. The target is what managed routing promises: production moves in one write (docs/decisions/0003-managed-routing-one-write.md).
import type { WriteRecord } from '../cluster/apiserver/faults';
import { checksFor, type RouterName, startEnv, version } from '../integration/env';
import { succeed } from './tasktime';
import type { Metric } from './stats';

/**
 * `fence`: the settle fence's own route and Service (shared/routers/fence.ts); it routes no user.
 * `record`: the app's record ConfigMap (validations, promotions begun and confirmed).
 */
export type WriteKind = 'routing' | 'fence' | 'lease' | 'record' | 'helm' | 'other';

const ROUTING_RESOURCES = new Set(['services', 'ingresses', 'httproutes']);

export function classify(w: WriteRecord): WriteKind {
  if (/helm/i.test(w.manager) || /helm/i.test(w.userAgent)) return 'helm';
  if (w.resource === 'leases') return 'lease';
  if (/-bluegreen-fence$/.test(w.name ?? '')) return 'fence';
  if (w.resource === 'configmaps' && /-bluegreen-record$/.test(w.name ?? '')) return 'record';
  if (ROUTING_RESOURCES.has(w.resource)) return 'routing';
  return 'other';
}

const describe = (w: WriteRecord) => `${w.method} ${w.resource}${w.subresource ? `/${w.subresource}` : ''} ${w.namespace ? `${w.namespace}/` : ''}${w.name ?? ''}`.trim();

export async function benchWrites(router: Extract<RouterName, 'nginx' | 'appgw'>): Promise<Metric> {
  const env = await startEnv({ helm: 'v4', router, ownership: 'managed', readyDelayMs: 0 });
  try {
    await succeed(env, 'Deploy', 1, version('1.0.0'), 'Deploy v1');
    await succeed(env, 'Deploy', 2, version('2.0.0'), 'Deploy v2');
    await succeed(env, 'RouteTraffic', 2, checksFor('2.0.0'), 'RouteTraffic v2');
    const mark = env.cluster.writes.mark();
    await succeed(env, 'OnSuccess', 2, checksFor('2.0.0'), 'OnSuccess v2');
    const writes = env.cluster.writes.since(mark).filter((w) => !w.dryRun);
    const by = (kind: WriteKind) => writes.filter((w) => classify(w) === kind);
    const routing = by('routing');
    return {
      id: `promotion-routing-writes-${router}`,
      name: `Routing writes per promotion, managed ${router === 'nginx' ? 'ingress-nginx' : 'App Gateway'} (OnSuccess)`,
      value: routing.length,
      unit: 'writes',
      target: { op: '==', value: 1 },
      basis: `${routing.map(describe).join(', ') || 'none'}; also ${by('fence').length} settle fence, ${by('lease').length} lease, ${by('record').length} record, ${by('helm').length} helm (retiring v1), ${by('other').length} other`,
      data: Object.fromEntries((['routing', 'fence', 'lease', 'record', 'helm', 'other'] as const).map((k) => [k, by(k).map(describe)])),
    };
  } finally {
    await env.close();
  }
}
