// Pure checks of input values against the rules the cluster, helm and Azure will apply later, so that a
// bad input fails the task before anything changes, with one sentence that names the input.
import { isIP as netIsIP } from 'node:net';

/** A bad task input: the message is what the user reads (one sentence, no stack). */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** DNS-1123 label: what namespaces and helm release names (per segment) must be. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** DNS-1035 label: Service names; it adds "starts with a letter". */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export function isDnsLabel(value: string, maxLength = 63): boolean {
  return value.length <= maxLength && DNS_LABEL.test(value);
}

export function isDns1035Label(value: string, maxLength = 63): boolean {
  return value.length <= maxLength && DNS_1035_LABEL.test(value);
}

/** DNS-1123 subdomain: IngressClass, Secret and Gateway names. */
export function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && value.split('.').every((label) => DNS_LABEL.test(label));
}

/** A public host name as an Ingress or HTTPRoute takes it; `*.` only where a wildcard is allowed. */
export function isHostname(value: string, allowWildcard = false): boolean {
  const host = allowWildcard && value.startsWith('*.') ? value.slice(2) : value;
  const labels = host.split('.');
  return host.length <= 253 && labels.length >= 1 && labels.every((label) => DNS_LABEL.test(label));
}

export function isIP(value: string): boolean {
  return netIsIP(value) !== 0;
}

/** RFC 9110 token: header and cookie names. */
export function isToken(value: string): boolean {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value);
}

/** A header value nginx compares byte for byte: visible ASCII, inner spaces allowed. */
export function isHeaderValue(value: string): boolean {
  return /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value);
}

/** Kubernetes label key: optional DNS-subdomain prefix and '/', then a name of at most 63 characters. */
export function isLabelKey(value: string): boolean {
  const slash = value.lastIndexOf('/');
  const prefix = slash >= 0 ? value.slice(0, slash) : undefined;
  const name = slash >= 0 ? value.slice(slash + 1) : value;
  if (prefix !== undefined && !isDnsSubdomain(prefix)) return false;
  return name.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name);
}

/** Go's time.ParseDuration syntax, which helm's --timeout uses: e.g. `10m0s`, `90s`, `1h30m`, `0`. */
export function isGoDuration(value: string): boolean {
  return value === '0' || /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value);
}

/**
 * Names a values path may not use: writing them into a plain object reaches Object.prototype (the key
 * `__proto__.x` would give every object in the task an `x`). No chart needs them as value names.
 */
export const RESERVED_VALUE_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** The first reserved name among a values path's segments (`a.b\.c[0].d`: a, b, c, 0, d), if any. */
export function reservedSegment(path: string): string | undefined {
  return path.split(/[.[\]\\]/).find((segment) => RESERVED_VALUE_NAMES.has(segment));
}

/** A helm values path such as `ingress.host`: dot-separated, no empty segment, no spaces, no reserved name. */
export function isValuePath(value: string): boolean {
  return value.split('.').every((segment) => /^[^\s.=,[\]]+$/.test(segment)) && reservedSegment(value) === undefined;
}

/** Azure resource group name rules (1-90 characters; letters, digits, `-_.()`; not ending in `.`). */
export function isResourceGroupName(value: string): boolean {
  return /^[-\w.()]{1,90}$/u.test(value) && !value.endsWith('.');
}

/** ARM id of a Public IP address resource. */
export function isPublicIpResourceId(value: string): boolean {
  return /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/publicIPAddresses\/[^/]+$/i.test(
    value,
  );
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Non-negative integer in [min, max], written as plain digits (no `1e3`, no `12.0`). */
export function parseInteger(value: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

/** Lines of a multiline input, trimmed; blank lines and `#` comments dropped. */
export function lines(value: string | undefined): string[] {
  return (value ?? '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * `key=value` lines (helm --set semantics: the key is a values path such as `image.tag` or `env[0].name`,
 * the value is everything after the first `=`). Blank lines and `#` comments are skipped.
 */
export function parseKeyValueLines(input: string, value: string | undefined): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  (value ?? '').split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? '' : line.slice(0, eq).trim();
    if (!/^[^\s=]+$/.test(key)) {
      throw new InputError(
        `Input '${input}' line ${index + 1} is not a key=value pair (write one pair per line, e.g. image.tag=1.4.0).`,
      );
    }
    const reserved = reservedSegment(key);
    if (reserved !== undefined) {
      throw new InputError(
        `Input '${input}' line ${index + 1} sets the key '${key}', which uses the reserved name '${reserved}' (__proto__, constructor and prototype cannot be value names); rename the value.`,
      );
    }
    pairs.push([key, line.slice(eq + 1).trim()]);
  });
  return pairs;
}
