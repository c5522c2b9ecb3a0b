// Reading networking.k8s.io/v1 Ingresses the way both ingress controllers do: which class an Ingress
// belongs to, its host/path/backend triples, and the processing order (oldest first).
import type { KubeObject } from '../store';
import type { ClusterView } from './view';
import type { ServiceRef } from './types';

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export interface IngressPath {
  ingress: KubeObject;
  /** '' for a rule without host (the catch-all server). */
  host: string;
  path: string;
  pathType: PathType;
  service?: ServiceRef & { port: string };
}

export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

/**
 * The legacy annotation wins over spec.ingressClassName (both controllers still honour it). An Ingress
 * without any class belongs to the IngressClass marked default, if that is ours.
 */
export function belongsToClass(view: ClusterView, ingress: KubeObject, className: string, legacyValue: string): boolean {
  const legacy = ingress.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
  if (legacy !== undefined) return legacy === legacyValue;
  const named: string | undefined = ingress.spec?.ingressClassName;
  if (named !== undefined) return named === className;
  const defaultClass = view.get('IngressClass', undefined, className);
  return defaultClass?.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true';
}

const created = (o: KubeObject) => o.metadata.creationTimestamp ?? '';

/** Oldest first, then namespace/name: the order in which controllers let Ingresses claim a host+path. */
export function byAge(a: KubeObject, b: KubeObject): number {
  const t = created(a).localeCompare(created(b));
  if (t !== 0) return t;
  return `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`);
}

interface HTTPIngressPathSpec {
  path?: string;
  pathType?: string;
  backend?: { service?: { name?: string; port?: { number?: number; name?: string } } };
}

export function ingressPaths(ingress: KubeObject): IngressPath[] {
  const out: IngressPath[] = [];
  const rules: Array<{ host?: string; http?: { paths?: HTTPIngressPathSpec[] } }> = ingress.spec?.rules ?? [];
  for (const rule of rules) {
    for (const p of rule.http?.paths ?? []) {
      const backend = p.backend?.service;
      out.push({
        ingress,
        host: (rule.host ?? '').toLowerCase(),
        path: p.path ?? '/',
        pathType: (p.pathType ?? 'ImplementationSpecific') as PathType,
        service: backend?.name
          ? { namespace: ingress.metadata.namespace as string, name: backend.name, port: String(backend.port?.number ?? backend.port?.name ?? '') }
          : undefined,
      });
    }
  }
  return out;
}

/** Hosts an Ingress declares, including hosts of rules that have no paths. */
export function ingressHosts(ingress: KubeObject): string[] {
  const rules: Array<{ host?: string }> = ingress.spec?.rules ?? [];
  return rules.map((r) => (r.host ?? '').toLowerCase());
}

/** Exact host first, then a `*.domain` wildcard covering exactly one label, then the catch-all ''. */
export function findServerHost(hosts: Iterable<string>, requestHost: string): string | undefined {
  const all = [...hosts];
  if (all.includes(requestHost)) return requestHost;
  const dot = requestHost.indexOf('.');
  const wildcard = dot > 0 ? `*${requestHost.slice(dot)}` : undefined;
  if (wildcard && all.includes(wildcard)) return wildcard;
  return all.includes('') ? '' : undefined;
}

/** Kubernetes `Prefix`: element-wise, `/foo` matches `/foo` and `/foo/bar`, not `/foobar`. */
export function prefixMatches(prefix: string, path: string): boolean {
  const p = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
  if (p === '/' || p === '') return true;
  return path === p || path.startsWith(`${p}/`);
}

export const ingressName = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
