// The agent's proxy, for every outgoing call of a task. The agent passes what `config.sh --proxyurl
// --proxyusername --proxypassword` and its .proxybypass file say as the variables Agent.ProxyUrl,
// Agent.ProxyUsername, Agent.ProxyPassword (a secret) and Agent.ProxyBypassList (a JSON array of regular
// expressions); task-lib's getHttpProxyConfiguration reads them. Each client is told in its own terms:
//
// - the Azure SDK (Entra ID sign-in, ARM): `proxyOptions` per client, decided on its base URL;
// - client-node and helm/client-go, for the Kubernetes API: the kubeconfig cluster's `proxy-url`;
// - helm, for chart repositories and registries: HTTPS_PROXY / HTTP_PROXY / NO_PROXY;
// - the HTTP checks and the route fence: an agent that tunnels through the proxy (CONNECT).
// (The helm download goes through tool-lib, which reads the same variables itself.)
//
// Bypass: an entry matches when its regular expression (case-insensitive) finds a match anywhere in the
// request's full URL, as task-lib and typed-rest-client match it. Nothing else bypasses the proxy: not
// even loopback addresses, as in task-lib (see docs/proxy.md).
import type * as http from 'node:http';
import type { ProxySettings } from '@azure/core-rest-pipeline';
import type * as TaskLib from 'azure-pipelines-task-lib/task';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import type { Kubeconfig } from './kubeconfig';
import { registerSecret } from '../inputs/secrets';

// task-lib loads on first use: loading it reads the environment into its vault and writes a key
// file, which a task wants and unit tests of the pure parts of this module do not.
const tl = (): typeof TaskLib => require('azure-pipelines-task-lib/task');

export interface AgentProxy {
  /** The proxy without credentials: safe to log. */
  url: URL;
  username: string;
  password: string;
  /** The bypass list as the agent gives it (regular expressions). */
  bypass: string[];
  patterns: RegExp[];
}

/** The agent's proxy settings are not usable; the message says which and where to fix them. */
export class ProxyConfigError extends Error {
  override name = 'ProxyConfigError';
}

/** Reads and checks the proxy settings; undefined when the agent has no proxy. */
export function parseAgentProxy(settings: { proxyUrl?: string; proxyUsername?: string; proxyPassword?: string; proxyBypassHosts?: unknown } | null | undefined): AgentProxy | undefined {
  const raw = settings?.proxyUrl?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new ProxyConfigError(`The agent's proxy URL (Agent.ProxyUrl) is not a URL; set one such as http://proxy:3128 with the agent's --proxyurl.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ProxyConfigError(`The agent's proxy ${url.protocol}//${url.host} is not an http or https proxy; the tasks support only those.`);
  }
  // Credentials in the URL itself count like --proxyusername/--proxypassword.
  const username = settings?.proxyUsername || decodeURIComponent(url.username);
  const password = settings?.proxyPassword || decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  const bypass = Array.isArray(settings?.proxyBypassHosts) ? settings.proxyBypassHosts.map(String).filter((b) => b.trim()) : [];
  const patterns = bypass.map((entry) => {
    try {
      return new RegExp(entry, 'i');
    } catch (err) {
      throw new ProxyConfigError(
        `The agent's proxy bypass list holds '${entry}', which is not a regular expression (${(err as Error).message}); fix the agent's .proxybypass file. Nothing was changed.`,
      );
    }
  });
  return { url, username, password, bypass, patterns };
}

/** True when `target` must not go through the proxy. */
export function isBypassed(proxy: AgentProxy, target: string): boolean {
  return proxy.patterns.some((p) => p.test(target));
}

/** The proxy URL with its credentials (percent-encoded), for clients that take one URL. */
export function proxyUrlWithCredentials(proxy: AgentProxy): string {
  const url = new URL(proxy.url.href);
  if (proxy.username) url.username = encodeURIComponent(proxy.username);
  if (proxy.password) url.password = encodeURIComponent(proxy.password);
  return url.href.replace(/\/$/, '');
}

/** e.g. "http://proxy:3128 (bypass: \.internal\.contoso\.com$)"; never the credentials. */
export function describeProxy(proxy: AgentProxy): string {
  const auth = proxy.username || proxy.password ? ' with credentials' : '';
  return `${proxy.url.href.replace(/\/$/, '')}${auth} (bypass: ${proxy.bypass.length ? proxy.bypass.join(', ') : 'none'})`;
}

/** The proxy for a request to `target`, undefined when there is none or the target is bypassed. */
export function proxyFor(proxy: AgentProxy | undefined, target: string): AgentProxy | undefined {
  return proxy && !isBypassed(proxy, target) ? proxy : undefined;
}

/** Azure SDK `proxyOptions` for a client whose calls go to `baseUrl` (Entra ID authority, ARM). */
export function azureProxyOptions(proxy: AgentProxy | undefined, baseUrl: string): ProxySettings | undefined {
  const use = proxyFor(proxy, baseUrl);
  if (!use) return undefined;
  return {
    host: `${use.url.protocol}//${use.url.hostname}`,
    port: Number(use.url.port || (use.url.protocol === 'https:' ? 443 : 80)),
    ...(use.username ? { username: use.username } : {}),
    ...(use.password ? { password: use.password } : {}),
  };
}

/**
 * Puts `proxy-url` on the kubeconfig's current cluster, which client-node and helm (client-go) both
 * honour for every API call. A cluster that names its own proxy keeps it; a bypassed server gets none.
 * Returns what it did, for the log.
 */
export function applyToKubeconfig(proxy: AgentProxy | undefined, config: Kubeconfig): 'set' | 'own' | 'bypassed' | 'none' {
  if (!proxy) return 'none';
  const context = config.contexts.find((c) => c.name === config['current-context']);
  const cluster = config.clusters.find((c) => c.name === context?.context.cluster);
  if (!cluster) return 'none';
  if (typeof cluster.cluster['proxy-url'] === 'string' && cluster.cluster['proxy-url']) return 'own';
  if (isBypassed(proxy, String(cluster.cluster.server ?? ''))) return 'bypassed';
  cluster.cluster['proxy-url'] = proxyUrlWithCredentials(proxy);
  return 'set';
}

/**
 * A NO_PROXY entry (Go's syntax: a host, a domain suffix `.contoso.com`, an IP, each with an optional
 * :port) for a bypass regex that names a host literally, such as `contoso\.com`, `^https?://build\.contoso\.com`,
 * `.*\.contoso\.com$`, `10\.0\.0\.4:8443`.
 * undefined: the regex is more than a host name, and helm cannot be told about it.
 */
export function noProxyEntry(regex: string): string | undefined {
  let s = regex.trim();
  s = s.replace(/^\^/, '').replace(/^\(?https\?\)?:\/\/|^https?:\/\/|^\(https\?:\/\/\)\?/i, '');
  s = s.replace(/^\.\*(\\\.)/, '$1').replace(/^\.\*/, '');
  s = s.replace(/\$$/, '').replace(/(\/\.\*|\.\*|\/)$/, '').replace(/(:\\d\+|:\[0-9\]\+)$/, '');
  const [, literal = '', port] = /^(.*?)(:\d+)?$/.exec(s.replace(/\\\./g, '.')) ?? [];
  if (/\\|[()[\]{}*+?|^$]/.test(literal)) return undefined;
  const host = /^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(literal) ? literal.toLowerCase() : undefined;
  // Go's NO_PROXY takes host:port too, so a regex naming one port stays that narrow.
  return host && `${host}${port ?? ''}`;
}

export interface HelmProxyEnv {
  env: Record<string, string>;
  /** Bypass entries helm cannot be told about (not a plain host name). */
  untranslated: string[];
}

/**
 * The environment that makes helm (chart repositories, OCI registries) use the proxy. The API server
 * goes by the kubeconfig's proxy-url; when it is bypassed it must be in NO_PROXY, or client-go would
 * take HTTPS_PROXY for it. Go never proxies localhost and loopback addresses through these variables.
 */
export function helmProxyEnv(proxy: AgentProxy | undefined, apiServer: string): HelmProxyEnv {
  if (!proxy) return { env: {}, untranslated: [] };
  const entries = proxy.bypass.map((b) => [b, noProxyEntry(b)] as const);
  const noProxy = new Set(entries.flatMap(([, e]) => (e ? [e] : [])));
  if (isBypassed(proxy, apiServer)) {
    try {
      noProxy.add(new URL(apiServer).hostname.replace(/^\[|\]$/g, ''));
    } catch {
      /* the connection already refused a server that is not a URL */
    }
  }
  const url = proxyUrlWithCredentials(proxy);
  return {
    env: { HTTPS_PROXY: url, HTTP_PROXY: url, NO_PROXY: [...noProxy].join(',') },
    untranslated: entries.filter(([, e]) => !e).map(([b]) => b),
  };
}

const agents = new Map<string, http.Agent>();

/** The agent a request to `target` goes through (a CONNECT tunnel via the proxy), or undefined: direct. */
export function tunnelAgent(proxy: AgentProxy | undefined, target: URL): http.Agent | undefined {
  const use = proxyFor(proxy, target.href);
  if (!use) return undefined;
  const key = `${target.protocol}${proxyUrlWithCredentials(use)}`;
  let agent = agents.get(key);
  if (!agent) {
    const options = { proxy: proxyUrlWithCredentials(use), keepAlive: false };
    agent = target.protocol === 'https:' ? new HttpsProxyAgent(options) : new HttpProxyAgent(options);
    agents.set(key, agent);
  }
  return agent;
}

let active: AgentProxy | undefined;

/** The proxy this task uses (after useAgentProxy). */
export const activeProxy = (): AgentProxy | undefined => active;

/** Sets the proxy every later call uses (useAgentProxy does; tests give their own). */
export function useProxy(proxy: AgentProxy | undefined): void {
  active = proxy;
}

/**
 * Reads the agent's proxy once per task, registers its credentials as secrets and logs it (without
 * them). Returns undefined when the agent has no proxy.
 */
export function useAgentProxy(): AgentProxy | undefined {
  let settings: ReturnType<typeof TaskLib.getHttpProxyConfiguration>;
  try {
    settings = tl().getHttpProxyConfiguration();
  } catch (err) {
    throw new ProxyConfigError(`The agent's proxy bypass list (Agent.ProxyBypassList) is not a JSON list of regular expressions (${(err as Error).message}); check the agent's .proxybypass file.`);
  }
  const proxy = parseAgentProxy(settings);
  if (proxy) {
    // Both halves of the credentials, also as they appear percent-encoded in a proxy URL.
    for (const value of [proxy.username, proxy.password]) {
      registerSecret(value);
      if (encodeURIComponent(value) !== value) registerSecret(encodeURIComponent(value));
    }
    console.log(`Using the agent's proxy ${describeProxy(proxy)}.`);
  }
  useProxy(proxy);
  return proxy;
}
