// The router and the data plane of the lifecycle tier. The router keeps managed ingress-nginx's three
// facts (which slot the `-active` Service selects, which the `-preview` Service selects, the canary
// weight) and journals each verb the lifecycle calls; the data plane routes by those facts only as of the
// last settle, as a real controller applies a change late. Checks are real HTTP requests (shared/checks/http.ts)
// to a local server that answers from whichever slot the data plane would send the request to, with
// that release's version, so a check run before its route was settled is answered by the wrong slot.
// A version's values say how it answers: `fake.answer: 500` everywhere, `fake.productionAnswer: 500` only
// once real users reach it (it passes the testers' checks and breaks under production traffic).
import type { V1Deployment } from '@kubernetes/client-node';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type App, type Routing, type Slot, locate } from '../../shared/core/model';
import type { Router } from '../../shared/routers';
import type { FakeCluster } from './fake-cluster';
import type { FakeHelm } from './fake-helm';

export interface RouterFacts {
  active?: Slot;
  preview?: Slot;
  weight: number;
}

export function routingOf(o: RouterFacts): Routing {
  const staging = o.preview !== o.active ? o.preview : undefined;
  return { production: o.active, staging, stagingPercent: staging ? o.weight : 0 };
}

export const STAGING_HEADER = { canary: 'always' };

export class FakeDataPlane {
  /** What the router's objects say now. */
  facts: RouterFacts = { weight: 0 };
  /** What the data plane routes by: the facts as of the last settle. */
  applied: RouterFacts = { weight: 0 };
  private server?: http.Server;
  url = '';

  constructor(
    private readonly app: App,
    private readonly cluster: FakeCluster,
    private readonly helm: FakeHelm,
  ) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const staged = req.headers.canary === 'always';
      const applied = routingOf(this.applied);
      const slot = staged && applied.staging ? applied.staging : applied.production;
      const answer = this.answer(slot, staged && slot === applied.staging);
      this.cluster.journal.add('check', `${req.method} ${req.url}${staged ? ' (staging route)' : ''} -> ${slot ? `slot ${slot}` : 'no route'} ${answer.status}`);
      res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private answer(slot: Slot | undefined, viaStaging: boolean): { status: number; body: string } {
    if (!slot) return { status: 404, body: 'default backend - 404' };
    const { release, namespace } = locate(this.app, slot);
    const values = this.helm.values(release, namespace);
    const deployment = this.cluster.get<V1Deployment>('apps/v1', 'Deployment', namespace, release);
    if (!deployment || !deployment.status?.readyReplicas) return { status: 503, body: 'no endpoints' };
    const version = String((values.image as { tag?: string } | undefined)?.tag ?? '?');
    const fake = (values.fake ?? {}) as { answer?: number; productionAnswer?: number };
    const status = fake.answer ?? (viaStaging ? undefined : fake.productionAnswer);
    return status ? { status, body: `error in ${version}` } : { status: 200, body: `{"version":"${version}"}` };
  }

  /** A router over these facts, as createRouter would return for managed ingress-nginx. */
  router(): Router {
    const { facts, cluster } = { facts: () => this.facts, cluster: this.cluster };
    const write = (what: string, change: (f: RouterFacts) => void) => {
      cluster.failWrite?.(`router ${what}`);
      change(facts());
      cluster.journal.add('router', what);
    };
    const router: Router = {
      label: 'fake ingress-nginx, routing managed by the task',
      observe: async () => routingOf(this.facts),
      installValues: (slot) => ({ slot, ingress: { enabled: false } }),
      establish: async (slot) =>
        write(`establish ${slot}`, (f) => {
          f.active = slot;
          f.preview ??= slot;
        }),
      exposeStaging: async (slot) => {
        if (this.facts.weight) write('setStagingPercent 0', (f) => (f.weight = 0));
        write(`exposeStaging ${slot}`, (f) => (f.preview = slot));
      },
      setStagingPercent: async (slot, percent) => {
        if (this.facts.preview !== slot) throw new Error(`slot ${slot} is not the staged slot`);
        write(`setStagingPercent ${percent}`, (f) => (f.weight = percent));
      },
      switchProduction: async (to) => write(`switchProduction ${to}`, (f) => (f.active = to)),
      withdrawStaging: async (slot) => {
        if (this.facts.weight) {
          write('setStagingPercent 0', (f) => (f.weight = 0));
          await router.settle('users leave');
        }
        const production = routingOf(this.facts).production;
        if (production && production !== slot && this.facts.preview === slot) write(`withdrawStaging ${slot}`, (f) => (f.preview = production));
      },
      detach: async (slot) => {
        if (this.facts.preview === slot && this.facts.active !== slot) await router.withdrawStaging(slot);
      },
      settle: async () => {
        this.applied = { ...this.facts };
        cluster.journal.add('router', 'settle');
      },
      target: (exposure, slot) => ({ label: `${exposure} (slot ${slot})`, baseUrl: this.url, pathPrefix: '', headers: exposure === 'staging' ? { ...STAGING_HEADER } : {} }),
      preflight: async () => undefined,
      minimumDrainSeconds: async () => 0,
    };
    return router;
  }
}
