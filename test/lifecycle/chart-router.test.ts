// Chart-owned App Gateway routing (shared/routers/chart.ts) on the in-memory cluster, with the re-render
// port (core/rendering.ts) played by a fake that renders the chart's Ingress the way the test chart does:
// which slot is re-rendered with which routing, and in which order. helm's side of the port
// (helm/rerender.ts, the stored chart) runs against the emulated cluster in test/integration/rerender.test.ts.
import * as assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import type { Slot } from '../../shared/core/model';
import type { SlotRenderer, Values } from '../../shared/core/rendering';
import { readRouteTrafficInputs } from '../../shared/inputs/read';
import { Kube } from '../../shared/kubernetes/client';
import type { Log } from '../../shared/report/log';
import { chartAppGw } from '../../shared/routers/appgw/router';
import type { Router } from '../../shared/routers/router';
import { fakeSource } from '../unit/fake-inputs';
import { FakeCluster, Journal, routeKubeTo } from './fake-cluster';
import { APP } from './harness';

const quiet: Log = { info: () => undefined, warn: () => undefined, step: (_t, body) => body(), wait: async () => undefined };

/** What the chart renders from the routing values: one Ingress per slot, `/canary/*` when staged, none when disabled. */
class ChartRenderer implements SlotRenderer {
  readonly calls: string[] = [];
  private created = 0;
  constructor(private readonly cluster: FakeCluster, private readonly journal: Journal) {}

  async render(slot: Slot, values: Values): Promise<void> {
    // The default value keys: ingress.enabled, ingress.host, canary.
    const ingress = values.ingress as { enabled: boolean; host?: string };
    const exposure = !ingress.enabled ? 'unrouted' : values.canary === true ? 'staging' : 'production';
    this.calls.push(`${slot} ${exposure}`);
    const name = `calc-${slot}`;
    this.journal.add('helm', `render ${name} ${exposure}`);
    if (!ingress.enabled) {
      this.cluster.remove('networking.k8s.io/v1', 'Ingress', 'calc', name, undefined);
      return;
    }
    const path = exposure === 'staging' ? '/canary/*' : '/';
    const existing = this.cluster.get('networking.k8s.io/v1', 'Ingress', 'calc', name);
    // A re-rendered Ingress keeps its creation time; App Gateway's tie-break between two primaries is the oldest.
    const created = String(existing?.metadata.creationTimestamp ?? `2026-01-01T00:00:${String(++this.created).padStart(2, '0')}Z`);
    this.cluster.put(
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name, namespace: 'calc', creationTimestamp: created, annotations: { 'meta.helm.sh/release-name': name } },
        spec: { rules: [{ host: ingress.host, http: { paths: [{ path, backend: { service: { name, port: { number: 80 } } } }] } }] },
      },
      undefined,
      'render',
    );
  }
}

describe('chart-owned App Gateway router on the in-memory cluster: the re-renders of each verb', () => {
  let journal: Journal;
  let cluster: FakeCluster;
  let restore: () => void;
  let renderer: ChartRenderer;
  let router: Router;

  beforeEach(async () => {
    journal = new Journal();
    cluster = new FakeCluster(journal);
    restore = routeKubeTo(cluster);
    renderer = new ChartRenderer(cluster, journal);
    const inputs = readRouteTrafficInputs(fakeSource({ kubernetesServiceEndpoint: 'aks', name: 'calc', namespace: 'calc', host: 'calc.example.com', router: 'appgw', routingOwnership: 'chart' }, { 'Build.BuildId': '1' }));
    router = chartAppGw({ app: APP, inputs: inputs.routing, kube: new Kube(new KubeConfig()), log: quiet, renderer });
    await router.establish('blue');
    await router.exposeStaging('green');
    renderer.calls.length = 0;
  });
  afterEach(() => restore());

  it('reads who serves from the rendered Ingresses', async () => {
    assert.deepEqual(await router.observe(), { production: 'blue', staging: 'green', stagingPercent: 0 });
  });

  it('switchProduction: the new slot claims the path first, then the old slot gives it up (never a moment with no primary)', async () => {
    await router.switchProduction('green', 'blue');
    assert.deepEqual(renderer.calls, ['green production', 'blue unrouted']);
    assert.deepEqual(await router.observe(), { production: 'green', staging: undefined, stagingPercent: 0 });
  });

  it('withdrawStaging and detach re-render only the staged slot; production is never re-rendered', async () => {
    await router.withdrawStaging('green');
    await router.detach('green');
    assert.ok(renderer.calls.every((c) => c.startsWith('green ')), renderer.calls.join(', '));
    assert.deepEqual(await router.observe(), { production: 'blue', staging: undefined, stagingPercent: 0 });
  });

  it('a percentage of users is refused before any re-render (AGIC routes by host and path only)', async () => {
    await assert.rejects(router.setStagingPercent('green', 10), /host and path only/);
    assert.deepEqual(renderer.calls, []);
  });

  it('without a renderer it can still read who serves, but refuses to change a route', async () => {
    const inputs = readRouteTrafficInputs(fakeSource({ kubernetesServiceEndpoint: 'aks', name: 'calc', namespace: 'calc', host: 'calc.example.com', router: 'appgw', routingOwnership: 'chart' }, { 'Build.BuildId': '1' }));
    const reader = chartAppGw({ app: APP, inputs: inputs.routing, kube: new Kube(new KubeConfig()), log: quiet });
    assert.deepEqual(await reader.observe(), { production: 'blue', staging: 'green', stagingPercent: 0 });
    await assert.rejects(reader.exposeStaging('blue'), /needs a slot renderer/);
  });
});
