// Kubeconfig documents as plain data: parse, validate, pick the context, find the secrets in it, swap an
// Azure login user for a bearer token, write it 0600. Kept as plain YAML data (not client-node's model)
// so fields helm and kubectl understand but client-node drops (proxy-url, tls-server-name, extensions)
// survive the round trip.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { ConnectionError } from './endpoint';

type Entry = Record<string, unknown>;
interface Named {
  name: string;
  [key: string]: unknown;
}
export interface Kubeconfig {
  apiVersion?: string;
  kind?: string;
  clusters: Array<Named & { cluster: Entry }>;
  contexts: Array<Named & { context: { cluster?: string; user?: string; namespace?: string } }>;
  users: Array<Named & { user: Entry }>;
  'current-context'?: string;
  [key: string]: unknown;
}

/** The Entra ID application every AKS API server accepts tokens for (kubelogin's default `--server-id`). */
export const AKS_SERVER_APP_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';

function isRecord(value: unknown): value is Entry {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses and checks the shape; `source` names where it came from in every error. */
export function parseKubeconfig(text: string | undefined, source: string): Kubeconfig {
  if (!text || !text.trim()) throw new ConnectionError(`The kubeconfig from ${source} is empty.`);
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConnectionError(`The kubeconfig from ${source} is not valid YAML: ${reason}`);
  }
  const invalid = (why: string) => new ConnectionError(`The kubeconfig from ${source} is not a kubeconfig: ${why}.`);
  if (!isRecord(doc)) throw invalid('expected a YAML mapping with clusters, users and contexts');
  if (doc.kind !== undefined && doc.kind !== 'Config') throw invalid(`kind is '${String(doc.kind)}', expected 'Config'`);
  for (const [list, field] of [['clusters', 'cluster'], ['contexts', 'context'], ['users', 'user']] as const) {
    const entries = doc[list] ?? [];
    if (!Array.isArray(entries)) throw invalid(`'${list}' is not a list`);
    entries.forEach((entry, i) => {
      if (!isRecord(entry) || typeof entry.name !== 'string' || !entry.name) throw invalid(`${list}[${i}] has no name`);
      if (!isRecord(entry[field])) throw invalid(`${list}[${i}] ('${entry.name}') has no '${field}' mapping`);
    });
    doc[list] = entries;
  }
  const config = doc as Kubeconfig;
  if (config.clusters.length === 0) throw invalid('it lists no clusters');
  if (config.contexts.length === 0) throw invalid('it lists no contexts');
  return config;
}

/**
 * Sets current-context to `requested`, else keeps the file's current-context, else the only context.
 * Checks that the chosen context names a cluster with a server and (if set) an existing user.
 */
export function useContext(config: Kubeconfig, requested: string | undefined, source: string): string {
  const names = config.contexts.map((c) => c.name);
  const available = `available contexts: ${names.join(', ')}`;
  let name = requested || config['current-context'];
  if (!name) {
    if (names.length > 1) {
      throw new ConnectionError(`The kubeconfig from ${source} has no current-context and ${names.length} contexts; set the context input (${available}).`);
    }
    name = names[0];
  }
  const context = config.contexts.find((c) => c.name === name);
  if (!context) throw new ConnectionError(`Context '${name}' is not in the kubeconfig from ${source} (${available}).`);
  const cluster = config.clusters.find((c) => c.name === context.context.cluster);
  if (!cluster) throw new ConnectionError(`Context '${name}' in the kubeconfig from ${source} refers to cluster '${context.context.cluster ?? ''}', which the kubeconfig does not define.`);
  if (typeof cluster.cluster.server !== 'string' || !cluster.cluster.server) {
    throw new ConnectionError(`Cluster '${cluster.name}' in the kubeconfig from ${source} has no server URL.`);
  }
  if (context.context.user && !config.users.some((u) => u.name === context.context.user)) {
    throw new ConnectionError(`Context '${name}' in the kubeconfig from ${source} refers to user '${context.context.user}', which the kubeconfig does not define.`);
  }
  config['current-context'] = context.name;
  return context.name;
}

export function currentCluster(config: Kubeconfig): { name: string; server: string } {
  const context = config.contexts.find((c) => c.name === config['current-context']);
  const cluster = config.clusters.find((c) => c.name === context?.context.cluster);
  return { name: cluster?.name ?? '', server: String(cluster?.cluster.server ?? '') };
}

const SECRET_USER_FIELDS = ['token', 'client-key-data', 'password'];
const SECRET_AUTH_PROVIDER_FIELDS = ['access-token', 'refresh-token', 'id-token', 'client-secret'];

/** Every value in the kubeconfig that must never reach the log. */
export function kubeconfigSecrets(config: Kubeconfig): string[] {
  const secrets: string[] = [];
  for (const { user } of config.users) {
    for (const field of SECRET_USER_FIELDS) if (typeof user[field] === 'string') secrets.push(user[field] as string);
    const provider = user['auth-provider'];
    if (isRecord(provider) && isRecord(provider.config)) {
      for (const field of SECRET_AUTH_PROVIDER_FIELDS) {
        if (typeof provider.config[field] === 'string') secrets.push(provider.config[field] as string);
      }
    }
  }
  return secrets;
}

/**
 * The Entra ID server application a user logs in to, if the user is an Azure login: an exec plugin
 * running kubelogin (AKS with Entra ID, Kubernetes 1.24+) or the legacy `azure` auth-provider.
 */
export function azureLoginServerId(user: Entry): string | undefined {
  const exec = user.exec;
  if (isRecord(exec) && typeof exec.command === 'string' && /(^|[\\/])kubelogin(\.exe)?$/i.test(exec.command)) {
    const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
    const at = args.indexOf('--server-id');
    return at >= 0 && args[at + 1] ? args[at + 1] : AKS_SERVER_APP_ID;
  }
  const provider = user['auth-provider'];
  if (isRecord(provider) && provider.name === 'azure') {
    const id = isRecord(provider.config) ? provider.config['apiserver-id'] : undefined;
    return typeof id === 'string' && id ? id : AKS_SERVER_APP_ID;
  }
  return undefined;
}

/** Replaces a user's login method with a static bearer token (so no kubelogin binary is needed). */
export function useBearerToken(config: Kubeconfig, userName: string, token: string): void {
  const entry = config.users.find((u) => u.name === userName);
  if (entry) entry.user = { token };
}

/**
 * Resolves relative file references against the kubeconfig's own directory, as kubectl does, so a
 * copy written elsewhere still finds them.
 */
export function makePathsAbsolute(config: Kubeconfig, baseDir: string): void {
  const fix = (entry: Entry, field: string) => {
    const value = entry[field];
    if (typeof value === 'string' && value && !path.isAbsolute(value)) entry[field] = path.resolve(baseDir, value);
  };
  for (const { cluster } of config.clusters) fix(cluster, 'certificate-authority');
  for (const { user } of config.users) {
    for (const field of ['client-certificate', 'client-key', 'tokenFile']) fix(user, field);
    const exec = user.exec;
    // A bare command name is looked up on PATH; only a path with a separator is relative to the file.
    if (isRecord(exec) && typeof exec.command === 'string' && /[\\/]/.test(exec.command)) fix(exec, 'command');
  }
}

/** Writes the kubeconfig readable only by the agent's user. */
export function writeKubeconfig(config: Kubeconfig, workDir: string): string {
  fs.mkdirSync(workDir, { recursive: true });
  const file = path.join(workDir, 'kubeconfig');
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, YAML.stringify(config), { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return file;
}

export interface ServiceAccountCluster {
  server: string;
  token: string;
  /** base64 of the PEM CA bundle (kubeconfig `certificate-authority-data`). */
  caData?: string;
  skipTlsVerify?: boolean;
  namespace?: string;
}

export function serviceAccountKubeconfig(sa: ServiceAccountCluster): Kubeconfig {
  const cluster: Entry = { server: sa.server };
  // kubectl and helm refuse a CA together with insecure-skip-tls-verify.
  if (sa.skipTlsVerify) cluster['insecure-skip-tls-verify'] = true;
  else if (sa.caData) cluster['certificate-authority-data'] = sa.caData;
  const context: Kubeconfig['contexts'][number]['context'] = { cluster: 'cluster', user: 'service-account' };
  if (sa.namespace) context.namespace = sa.namespace;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'cluster', cluster }],
    users: [{ name: 'service-account', user: { token: sa.token } }],
    contexts: [{ name: 'service-account', context }],
    'current-context': 'service-account',
  };
}
