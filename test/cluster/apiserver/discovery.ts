// Discovery and the OpenAPI stub. Plain (non-aggregated) discovery makes client-go fetch /api/v1 and
// every /apis/{group}/{version} it sees advertised, so each one is served. The OpenAPI v3 documents only
// declare, per kind, a PATCH operation that accepts `fieldValidation`: that is what kubectl's and helm's
// query-param verifier looks for before it lets the server validate (otherwise helm needs
// --disable-openapi-validation).
import { RESOURCES, type ResourceType } from '../store';

export const SERVER_VERSION = {
  major: '1',
  minor: '33',
  gitVersion: 'v1.33.0',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-04-23T00:00:00Z',
  goVersion: 'go1.24.2',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** `kubectl get all` expands the `all` category from discovery. */
const ALL_CATEGORY = new Set(['Pod', 'Service', 'Deployment', 'ReplicaSet', 'StatefulSet', 'Job', 'HorizontalPodAutoscaler']);

const DEFAULT_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export interface GroupVersion {
  group: string;
  version: string;
}

export function groupVersions(): GroupVersion[] {
  const seen = new Map<string, GroupVersion>();
  for (const r of RESOURCES) seen.set(`${r.group}/${r.version}`, { group: r.group, version: r.version });
  return [...seen.values()];
}

export function coreVersions(serverAddress: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function apiGroupList() {
  const groups = new Map<string, string[]>();
  for (const gv of groupVersions()) {
    if (!gv.group) continue;
    groups.set(gv.group, [...(groups.get(gv.group) ?? []), gv.version]);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => {
      // The preferred version is the most stable one: v1 over v1beta1.
      const sorted = [...versions].sort((a, b) => a.length - b.length || a.localeCompare(b));
      return {
        name,
        versions: sorted.map((version) => ({ groupVersion: `${name}/${version}`, version })),
        preferredVersion: { groupVersion: `${name}/${sorted[0]}`, version: sorted[0] },
      };
    }),
  };
}

export function apiGroup(group: string) {
  const list = apiGroupList().groups.find((g) => g.name === group);
  return list && { kind: 'APIGroup', apiVersion: 'v1', ...list };
}

const singular = (r: ResourceType) => r.kind.toLowerCase();

/** APIResourceList of one group/version, or undefined when it serves nothing. */
export function apiResourceList(group: string, version: string) {
  const resources = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (resources.length === 0) return undefined;
  const out: Array<Record<string, unknown>> = [];
  for (const r of resources) {
    out.push({
      name: r.plural,
      singularName: singular(r),
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs ?? DEFAULT_VERBS,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(ALL_CATEGORY.has(r.kind) ? { categories: ['all'] } : {}),
    });
    if (r.status) out.push({ name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources: out };
}

const openApiPath = (gv: GroupVersion) => (gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`);

export function openApiV3Root() {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of groupVersions()) {
    const p = openApiPath(gv);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${Buffer.from(p).toString('hex').slice(0, 16).toUpperCase()}` };
  }
  return { paths };
}

/** The v3 document of one group/version (path without the /openapi/v3/ prefix), or undefined. */
export function openApiV3Document(path: string) {
  const gv = groupVersions().find((g) => openApiPath(g) === path);
  if (!gv) return undefined;
  const paths: Record<string, unknown> = {};
  for (const r of RESOURCES.filter((x) => x.group === gv.group && x.version === gv.version)) {
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    const base = `/${openApiPath(gv)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}/{name}`;
    const parameters = [
      { name: 'name', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } },
      ...(r.namespaced ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } }] : []),
    ];
    const queryParams = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({ name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true } }));
    paths[base] = {
      parameters,
      patch: {
        operationId: `patch${r.namespaced ? 'Namespaced' : ''}${r.kind}`,
        parameters: queryParams,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
        responses: { '200': { description: 'OK' } },
      },
      put: {
        operationId: `replace${r.namespaced ? 'Namespaced' : ''}${r.kind}`,
        parameters: queryParams.filter((p) => p.name !== 'force'),
        'x-kubernetes-action': 'put',
        'x-kubernetes-group-version-kind': gvk,
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: SERVER_VERSION.gitVersion }, paths, components: { schemas: {} } };
}

