// A kubeconfig for the local API server. Plain http works for helm, kubectl and client-node as long as
// the cluster entry says insecure-skip-tls-verify (client-node refuses http otherwise).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface KubeconfigOptions {
  /** Context, cluster and user name (default `local`). */
  name?: string;
  /** Default namespace of the context. */
  namespace?: string;
  /** Bearer token the user presents (the fake accepts any). */
  token?: string;
}

export function kubeconfigYaml(apiUrl: string, options: KubeconfigOptions = {}): string {
  const name = options.name ?? 'local';
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${name}`,
    '  cluster:',
    `    server: ${apiUrl}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    `- name: ${name}`,
    '  user:',
    `    token: ${options.token ?? 'local-cluster-token'}`,
    'contexts:',
    `- name: ${name}`,
    '  context:',
    `    cluster: ${name}`,
    `    user: ${name}`,
    ...(options.namespace ? [`    namespace: ${options.namespace}`] : []),
    `current-context: ${name}`,
    'preferences: {}',
    '',
  ].join('\n');
}

export interface WrittenKubeconfig {
  path: string;
  /** The directory holding it (a fresh temp dir unless one was given). */
  dir: string;
  content: string;
}

/** Writes the kubeconfig (mode 0600, else helm warns that it is group-readable) into `dir` or a new temp dir. */
export function writeKubeconfig(apiUrl: string, dir?: string, options: KubeconfigOptions = {}): WrittenKubeconfig {
  const target = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'local-cluster-'));
  fs.mkdirSync(target, { recursive: true });
  const content = kubeconfigYaml(apiUrl, options);
  const file = path.join(target, 'kubeconfig');
  fs.writeFileSync(file, content, { mode: 0o600 });
  return { path: file, dir: target, content };
}
