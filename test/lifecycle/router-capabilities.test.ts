// One verdict, two places: for every router x routing ownership x namespace layout, and every share of
// users around its maximum (0, 1, max, max+1, 100), the input readers (before anything is written) and
// the routers (createRouter, then preflight, on the in-memory cluster) refuse the same things with the
// same sentence, which is the one of shared/routers/capabilities.ts. Traffic Manager's preflight reads
// its profile from ARM once the share is accepted: an accepted share is checked through the shared
// function and the reader, a refused one through its preflight too (refused before any ARM call).
import * as assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { type App, type Layout, ROUTER_KINDS, type RouterKind } from '../../shared/core/model';
import { InputError, readRouteTrafficInputs } from '../../shared/inputs/read';
import { OWNERSHIPS } from '../../shared/inputs/source';
import { Kube } from '../../shared/kubernetes/client';
import type { Log } from '../../shared/report/log';
import { CAPABILITIES, ownershipProblem, percentProblem } from '../../shared/routers/capabilities';
import { createRouter } from '../../shared/routers';
import type { Router } from '../../shared/routers/router';
import { fakeSource } from '../unit/fake-inputs';
import { FakeCluster, Journal, routeKubeTo } from './fake-cluster';

const quiet: Log = { info: () => undefined, warn: () => undefined, step: (_t, body) => body(), wait: async () => undefined };
const LAYOUTS: Layout[] = ['shared', 'perSlot'];

/** The inputs each router needs besides the app's (valid with managed routing in the shared layout). */
const ROUTER_INPUTS: Record<RouterKind, Record<string, string>> = {
  nginx: {},
  appgw: {},
  gateway: { gatewayName: 'public', gatewayNamespace: 'infra' },
  trafficmanager: { trafficManagerConnection: 'arm', trafficManagerResourceGroup: 'rg-calc', trafficManagerProfile: 'calc' },
};

const inputsFor = (router: RouterKind, ownership: string, layout: Layout, extra: Record<string, string> = {}) => ({
  kubernetesServiceEndpoint: 'aks',
  name: 'calc',
  namespace: 'calc',
  host: 'calc.example.com',
  router,
  routingOwnership: ownership,
  namespaceLayout: layout,
  ...ROUTER_INPUTS[router],
  ...extra,
});

/** The reader's verdict: undefined (accepted) or its InputError's sentence. */
function readerVerdict(inputs: Record<string, string>): string | undefined {
  try {
    readRouteTrafficInputs(fakeSource(inputs, { 'Build.BuildId': '1' }));
    return undefined;
  } catch (err) {
    assert.ok(err instanceof InputError, `an InputError, not ${String(err)}`);
    return err.message;
  }
}

async function verdictOf(act: () => unknown): Promise<string | undefined> {
  try {
    await act();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The percentages around a router's maximum share. */
const percentsFor = (router: RouterKind): number[] => {
  const { max } = CAPABILITIES[router].userShare;
  return [...new Set([0, 1, max, max + 1, 100])].filter((p) => p <= 100).sort((a, b) => a - b);
};

describe('router capabilities: the input readers and the routers give the same verdict', () => {
  let cluster: FakeCluster;
  let restore: () => void;
  beforeEach(() => {
    cluster = new FakeCluster(new Journal());
    restore = routeKubeTo(cluster);
    cluster.put({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'public', namespace: 'infra' }, spec: { listeners: [{ name: 'http' }] } }, undefined, 'create');
  });
  afterEach(() => restore());

  for (const router of ROUTER_KINDS) {
    for (const ownership of OWNERSHIPS) {
      for (const layout of LAYOUTS) {
        const expected = ownershipProblem(router, ownership, layout);
        const app: App = { name: 'calc', namespace: 'calc', layout };
        /** The router createRouter builds for these settings (the inputs read as if they were valid). */
        const build = (): Router => {
          const valid = readRouteTrafficInputs(fakeSource(inputsFor(router, 'managed', 'shared'), { 'Build.BuildId': '1' })).routing;
          return createRouter({ app, inputs: { ...valid, ownership }, kube: new Kube(new KubeConfig()), log: quiet, renderer: { render: async () => undefined } });
        };

        it(`${router}, routingOwnership ${ownership}, namespaceLayout ${layout}: ${expected ? 'refused' : 'accepted'} by the reader and by createRouter`, async () => {
          const reader = readerVerdict(inputsFor(router, ownership, layout));
          assert.equal(reader, expected);
          assert.equal(await verdictOf(build), expected);
          // The implementation is picked by ownership (routers/index.ts), and says which it is.
          if (!expected) assert.match(build().label, ownership === 'managed' ? /managed by the task/ : /rendered by the chart/);
        });

        if (expected) continue;
        for (const percent of percentsFor(router)) {
          const refused = percentProblem(router, percent);
          it(`${router}, ${ownership}, ${layout}, ${percent} % of users: ${refused ? 'refused' : 'accepted'} by trafficPercent, trafficSteps and the router's preflight`, async () => {
            const byPercent = readerVerdict(inputsFor(router, ownership, layout, { trafficPercent: String(percent) }));
            assert.equal(byPercent, percentProblem(router, percent, 'trafficPercent'));
            if (percent > 0) {
              const bySteps = readerVerdict(inputsFor(router, ownership, layout, { trafficSteps: String(percent) }));
              assert.equal(bySteps, percentProblem(router, percent, 'trafficSteps'));
            }
            if (refused) {
              assert.ok(byPercent?.includes(refused), `the reader says what preflight says: ${byPercent}`);
              const preflight = await verdictOf(() => build().preflight({ percent }));
              assert.ok(preflight?.startsWith(refused), `preflight: ${preflight}`);
            } else if (router !== 'trafficmanager') {
              assert.equal(await verdictOf(() => build().preflight({ percent })), undefined);
            }
          });
        }
      }
    }
  }
});
