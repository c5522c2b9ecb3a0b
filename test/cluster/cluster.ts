// The local cluster in one call: API server + controllers on a shared store, a kubeconfig for it, and
// an isolated place to run helm. Used by the integration tests, the benchmarks and `npm run cluster`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AdmissionRule } from './apiserver/admission';
import type { Faults, WriteLog } from './apiserver/faults';
import { applyDefaults, ServiceAllocator, stampCreate } from './apiserver/metadata';
import { startApiServer, type ApiServer, type ApiServerOptions } from './apiserver/server';
import { startControllers } from './controllers';
import { runHelm, type HelmMajor, type RunOptions, type RunResult } from './helm';
import { writeKubeconfig } from './kubeconfig';
import { RESOURCES, Store, type KubeObject } from './store';

export interface ClusterOptions {
  /** Pods turn Ready this long after creation (default 100 ms). */
  readyDelayMs?: number;
  /** Azure region in LoadBalancer DNS names (default westeurope). */
  region?: string;
  /** Model ingress-nginx's validating webhook (off by default). */
  nginxWebhook?: boolean | { ingressClass?: string };
  admission?: AdmissionRule[];
  /** Namespaces to create besides default, kube-system, kube-public and kube-node-lease. */
  namespaces?: string[];
  /** IngressClasses to create (default nginx and azure-application-gateway). */
  ingressClasses?: string[];
  /** Directory for the kubeconfig and helm homes (default: a fresh temp dir, removed on close). */
  dir?: string;
  /** Start from this store (e.g. one shared with a data-plane emulator). */
  store?: Store;
  /** Called for every answered API request (debugging). */
  trace?: ApiServerOptions['trace'];
}

export interface LocalCluster {
  /** http://127.0.0.1:PORT */
  apiUrl: string;
  store: Store;
  faults: Faults;
  writes: WriteLog;
  api: ApiServer;
  dir: string;
  kubeconfigPath: string;
  /** The kubeconfig's YAML. */
  kubeconfig: string;
  setReadyDelay(ms: number): void;
  setNginxWebhook(enabled: boolean, options?: { ingressClass?: string }): void;
  /** Runs real helm against this cluster (HOME and caches under `dir`, or `options.dir`). */
  helm(major: HelmMajor, args: string[], options?: Partial<RunOptions>): Promise<RunResult>;
  /** Stores an object as if a client had created it (metadata and defaults stamped). */
  seed(object: KubeObject): KubeObject;
  close(): Promise<void>;
}

const INGRESS_CONTROLLERS: Record<string, string> = {
  nginx: 'k8s.io/ingress-nginx',
  'azure-application-gateway': 'azure/application-gateway',
};

export async function startCluster(options: ClusterOptions = {}): Promise<LocalCluster> {
  const store = options.store ?? new Store();
  const allocator = new ServiceAllocator(store);
  const seed = (object: KubeObject): KubeObject => {
    const r = RESOURCES.find((x) => x.kind === object.kind && (x.group ? `${x.group}/${x.version}` : x.version) === object.apiVersion);
    if (!r) throw new Error(`the local cluster does not serve ${object.apiVersion} ${object.kind}`);
    const copy = structuredClone(object);
    stampCreate(r, copy, store);
    applyDefaults(r, copy, undefined, allocator);
    return store.put(r, copy);
  };
  const has = (kind: string, name: string, namespace?: string) => store.ofKind(kind).some((o) => o.metadata.name === name && o.metadata.namespace === namespace);

  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease', ...(options.namespaces ?? [])]) {
    if (!has('Namespace', name)) seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  if (!has('Service', 'kubernetes', 'default')) {
    seed({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { clusterIP: '10.0.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 443 }] },
    });
  }
  for (const name of options.ingressClasses ?? Object.keys(INGRESS_CONTROLLERS)) {
    if (!has('IngressClass', name)) {
      seed({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name }, spec: { controller: INGRESS_CONTROLLERS[name] ?? `example.com/${name}` } });
    }
  }

  const api = await startApiServer({ store, admission: options.admission, nginxWebhook: options.nginxWebhook, trace: options.trace });
  const controllers = startControllers(store, { readyDelayMs: options.readyDelayMs, region: options.region });
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'local-cluster-'));
  const kc = writeKubeconfig(api.url, dir);

  return {
    apiUrl: api.url,
    store,
    faults: api.faults,
    writes: api.writes,
    api,
    dir,
    kubeconfigPath: kc.path,
    kubeconfig: kc.content,
    setReadyDelay: (ms) => controllers.setReadyDelay(ms),
    setNginxWebhook: (enabled, o) => api.setNginxWebhook(enabled, o),
    helm: (major, args, o = {}) => runHelm(major, args, { kubeconfig: kc.path, ...o }),
    seed,
    close: async () => {
      controllers.stop();
      await api.close();
      if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
