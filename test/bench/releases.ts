// Helm releases made without helm: Secrets exactly as helm's storage driver writes them (type
// helm.sh/release.v1, labels owner/name/status/version, data.release = base64 of base64 of gzipped
// release JSON; see shared/helm/storage.ts decodeRelease). Seeding 1000 of these takes well under a second;
// running helm 1000 times would take most of an hour.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { KubeObject } from '../cluster/store';
import { must } from '../must';

/** A chart-sized body: rendered manifests plus chart files, like a real small service (~10 KB gzipped). */
function manifest(name: string, namespace: string): string {
  const lines: string[] = [];
  for (const kind of ['Service', 'Deployment', 'ConfigMap', 'ServiceAccount']) {
    lines.push(`---\n# Source: ${name}/templates/${kind.toLowerCase()}.yaml\napiVersion: v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n  labels:\n    app.kubernetes.io/instance: ${name}\n    app.kubernetes.io/managed-by: Helm`);
  }
  return lines.join('\n');
}

/** Deterministic incompressible filler (chart templates are base64 in the stored release). */
function filler(seed: string, bytes: number): string {
  let out = '';
  for (let i = 0; out.length < bytes; i += 1) out += createHash('sha256').update(`${seed}/${i}`).digest('base64');
  return out.slice(0, bytes);
}

export function helmReleaseSecret(name: string, namespace: string, revision = 1): KubeObject {
  const deployed = '2026-01-01T00:00:00Z';
  const release = {
    name,
    namespace,
    version: revision,
    info: { status: 'deployed', first_deployed: deployed, last_deployed: deployed, deleted: '', description: 'Install complete' },
    chart: {
      metadata: { name: 'service', version: '1.4.2', appVersion: '1.4.2', apiVersion: 'v2' },
      values: { replicaCount: 2, image: { repository: 'contoso/service', tag: '1.4.2' } },
      templates: [{ name: 'templates/deployment.yaml', data: filler(`${namespace}/${name}`, 6000) }],
    },
    config: { image: { tag: '1.4.2' } },
    manifest: manifest(name, namespace),
  };
  const helmEncoded = gzipSync(JSON.stringify(release)).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'helm.sh/release.v1',
    metadata: {
      name: `sh.helm.release.v1.${name}.v${revision}`,
      namespace,
      labels: { owner: 'helm', name, status: 'deployed', version: String(revision) },
    },
    data: { release: Buffer.from(helmEncoded).toString('base64') },
  };
}

/** `count` releases spread over `namespaces` namespaces named `tenant-NN` (the Namespaces included). */
export function unrelatedReleases(count: number, namespaces: number): { namespaces: KubeObject[]; secrets: KubeObject[] } {
  const names = Array.from({ length: namespaces }, (_, i) => `tenant-${String(i + 1).padStart(2, '0')}`);
  return {
    namespaces: names.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
    secrets: Array.from({ length: count }, (_, i) => helmReleaseSecret(`svc-${i + 1}`, must(names[i % namespaces], 'a tenant namespace (namespaces >= 1)'))),
  };
}
