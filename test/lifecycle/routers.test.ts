// The managed ingress routers (ingress-nginx and App Gateway flavours of shared/routers/ingress.ts) and
// their fence (shared/routers/fence.ts), on the in-memory cluster: which objects each verb writes, and in
// which order. A small HTTP server plays the controller for the fence: it answers a fence path with the
// controller's no-endpoint status once the fence Ingress carrying that path is in the store, and every
// other request as production would (200). The same verbs run against the emulated controllers, with
// their delays, in test/integration/settle.test.ts and the lifecycle suites.
import type { V1Ingress } from '@kubernetes/client-node';
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { readRouteTrafficInputs } from '../../shared/inputs/read';
import { Kube } from '../../shared/kubernetes/client';
import type { Log } from '../../shared/report/log';
import { managedAppGw } from '../../shared/routers/appgw/router';
import { FENCE_PATH } from '../../shared/routers/fence';
import { managedNginx } from '../../shared/routers/nginx/router';
import type { Router } from '../../shared/routers/router';
import { fakeSource } from '../unit/fake-inputs';
import { FakeCluster, Journal, routeKubeTo } from './fake-cluster';
import { APP } from './harness';

const quiet: Log = { info: () => undefined, warn: () => undefined, step: (_t, body) => body(), wait: async () => undefined };

/** Plays the controller for fence paths: served (no endpoint) once a fence Ingress in the store routes the path. */
async function fenceController(cluster: FakeCluster, noEndpoint: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const fenced = path?.includes(FENCE_PATH) && cluster.list<V1Ingress>('networking.k8s.io/v1', 'Ingress', APP.namespace).some((i) => JSON.stringify(i.spec).includes(`"path":"${path}"`));
    res.writeHead(fenced ? noEndpoint : 200).end(fenced ? 'no endpoints' : 'production');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const ROUTERS = [
  { name: 'ingress-nginx', make: managedNginx, inputs: {} as Record<string, string>, noEndpoint: 503 },
  { name: 'App Gateway', make: managedAppGw, inputs: { router: 'appgw' }, noEndpoint: 502 },
];

for (const r of ROUTERS) {
  describe(`managed ${r.name} router on the in-memory cluster: the writes of each verb`, () => {
    let journal: Journal;
    let cluster: FakeCluster;
    let restore: () => void;
    let controller: Awaited<ReturnType<typeof fenceController>>;
    let router: Router;
    const writes = (mark: number) => journal.since(mark);

    beforeEach(async () => {
      journal = new Journal();
      cluster = new FakeCluster(journal);
      restore = routeKubeTo(cluster);
      controller = await fenceController(cluster, r.noEndpoint);
      for (const slot of ['blue', 'green']) {
        const release = `calc-${slot}`;
        cluster.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: release, namespace: 'calc' }, spec: { selector: { 'app.kubernetes.io/instance': release }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] } }, undefined, 'create');
      }
      const inputs = readRouteTrafficInputs(fakeSource({ kubernetesServiceEndpoint: 'aks', name: 'calc', namespace: 'calc', host: 'calc.example.com', ...r.inputs }, { 'Build.BuildId': '1' }));
      router = r.make({ app: APP, inputs: inputs.routing, kube: new Kube(new KubeConfig()), log: quiet, checkAddress: controller.url });
      await router.establish('blue');
      await router.settle('first deploy');
    });
    afterEach(async () => {
      restore();
      await controller.close();
    });

    it('establish writes the stable Service before the primary Ingress that points at it, then the staging route', () => {
      const established = writes(0).filter((w) => !w.includes('bluegreen-fence'));
      assert.deepEqual(established, ['kube apply Service calc/calc-active', 'kube apply Ingress calc/calc', 'kube apply Service calc/calc-preview', 'kube apply Ingress calc/calc-preview']);
    });

    it('switchProduction is one write: the selector of the -active Service', async () => {
      await router.exposeStaging('green');
      await router.settle('green staged');
      const mark = journal.entries.length;
      await router.switchProduction('green', 'blue');
      assert.deepEqual(writes(mark), ['kube apply Service calc/calc-active']);
      assert.deepEqual(await router.observe(), { production: 'green', staging: undefined, stagingPercent: 0 });
    });

    it('exposeStaging moves only the preview Service when the staging route already sends no user', async () => {
      const mark = journal.entries.length;
      await router.exposeStaging('green');
      assert.deepEqual(writes(mark), ['kube apply Service calc/calc-preview']);
      assert.deepEqual(await router.observe(), { production: 'blue', staging: 'green', stagingPercent: 0 });
    });

    it('settle writes a fence after the change and returns once it is served; with nothing written since, it does not fence again', async () => {
      await router.exposeStaging('green');
      const mark = journal.entries.length;
      await router.settle('green staged');
      assert.deepEqual(writes(mark), ['kube apply Ingress calc/calc-bluegreen-fence']);
      await router.settle('nothing changed');
      assert.deepEqual(writes(mark), ['kube apply Ingress calc/calc-bluegreen-fence'], 'no second fence');
    });

    it('detach of the staged slot points the preview back at production; production is not written', async () => {
      await router.exposeStaging('green');
      const mark = journal.entries.length;
      await router.detach('green');
      assert.deepEqual(writes(mark), ['kube apply Service calc/calc-preview']);
      assert.deepEqual(await router.observe(), { production: 'blue', staging: undefined, stagingPercent: 0 });
    });
  });
}

describe('managed ingress-nginx router on the in-memory cluster: users leave before testers', () => {
  it('withdrawStaging with a share of users: 0 % first, a settle, then the preview back to production', async () => {
    const journal = new Journal();
    const cluster = new FakeCluster(journal);
    const restore = routeKubeTo(cluster);
    const controller = await fenceController(cluster, 503);
    try {
      for (const slot of ['blue', 'green']) {
        cluster.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: `calc-${slot}`, namespace: 'calc' }, spec: { selector: { 'app.kubernetes.io/instance': `calc-${slot}` }, ports: [{ port: 8080 }] } }, undefined, 'create');
      }
      const inputs = readRouteTrafficInputs(fakeSource({ kubernetesServiceEndpoint: 'aks', name: 'calc', namespace: 'calc', host: 'calc.example.com' }, { 'Build.BuildId': '1' }));
      const router = managedNginx({ app: APP, inputs: inputs.routing, kube: new Kube(new KubeConfig()), log: quiet, checkAddress: controller.url });
      await router.establish('blue');
      await router.exposeStaging('green');
      await router.setStagingPercent('green', 20);
      await router.settle('20 % on green');
      assert.deepEqual(await router.observe(), { production: 'blue', staging: 'green', stagingPercent: 20 });
      const mark = journal.entries.length;
      await router.withdrawStaging('green');
      assert.deepEqual(journal.since(mark), ['kube apply Ingress calc/calc-preview', 'kube apply Ingress calc/calc-bluegreen-fence', 'kube apply Service calc/calc-preview']);
      assert.deepEqual(await router.observe(), { production: 'blue', staging: undefined, stagingPercent: 0 });
    } finally {
      restore();
      await controller.close();
    }
  });
});
