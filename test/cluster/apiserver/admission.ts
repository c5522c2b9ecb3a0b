// Admission rules run on create and update, after defaults, before the object is stored. The one we
// model is ingress-nginx's validating webhook (on by default in its helm chart): it rejects an Ingress
// of its class that would make a second primary, or a second canary, for the same host and path.
import type { KubeObject, ResourceType, Store } from '../store';
import { ApiError } from './errors';

export interface AdmissionRequest {
  resource: ResourceType;
  operation: 'CREATE' | 'UPDATE';
  object: KubeObject;
  oldObject?: KubeObject;
  store: Store;
}

/** Throws an ApiError to deny. */
export type AdmissionRule = (request: AdmissionRequest) => void;

export const NGINX_WEBHOOK_NAME = 'validate.nginx.ingress.kubernetes.io';
const CANARY = 'nginx.ingress.kubernetes.io/canary';

function ingressClassOf(ingress: KubeObject): string | undefined {
  return ingress.spec?.ingressClassName ?? ingress.metadata.annotations?.['kubernetes.io/ingress.class'];
}

/** "true" / "false" when the canary annotation is set, undefined when it is missing. */
const canaryOf = (ingress: KubeObject): boolean | undefined => {
  const v = ingress.metadata.annotations?.[CANARY];
  return v === undefined ? undefined : v === 'true';
};

function hostPaths(ingress: KubeObject): Array<{ host: string; path: string }> {
  const out: Array<{ host: string; path: string }> = [];
  for (const rule of (ingress.spec?.rules ?? []) as Array<{ host?: string; http?: { paths?: Array<{ path?: string; backend?: { service?: unknown } }> } }>) {
    for (const p of rule.http?.paths ?? []) {
      // The controller skips paths without a service backend.
      if (!p.backend?.service) continue;
      out.push({ host: rule.host || '_', path: p.path || '/' });
    }
  }
  return out;
}

/**
 * The ingress-nginx webhook's overlap check (internal/ingress/controller/controller.go checkOverlap):
 * two Ingresses of the class collide on a host+path when both are canaries, or when neither carries the
 * canary annotation at all. `canary: "false"` next to a primary passes (and then acts as a second primary).
 */
export function nginxIngressWebhook(options: { ingressClass?: string } = {}): AdmissionRule {
  const ingressClass = options.ingressClass ?? 'nginx';
  return ({ resource, object, store }) => {
    if (resource.kind !== 'Ingress' || ingressClassOf(object) !== ingressClass) return;
    const mine = canaryOf(object);
    const others = store
      .ofKind('Ingress')
      .filter((o) => !(o.metadata.namespace === object.metadata.namespace && o.metadata.name === object.metadata.name))
      .filter((o) => ingressClassOf(o) === ingressClass && !o.metadata.deletionTimestamp);
    for (const { host, path } of hostPaths(object)) {
      for (const other of others) {
        if (!hostPaths(other).some((hp) => hp.host === host && hp.path === path)) continue;
        const theirs = canaryOf(other);
        const bothCanary = mine === true && theirs === true;
        const bothPrimary = mine === undefined && theirs === undefined;
        if (bothCanary || bothPrimary) {
          throw new ApiError(
            400,
            'BadRequest',
            `admission webhook "${NGINX_WEBHOOK_NAME}" denied the request: host "${host}" and path "${path}" is already defined in ingress ${other.metadata.namespace}/${other.metadata.name}`,
          );
        }
      }
    }
  };
}
