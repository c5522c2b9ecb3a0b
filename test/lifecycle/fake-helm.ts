// helm for the lifecycle tier: the commands the lifecycle runs (upgrade --install, uninstall, test,
// rollback) carried out on the fake cluster's store the way helm 3 and 4 record them: one Secret per
// revision (`sh.helm.release.v1.<release>.v<N>`, labels owner/name/status/version plus --labels, data
// base64(base64(gzip(release JSON)))), the previous revision marked superseded, and a ready Deployment
// labelled with the release name. shared/helm/storage.ts reads them back exactly as it reads a real cluster.
//
// What a version does is in its values: `fake.start: false` never becomes ready (helm --wait fails, the
// release is recorded failed); `fake.answer: 500` starts but answers 500; `fake.helmTest: fail` fails
// `helm test`.
import type { V1Secret } from '@kubernetes/client-node';
import * as fs from 'node:fs';
import { gzipSync } from 'node:zlib';
import YAML from 'yaml';
import type { HelmResult } from '../../shared/helm/cli';
import type { KubeObject } from '../../shared/kubernetes/client';
import { decodeRelease, releaseOf } from '../../shared/helm/storage';
import type { FakeCluster } from './fake-cluster';
import { must } from '../must';

type Values = Record<string, unknown>;

/** helm's read-only commands (shared/helm/cli.ts runs its guard before all others). */
const READ_ONLY = new Set(['version', 'pull', 'get', 'list', 'template', 'show', 'history', 'status']);

function mergeValues(into: Values, from: Values): Values {
  for (const [k, v] of Object.entries(from)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && into[k] && typeof into[k] === 'object') mergeValues(into[k] as Values, v as Values);
    else into[k] = v;
  }
  return into;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const encode = (release: object) => Buffer.from(gzipSync(Buffer.from(JSON.stringify(release))).toString('base64')).toString('base64');

export class FakeHelm {
  private guard: (() => void) | undefined;
  private clock = Date.UTC(2026, 0, 1);

  constructor(private readonly cluster: FakeCluster) {}

  setGuard(guard: (() => void) | undefined): void {
    this.guard = guard;
  }

  version = async () => '4.1.4';
  major = async () => 4 as const;

  async json<T>(): Promise<T> {
    throw new Error('fake helm: json output is not used by the lifecycle');
  }

  async run(args: string[]): Promise<HelmResult> {
    const [verb] = args;
    if (verb === undefined) throw new Error('fake helm: no command');
    if (!READ_ONLY.has(verb)) this.guard?.();
    const release = must(args[verb === 'upgrade' && args[1] === '--install' ? 2 : 1], `a release name in 'helm ${args.join(' ')}'`);
    const namespace = option(args, '--namespace')!;
    switch (verb) {
      case 'upgrade':
        this.upgrade(release, namespace, args);
        break;
      case 'uninstall':
        this.uninstall(release, namespace);
        break;
      case 'test': {
        this.cluster.journal.add('helm', `test ${release}`);
        if (this.values(release, namespace).fake && (this.values(release, namespace).fake as Values).helmTest === 'fail') throw new Error(`helm test failed: pod ${release}-test failed`);
        break;
      }
      default:
        throw new Error(`fake helm: the lifecycle tier does not expect 'helm ${verb}'`);
    }
    return { code: 0, stdout: '', stderr: '' };
  }

  private records(release: string, namespace: string): Array<KubeObject<V1Secret>> {
    return this.cluster.list<V1Secret>('v1', 'Secret', namespace, `owner=helm,name=${release}`).sort((a, b) => Number(b.metadata.labels!.version) - Number(a.metadata.labels!.version));
  }

  /** The values of the release's latest revision. */
  values(release: string, namespace: string): Values {
    const latest = this.records(release, namespace)[0];
    return latest ? ((decodeRelease(releaseOf(latest)) as { config?: Values }).config ?? {}) : {};
  }

  private upgrade(release: string, namespace: string, args: string[]): void {
    const history = this.records(release, namespace);
    const latest = history[0] && decodeRelease(releaseOf(history[0]));
    const config: Values = args.includes('--reuse-values') && latest ? structuredClone((latest as { config?: Values }).config ?? {}) : {};
    args.forEach((a, i) => a === '--values' && mergeValues(config, (YAML.parse(fs.readFileSync(must(args[i + 1], 'a file after --values'), 'utf8')) as Values) ?? {}));
    const labels = Object.fromEntries((option(args, '--labels') ?? '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
    const starts = (config.fake as Values | undefined)?.start !== false;
    const revision = (latest?.version ?? 0) + 1;
    const now = new Date((this.clock += 1000)).toISOString();
    const first = latest && latest.info?.status !== 'uninstalled' ? latest.info?.first_deployed ?? now : now;
    const status = starts ? 'deployed' : 'failed';
    const stored = {
      name: release,
      namespace,
      version: revision,
      info: { status, first_deployed: first, last_deployed: now, description: option(args, '--description') ?? '' },
      chart: { metadata: { name: 'calc', version: '1.0.0', appVersion: '1.0.0' }, values: {} },
      config,
      // What helm rendered: the workload (shared/kubernetes/traceability.ts annotates the objects it lists).
      manifest: `---\n# Source: calc/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${release}\n`,
    };
    this.cluster.journal.add('helm', `upgrade ${release}`);
    if (history[0] && latest!.info?.status === 'deployed') {
      const superseded = { ...latest!, info: { ...latest!.info, status: 'superseded' } };
      this.cluster.put({ ...history[0], metadata: { ...history[0].metadata, labels: { ...history[0].metadata.labels, status: 'superseded' } }, data: { release: encode(superseded) } }, undefined, 'replace');
    }
    this.cluster.put(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'helm.sh/release.v1',
        metadata: { name: `sh.helm.release.v1.${release}.v${revision}`, namespace, labels: { ...labels, owner: 'helm', name: release, status, version: String(revision) } },
        data: { release: encode(stored) },
      },
      undefined,
      'create',
    );
    const ready = starts ? 1 : 0;
    this.cluster.put(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: release, namespace, labels: { 'app.kubernetes.io/instance': release } },
        spec: { replicas: 1 },
        status: { observedGeneration: 0, readyReplicas: ready, updatedReplicas: ready },
      },
      undefined,
      'apply',
    );
    if (!starts) throw new Error(`helm upgrade failed: resource Deployment/${namespace}/${release} not ready. status: InProgress`);
  }

  private uninstall(release: string, namespace: string): void {
    const history = this.records(release, namespace);
    if (!history.length) throw new Error(`helm uninstall failed: release: not found`);
    this.cluster.journal.add('helm', `uninstall ${release}`);
    this.cluster.remove('apps/v1', 'Deployment', namespace, release, undefined);
    for (const record of history) this.cluster.remove('v1', 'Secret', namespace, record.metadata.name, undefined);
  }
}
