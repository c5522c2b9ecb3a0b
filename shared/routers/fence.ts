// Settling by observation. Real controllers apply a routing write late (ingress-nginx syncs at most every
// 3.3 s and may reload; AGIC pushes each change to Application Gateway through ARM, tens of seconds; a
// Gateway implementation pushes routes to its proxies), and until then a tester's request falls through
// to production. A fixed wait only guesses; a fence proves it.
//
// The task owns a fence Service that selects no pod and a fence route on the app's host whose one path
// carries a token. settle() writes a new token and polls that path until the controller gives its own
// no-endpoints answer (ingress-nginx 503, AGIC 502, Gateway 500/503): the fence is served. Controllers
// apply changes in order (one sync loop / one ARM update / one snapshot of all routes), so every routing
// write made before the fence is served too. Where nothing can be observed (the address does not
// answer, or production already answers the fence path with the fence's status) it falls back to the
// fixed wait of the settleSeconds input, and says why.
import { randomBytes } from 'node:crypto';
import { type CheckTarget, request } from '../checks/http';
import type { V1Ingress, V1Service } from '@kubernetes/client-node';
import type { KubeObject, ObjectMeta, ObjectRef } from '../kubernetes/client';
import { homeNamespace } from '../core/model';
import { ensure, type OwnedObject, ownedMetadata } from './objects';
import type { RouterContext } from './router';

/** The label the fence Service selects: no pod carries it, so the fence route has no endpoint. */
export const FENCE_SELECTOR = { 'bluegreen.azure-pipelines/fence': 'none' };
export const FENCE_PATH = '/.bluegreen/fence/';
const FENCE_PORT = 80;

/** What a router tells the fence about its controller. */
export interface FenceFlavour {
  /** 'ingress-nginx', 'App Gateway (AGIC)', 'the Gateway' */
  product: string;
  /** The controller's own answers for a route whose Service has no endpoint. */
  noEndpointStatuses: readonly number[];
  /** Upper bound of one settle. */
  settleTimeoutSeconds: number;
  /** The fixed wait when nothing can be observed (unless the settleSeconds input sets one). */
  defaultSettleSeconds: number;
}

export interface FenceTiming {
  pollMs: number;
  /** The fence path gives no HTTP answer at all for this long: nothing can be observed. */
  unreachableSeconds: number;
  progressSeconds: number;
  requestTimeoutMs: number;
}

export const FENCE_TIMING: FenceTiming = { pollMs: 300, unreachableSeconds: 10, progressSeconds: 5, requestTimeoutMs: 5000 };

/** Builds the fence route (an Ingress or an HTTPRoute) with one path to the fence Service. */
export type FenceRouteBuilder = (metadata: ObjectMeta, path: string, service: string, port: number) => OwnedObject;

export const fenceName = (ctx: RouterContext) => `${ctx.app.name}-bluegreen-fence`;

/** The host an Ingress routes: the input readers require it for the Ingress routers (nginx, appgw). */
export function ingressHost(ctx: RouterContext): string {
  if (ctx.inputs.host === undefined) throw new Error("internal: an Ingress router without the 'host' input");
  return ctx.inputs.host;
}

/** The fence as an Ingress: same class, host and TLS as the app's Ingresses, one Exact path. */
export function fenceIngress(ctx: RouterContext): FenceRouteBuilder {
  return (metadata, path, service, port): KubeObject<V1Ingress> => {
    const { tlsSecret, ingressClass } = ctx.inputs;
    const host = ingressHost(ctx);
    return {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata,
      spec: {
        ingressClassName: ingressClass,
        ...(tlsSecret ? { tls: [{ hosts: [host], secretName: tlsSecret }] } : {}),
        rules: [{ host, http: { paths: [{ path, pathType: 'Exact', backend: { service: { name: service, port: { number: port } } } }] } }],
      },
    };
  };
}

type Answer = { status: number } | { error: string };
const describe = (a: Answer | undefined) => (!a ? 'nothing yet' : 'status' in a ? `answered ${a.status}` : `request failed: ${a.error}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Fence {
  private serviceWritten = false;

  constructor(
    private readonly ctx: RouterContext,
    private readonly flavour: FenceFlavour,
    /** The fence route's kind and apiVersion (for ownership checks) and how to build it. */
    private readonly route: { apiVersion: string; kind: string; build: FenceRouteBuilder },
    /** The host name the route serves and the Host header to send; undefined: nothing to ask. */
    private readonly host: string | undefined,
    private readonly timing: FenceTiming = FENCE_TIMING,
  ) {}

  private get namespace() {
    return homeNamespace(this.ctx.app);
  }

  /** The objects the fence owns: preflight refuses to go on when someone else owns one of these names. */
  refs(): ObjectRef[] {
    const name = fenceName(this.ctx);
    return [
      { apiVersion: 'v1', kind: 'Service', namespace: this.namespace, name },
      { apiVersion: this.route.apiVersion, kind: this.route.kind, namespace: this.namespace, name },
    ];
  }

  /** Returns once the data plane serves every routing write made before the call (bounded). */
  async settle(what: string): Promise<void> {
    if (!this.host) return this.fixedWait(what, 'there is no concrete host name to ask');
    const path = `${this.appPath()}${FENCE_PATH}${randomBytes(8).toString('hex')}`;
    const before = await this.firstAnswer(path);
    if (!('status' in before)) {
      return this.fixedWait(what, `${this.baseUrl()} gave no HTTP answer for ${this.timing.unreachableSeconds} s (${before.error})`);
    }
    if (this.isFence(before.status)) {
      return this.fixedWait(what, `production already answers ${path} with ${before.status}, the answer that would show the change is applied`);
    }
    await this.write(path);
    await this.observe(path, what);
  }

  /** Under the app's path, so that before the fence is served the path reaches production (not a 404 page). */
  private appPath(): string {
    return (this.ctx.inputs.path ?? '/').replace(/\/+$/, '');
  }

  private baseUrl(): string {
    return this.ctx.checkAddress ?? `https://${this.host}`;
  }

  private target(): CheckTarget {
    return { label: 'fence', baseUrl: this.baseUrl(), host: this.host, pathPrefix: '', headers: {} };
  }

  private isFence(status: number): boolean {
    return this.flavour.noEndpointStatuses.includes(status);
  }

  private async ask(path: string): Promise<Answer> {
    try {
      return { status: (await request(this.target(), 'GET', path, {}, this.timing.requestTimeoutMs)).status };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  /** The first HTTP answer for the path, or the last failure once nothing answered for unreachableSeconds. */
  private async firstAnswer(path: string): Promise<Answer> {
    const started = Date.now();
    for (;;) {
      const answer = await this.ask(path);
      if ('status' in answer || Date.now() - started >= this.timing.unreachableSeconds * 1000) return answer;
      await sleep(this.timing.pollMs);
    }
  }

  private async write(path: string): Promise<void> {
    const name = fenceName(this.ctx);
    const metadata = ownedMetadata(this.ctx.app, this.namespace, name);
    if (!this.serviceWritten) {
      const service: KubeObject<V1Service> = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata,
        spec: { type: 'ClusterIP', selector: FENCE_SELECTOR, ports: [{ name: 'http', port: FENCE_PORT, targetPort: FENCE_PORT, protocol: 'TCP' }] },
      };
      await ensure(this.ctx.kube, this.ctx.app, service);
      this.serviceWritten = true;
    }
    await ensure(this.ctx.kube, this.ctx.app, this.route.build(metadata, path, name, FENCE_PORT));
  }

  private async observe(path: string, what: string): Promise<void> {
    const started = Date.now();
    let lastReport = started;
    let last: Answer | undefined;
    this.ctx.log.info(`  waiting for ${this.flavour.product} to apply the change (${what}): fence ${path} on ${this.host}`);
    for (;;) {
      last = await this.ask(path);
      const elapsed = Math.round((Date.now() - started) / 1000);
      if ('status' in last && this.isFence(last.status)) {
        this.ctx.log.info(`  ${this.flavour.product} applied the change after ${((Date.now() - started) / 1000).toFixed(1)} s (the fence answers ${last.status})`);
        return;
      }
      if (Date.now() - started >= this.flavour.settleTimeoutSeconds * 1000) {
        throw new Error(
          `The data plane did not apply the routing change within ${this.flavour.settleTimeoutSeconds} s: ${what}. ${this.flavour.product} still does not serve the fence ${path} on ${this.host} ` +
            `(last ${describe(last)}, expected ${this.flavour.noEndpointStatuses.join(' or ')}); check that the controller runs and takes changes, then run the task again.`,
        );
      }
      if (Date.now() - lastReport >= this.timing.progressSeconds * 1000) {
        lastReport = Date.now();
        this.ctx.log.info(`  ${elapsed} s: ${this.flavour.product} has not applied the change yet (the fence ${describe(last)})`);
      }
      await sleep(this.timing.pollMs);
    }
  }

  private async fixedWait(what: string, why: string): Promise<void> {
    const seconds = this.ctx.settleSeconds ?? this.flavour.defaultSettleSeconds;
    this.ctx.log.warn(`Cannot observe whether ${this.flavour.product} applied the change: ${why}. Waiting the fixed ${seconds} s (input settleSeconds) instead.`);
    await this.ctx.log.wait(seconds, `${this.flavour.product} applies the change (${what})`);
  }
}
