// settle() observes the data plane (shared/routers/fence.ts): with a controller that applies changes
// seconds late, a router's exposeStaging + settle returns only once the staging route reaches the staged
// slot; a data plane that never applies makes settle fail within its bound; an address that does not
// answer, or a production that already answers like the fence, falls back to the fixed wait with a
// warning. The routers run in-process against the local cluster and the data-plane emulator.
import * as assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_VALUE_KEYS, type RoutingInputs } from '../../shared/inputs/read';
import { Kube } from '../../shared/kubernetes/client';
import type { App, Slot } from '../../shared/core/model';
import type { Log } from '../../shared/report/log';
import { appgwFlavour } from '../../shared/routers/appgw/router';
import { GATEWAY_FENCE, GatewayRouter } from '../../shared/routers/gateway/router';
import { type IngressFlavour, ManagedIngressRouter } from '../../shared/routers/ingress';
import { nginxFlavour } from '../../shared/routers/nginx/router';
import type { Router, RouterContext } from '../../shared/routers/router';
import { type LocalCluster, startCluster } from '../cluster/cluster';
import { type ControllerKind, type DataPlane, startDataPlane } from '../cluster/dataplane';
import { isPodReady } from '../cluster/controllers/common';
import { gateway, release, resource } from '../cluster/dataplane/fixtures';

const HOST = 'calc.settle.test';
const APP: App = { name: 'calc', namespace: 'calc', layout: 'shared' };
/** Long enough that a settle returning before the data plane applied the change is caught. */
const DELAY_MS = 3000;

interface RecordingLog extends Log {
  lines: string[];
  warnings: string[];
  waited: number[];
}

function recordingLog(): RecordingLog {
  const log: RecordingLog = {
    lines: [],
    warnings: [],
    waited: [],
    info: (line) => void log.lines.push(line),
    warn: (line) => void log.warnings.push(line),
    step: (_title, body) => body(),
    async wait(seconds) {
      log.waited.push(seconds);
      await new Promise((r) => setTimeout(r, seconds * 1000));
    },
  };
  return log;
}

function routingInputs(router: RoutingInputs['router'], ingressClass: string): RoutingInputs {
  return {
    router,
    ownership: 'managed',
    host: HOST,
    path: '/',
    ingressClass,
    stagingHeader: 'canary',
    stagingHeaderValue: 'always',
    podSelectorLabel: 'app.kubernetes.io/instance',
    valueKeys: DEFAULT_VALUE_KEYS,
    gateway: router === 'gateway' ? { name: 'public', namespace: 'calc', sectionName: 'http', hostnames: [HOST] } : undefined,
  };
}

interface Setup {
  cluster: LocalCluster;
  dataplane: DataPlane;
  log: RecordingLog;
  context(extra?: Partial<RouterContext>): RouterContext;
}

async function setup(controller: ControllerKind, router: RoutingInputs['router'], ingressClass: string): Promise<Setup> {
  const cluster = await startCluster({ namespaces: ['calc'], readyDelayMs: 0 });
  const pods = [...release('calc', 'calc-blue', '1.0.0', { replicas: 2 }), ...release('calc', 'calc-green', '2.0.0', { replicas: 2 })];
  for (const object of pods) cluster.seed(object);
  if (controller === 'gateway') {
    cluster.seed({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'emulated' }, spec: { controllerName: 'bluegreen.test/gateway-emulator' } });
    cluster.seed(gateway('calc', 'public', [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }]));
  }
  const dataplane = await startDataPlane(cluster.store, { controller, gatewayClassName: 'emulated' });
  // The pod controller takes the seeded pods through its lifecycle: start from ready slots.
  const ready = () => cluster.store.ofKind('Pod').filter(isPodReady).length === pods.filter((o) => o.kind === 'Pod').length;
  for (const deadline = Date.now() + 10_000; !ready(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > deadline) throw new Error('the seeded pods did not turn ready within 10 s');
  }
  await dataplane.settled();
  const config = new KubeConfig();
  config.loadFromString(cluster.kubeconfig);
  const kube = new Kube(config);
  const log = recordingLog();
  const context = (extra: Partial<RouterContext> = {}): RouterContext => ({
    app: APP,
    inputs: routingInputs(router, ingressClass),
    kube,
    log,
    checkAddress: dataplane.url,
    ...extra,
  });
  return { cluster, dataplane, log, context };
}

/** The release that answers a request through the router's route for `exposure` (IN TESTS ONLY: the emulator's headers). */
function answeringRelease(dataplane: DataPlane, router: Router, exposure: 'production' | 'staging', slot: Slot): string {
  const target = router.target(exposure, slot);
  const headers = Object.fromEntries(Object.entries(target.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const answer = dataplane.handle({ method: 'GET', host: HOST, path: `${target.pathPrefix}/ping`, search: '', headers, cookies: {} });
  if (answer.status !== 200) return `status ${answer.status}`;
  return (JSON.parse(answer.body) as { release: string }).release;
}

const ROUTERS: Array<{ name: string; controller: ControllerKind; router: RoutingInputs['router']; ingressClass: string; flavour?: IngressFlavour; delay: 'syncDelayMs' | 'armDelayMs' | 'propagationDelayMs' }> = [
  { name: 'ingress-nginx', controller: 'nginx', router: 'nginx', ingressClass: 'nginx', flavour: nginxFlavour, delay: 'syncDelayMs' },
  { name: 'App Gateway (AGIC)', controller: 'agic', router: 'appgw', ingressClass: 'azure-application-gateway', flavour: appgwFlavour, delay: 'armDelayMs' },
  { name: 'Gateway API', controller: 'gateway', router: 'gateway', ingressClass: '', delay: 'propagationDelayMs' },
];

const allDelays = (ms: number) => ({ syncDelayMs: ms, reloadDelayMs: ms, armDelayMs: ms, propagationDelayMs: ms });

for (const r of ROUTERS) {
  const build = (ctx: RouterContext, settleTimeoutSeconds?: number): Router => {
    if (r.flavour) return new ManagedIngressRouter(ctx, settleTimeoutSeconds ? { ...r.flavour, settleTimeoutSeconds } : r.flavour);
    return new GatewayRouter(ctx, ctx.inputs.gateway as NonNullable<RoutingInputs['gateway']>, settleTimeoutSeconds ? { ...GATEWAY_FENCE, settleTimeoutSeconds } : GATEWAY_FENCE);
  };

  describe(`settle observes the data plane: ${r.name}`, function () {
    this.timeout(120_000);
    let s: Setup;
    beforeEach(async () => {
      s = await setup(r.controller, r.router, r.ingressClass);
    });
    afterEach(async () => {
      await s.dataplane.close();
      await s.cluster.close();
    });

    it(`returns only once the staging route reaches the staged slot (delay ${DELAY_MS} ms)`, async () => {
      const router = build(s.context());
      await router.preflight({});
      await router.establish('blue');
      await router.settle('production routed');
      assert.equal(answeringRelease(s.dataplane, router, 'production', 'blue'), 'calc-blue');

      s.dataplane.setDelays({ [r.delay]: DELAY_MS, reloadDelayMs: DELAY_MS });
      await router.exposeStaging('green');
      // What a settle that returned early would see: the tester's request falls through to production.
      assert.equal(answeringRelease(s.dataplane, router, 'staging', 'green'), 'calc-blue', 'the staging route is not applied yet');
      const started = Date.now();
      await router.settle('testers reach slot green');
      assert.equal(answeringRelease(s.dataplane, router, 'staging', 'green'), 'calc-green', 'settle returned before the staging route was applied');
      assert.equal(answeringRelease(s.dataplane, router, 'production', 'blue'), 'calc-blue');
      assert.ok(Date.now() - started >= DELAY_MS - 100, `settle waited for the data plane (${Date.now() - started} ms)`);
      assert.deepEqual(s.log.warnings, [], 'observed, no fallback');
      assert.deepEqual(s.log.waited, [], 'no fixed wait');
      assert.ok(s.log.lines.some((l) => /applied the change after \d+\.\d s \(the fence answers 50[023]\)/.test(l)), s.log.lines.join('\n'));
    });

    it('fails within its bound when the data plane never applies the change', async () => {
      const router = build(s.context(), 6);
      await router.establish('blue');
      await router.settle('production routed');
      s.dataplane.setDelays(allDelays(3_600_000));
      await router.exposeStaging('green');
      const started = Date.now();
      await assert.rejects(router.settle('testers reach slot green'), /The data plane did not apply the routing change within 6 s: testers reach slot green\. .*last answered 200, expected/);
      const took = Date.now() - started;
      assert.ok(took >= 6000 && took < 30_000, `gave up after its bound (${took} ms)`);
      assert.ok(s.log.lines.some((l) => /^ {2}\d+ s: .* has not applied the change yet \(the fence answered 200\)$/.test(l)), `progress is reported:\n${s.log.lines.join('\n')}`);
    });
  });
}

describe('settle falls back to the fixed wait when nothing can be observed', function () {
  this.timeout(120_000);
  let s: Setup;
  beforeEach(async () => {
    s = await setup('nginx', 'nginx', 'nginx');
  });
  afterEach(async () => {
    await s.dataplane.close();
    await s.cluster.close();
  });

  it('an address that does not answer: warns and waits settleSeconds', async () => {
    const router = new ManagedIngressRouter(s.context({ checkAddress: 'http://127.0.0.1:9', settleSeconds: 1 }), nginxFlavour);
    await router.establish('blue');
    await router.settle('production routed');
    assert.equal(s.log.warnings.length, 1, s.log.warnings.join('\n'));
    assert.match(s.log.warnings[0] ?? '', /Cannot observe whether ingress-nginx applied the change: http:\/\/127\.0\.0\.1:9 gave no HTTP answer for 10 s \(.*ECONNREFUSED.*\)\. Waiting the fixed 1 s/);
    assert.deepEqual(s.log.waited, [1]);
  });

  it('a second settle with nothing written since the first does not fence again; a write or a change does', async () => {
    const router = new ManagedIngressRouter(s.context({ settleSeconds: 1 }), nginxFlavour);
    await router.establish('blue');
    await router.settle('production routed');
    const fences = () => s.cluster.store.ofKind('Ingress').filter((i) => i.metadata.name === 'calc-bluegreen-fence').map((i) => JSON.stringify(i.spec));
    const before = fences();
    await router.settle('nothing new');
    assert.deepEqual(fences(), before, 'no new fence token');
    assert.ok(s.log.lines.some((l) => /already shows every routing change \(nothing new\)/.test(l)), s.log.lines.join('\n'));
    router.changed();
    await router.settle('pods changed');
    assert.notDeepEqual(fences(), before, 'a change outside the router is observed again');
  });

  it('production already answers the fence path with the fence status: warns and waits', async () => {
    const router = new ManagedIngressRouter(s.context({ settleSeconds: 1 }), nginxFlavour);
    await router.establish('blue');
    await router.settle('production routed');
    assert.deepEqual(s.log.warnings, []);
    // Production's pods go: every path of the host answers 503, as the fence would.
    for (const p of s.cluster.store.ofKind('Pod').filter((p) => p.metadata.labels?.['app.kubernetes.io/instance'] === 'calc-blue')) {
      s.cluster.store.remove(resource('Pod'), p.metadata.namespace, p.metadata.name as string);
    }
    await s.dataplane.settled();
    // Pods going is a change outside the router's own writes (as a helm uninstall is): the next settle observes.
    router.changed();
    await router.settle('users leave the slot');
    assert.equal(s.log.warnings.length, 1, s.log.warnings.join('\n'));
    assert.match(s.log.warnings[0] ?? '', /production already answers \/\.bluegreen\/fence\/[0-9a-f]+ with 503.*Waiting the fixed 1 s/);
    assert.deepEqual(s.log.waited, [1]);
  });
});
