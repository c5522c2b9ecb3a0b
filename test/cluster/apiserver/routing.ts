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
  if (segs[0] === 'api' && segs.length >= 2) return { group: '', version: segs[1], rest: segs.slice(2) };
  if (segs[0] === 'apis' && segs.length >= 3) return { group: segs[1], version: segs[2], rest: segs.slice(3) };
  return undefined;
}

const find = (group: string, version: string, plural: string) =>
  RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);

/** The resource a group/version path addresses, or undefined when it names nothing the server serves. */
export function resolveTarget({ group, version, rest }: GroupVersionPath): ResourceTarget | undefined {
  if (rest.length >= 3 && rest[0] === 'namespaces') {
    const r = find(group, version, rest[2]);
    if (r?.namespaced && rest.length <= 5) return { resource: r, namespace: rest[1], name: rest[3], subresource: rest[4] };
  }
  if (rest.length === 0 || rest.length > 3) return undefined;
  const r = find(group, version, rest[0]);
  if (!r) return undefined;
  // A namespaced resource without a namespace is only addressable as a collection (list/watch across namespaces).
  if (r.namespaced && rest.length > 1) return undefined;
  return { resource: r, name: rest[1], subresource: rest[2] };
}
