// Reading service connections (endpoints) the way the agent hands them to a task, and keeping what
// we derive from them out of the log.
import type * as TaskLib from 'azure-pipelines-task-lib/task';

// task-lib loads on first use: loading it reads the environment into its vault and writes a key
// file, which a task wants and unit tests of the pure parts of this module do not.
const tl = (): typeof TaskLib => require('azure-pipelines-task-lib/task');

/** A failure to obtain a working cluster connection; the message is what the user should read. */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
}

export interface EndpointAuth {
  scheme: string;
  parameters: Record<string, string>;
}

/**
 * The authorization of a service connection.
 * The agent sets ENDPOINT_AUTH_<id> (JSON: scheme + parameters) next to one variable per parameter.
 * We read the JSON because task-lib's per-parameter getter writes every value into a debug line
 * (`<id> auth param apitoken = ...`); the agent masks those, but a secret that never reaches
 * stdout cannot leak through a masking gap. The per-parameter variables are the fallback.
 */
export function endpointAuth(id: string): EndpointAuth | undefined {
  const whole = tl().getEndpointAuthorization(id, true) as { scheme?: string; parameters?: Record<string, string> } | undefined;
  if (whole && (whole.scheme || whole.parameters)) {
    return { scheme: whole.scheme ?? '', parameters: whole.parameters ?? {} };
  }
  const scheme = tl().getEndpointAuthorizationScheme(id, true);
  return scheme ? { scheme, parameters: {} } : undefined;
}

/** One authorization parameter, case-insensitive (the service stores `apitoken`, docs say `apiToken`). */
export function authParam(id: string, auth: EndpointAuth, key: string): string | undefined {
  const wanted = key.toLowerCase();
  for (const [name, value] of Object.entries(auth.parameters)) {
    if (name.toLowerCase() === wanted && value) return value;
  }
  if (Object.keys(auth.parameters).length > 0) return undefined;
  return tl().getEndpointAuthorizationParameter(id, key, true) || undefined;
}

export function endpointData(id: string, key: string): string | undefined {
  return tl().getEndpointDataParameter(id, key, true) || undefined;
}

export function endpointUrl(id: string): string | undefined {
  return tl().getEndpointUrl(id, true) || undefined;
}

/** Fails clearly when the job has no such service connection (wrong name, or not authorized). */
export function requireEndpoint(id: string | undefined, kind: string): { id: string; auth: EndpointAuth } {
  if (!id) throw new ConnectionError(`No ${kind} service connection is set: choose one in the task's connection input.`);
  const auth = endpointAuth(id);
  if (!auth) {
    throw new ConnectionError(
      `Service connection '${id}' is not available to this job: check its name or id and that the pipeline is allowed to use it.`,
    );
  }
  return { id, auth };
}

const registered = new Set<string>();

/**
 * Registers a value with the agent's log masker. task-lib refuses multi-line secrets, so a PEM key or
 * a multi-line value is registered line by line (marker lines like `-----BEGIN ...` are not secret).
 * Very short values are skipped: masking "true" would blank every "true" in the log.
 */
export function registerSecret(value: string | undefined): void {
  if (!value) return;
  for (const raw of value.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.length < 8 || /^-----(BEGIN|END) /.test(line) || registered.has(line)) continue;
    registered.add(line);
    tl().setSecret(line);
  }
}
