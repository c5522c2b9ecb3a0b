// Services: the cloud provider's LoadBalancer address (a fake public range, the Azure static-IP
// annotation or spec.loadBalancerIP, and the Azure DNS label as a hostname), and Endpoints listing the
// ready pods each selector picks.
import type { KubeObject, Store } from '../store';
import { matchesLabels, selectorRequirements } from '../apiserver/selectors';
import { deepEqual } from '../apiserver/schema';
import { createObject, isPodReady, resource, writeStatus } from './common';

export const AZURE_DNS_LABEL = 'service.beta.kubernetes.io/azure-dns-label-name';
export const AZURE_STATIC_IP = 'service.beta.kubernetes.io/azure-load-balancer-ipv4';

export class LoadBalancers {
  private readonly ips = new Map<string, string>();
  private next = 1;

  constructor(
    private readonly store: Store,
    readonly region: string,
  ) {}

  /** The public IP the fake cloud gives a Service: stable for its lifetime, from 20.50.0.0/16. */
  private addressFor(service: KubeObject): string {
    const uid = service.metadata.uid ?? '';
    let ip = this.ips.get(uid);
    if (!ip) {
      const taken = new Set(this.ips.values());
      do {
        ip = `20.50.${Math.floor(this.next / 254)}.${(this.next % 254) + 1}`;
        this.next += 1;
      } while (taken.has(ip));
      this.ips.set(uid, ip);
    }
    return ip;
  }

  reconcile(namespace: string | undefined, name: string): void {
    const services = resource('Service');
    const svc = this.store.get(services, namespace, name);
    if (!svc) return;
    if (svc.spec?.type !== 'LoadBalancer') {
      if (svc.status?.loadBalancer?.ingress) writeStatus(this.store, services, svc, { ...svc.status, loadBalancer: {} });
      return;
    }
    const annotations = svc.metadata.annotations ?? {};
    const ip = annotations[AZURE_STATIC_IP] || svc.spec?.loadBalancerIP || this.addressFor(svc);
    const label = annotations[AZURE_DNS_LABEL];
    // Real AKS shows only the IP in status; the hostname entry is how the local cluster surfaces the
    // DNS name Azure gives the public IP (LABEL.<region>.cloudapp.azure.com).
    const ingress = [{ ip, ipMode: 'VIP', ...(label ? { hostname: `${label}.${this.region}.cloudapp.azure.com` } : {}) }];
    writeStatus(this.store, services, svc, { ...svc.status, loadBalancer: { ingress } });
  }

  forget(uid: string | undefined): void {
    if (uid) this.ips.delete(uid);
  }
}

type ServicePort = { name?: string; port: number; targetPort?: number | string; protocol?: string };

function targetPortOf(port: ServicePort, pod: KubeObject): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec?.containers ?? []) {
    const found = (c.ports ?? []).find((p: { name?: string }) => p.name === target);
    if (found) return found.containerPort;
  }
  return undefined;
}

/** Endpoints of every selector Service in a namespace. */
export function reconcileEndpoints(store: Store, namespace: string | undefined): void {
  const endpoints = resource('Endpoints');
  const pods = store.list(resource('Pod'), namespace).filter((p) => p.status?.podIP && !p.metadata.deletionTimestamp && p.status?.phase === 'Running');
  for (const svc of store.list(resource('Service'), namespace)) {
    const selector = svc.spec?.selector as Record<string, string> | undefined;
    if (!selector || Object.keys(selector).length === 0) continue;
    const requirements = selectorRequirements(selector);
    const selected = pods.filter((p) => matchesLabels(requirements, p.metadata.labels));
    const address = (p: KubeObject) => ({
      ip: p.status?.podIP,
      nodeName: p.spec?.nodeName,
      targetRef: { kind: 'Pod', namespace: p.metadata.namespace, name: p.metadata.name, uid: p.metadata.uid },
    });
    const ready = selected.filter(isPodReady).map(address);
    const notReady = selected.filter((p) => !isPodReady(p)).map(address);
    const sample = selected[0];
    const ports = ((svc.spec?.ports ?? []) as ServicePort[]).map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      port: sample ? targetPortOf(p, sample) ?? p.port : p.port,
      protocol: p.protocol ?? 'TCP',
    }));
    const subsets = selected.length === 0 ? [] : [{ ...(ready.length ? { addresses: ready } : {}), ...(notReady.length ? { notReadyAddresses: notReady } : {}), ports }];
    const name = svc.metadata.name ?? '';
    const existing = store.get(endpoints, namespace, name);
    if (!existing) {
      createObject(store, endpoints, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels: { ...svc.metadata.labels } }, subsets });
    } else if (!deepEqual(existing.subsets ?? [], subsets)) {
      store.put(endpoints, { ...existing, subsets });
    }
  }
}

export function removeEndpoints(store: Store, service: KubeObject): void {
  // A Service recreated under the same name keeps its (recomputed) Endpoints.
  if (store.get(resource('Service'), service.metadata.namespace, service.metadata.name ?? '')) return;
  store.remove(resource('Endpoints'), service.metadata.namespace, service.metadata.name ?? '');
}
