// Resource URLs: /api/v1/... for the core group, /apis/{group}/{version}/... for the others, each with an
// optional /namespaces/{ns} scope, a name and a subresource (status).
import { RESOURCES, type ResourceType } from '../store';

export interface ResourceTarget {
  resource: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export interface GroupVersionPath {
  group: string;
  version: string;
  /** segments after the group/version */
  rest: string[];
}

/** Splits a path into group, version and the rest, or undefined for non-resource paths. */
export function groupVersionOf(pathname: string): GroupVersionPath | undefined {
  const segs = pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  const [root, first, second] = segs;
  if (root === 'api' && first !== undefined) return { group: '', version: first, rest: segs.slice(2) };
  if (root === 'apis' && first !== undefined && second !== undefined) return { group: first, version: second, rest: segs.slice(3) };
  return undefined;
}

const find = (group: string, version: string, plural: string) =>
  RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);

/** The resource a group/version path addresses, or undefined when it names nothing the server serves. */
export function resolveTarget({ group, version, rest }: GroupVersionPath): ResourceTarget | undefined {
  const [first, second, third, fourth, fifth] = rest;
  if (first === 'namespaces' && third !== undefined) {
    const r = find(group, version, third);
    if (r?.namespaced && rest.length <= 5) return { resource: r, namespace: second, name: fourth, subresource: fifth };
  }
  if (first === undefined || rest.length > 3) return undefined;
  const r = find(group, version, first);
  if (!r) return undefined;
  // A namespaced resource without a namespace is only addressable as a collection (list/watch across namespaces).
  if (r.namespaced && rest.length > 1) return undefined;
  return { resource: r, name: second, subresource: third };
}
