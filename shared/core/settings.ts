// The app's settings, stated once. Deploy is told how the app is laid out and routed (router, host,
// ownership, gateway, Traffic Manager profile, ...) and records that in the app's record in the cluster;
// RouteTraffic, OnSuccess and OnFailure read it back, so they need only the connection, the app's name and
// namespace, and their own inputs. A setting a later task does give must agree with the record, and a
// Deploy that states other settings is refused unless it says it changes them (changeSettings): a router
// or host mistyped in one hook must never rewrite the routing of a live app. See docs/settings.md.
import { isDeepStrictEqual } from 'node:util';
import type { InputSource } from '../inputs/source';
import { InputError } from '../inputs/rules';

/** The inputs that describe the app: recorded by Deploy, read back by the later tasks. */
export const SETTING_INPUTS = [
  'namespaceLayout',
  'router',
  'routingOwnership',
  'host',
  'path',
  'ingressClass',
  'stagingHeader',
  'stagingHeaderValue',
  'stagingCookie',
  'podSelectorLabel',
  'servicePort',
  'tlsSecret',
  'valueKeys',
  'gatewayName',
  'gatewayNamespace',
  'gatewaySection',
  'hostnames',
  'trafficManagerResourceGroup',
  'trafficManagerProfile',
  'trafficManagerEndpointType',
  'blueAddress',
  'greenAddress',
  'bluePublicIp',
  'greenPublicIp',
] as const;

/**
 * Recorded too, but any task may give its own without contradicting the record: which service connection
 * reaches Azure, and how long to wait for a controller or for DNS answers to expire, belong to the pipeline
 * (a rollback pipeline may use another connection or wait longer), not to what the app is.
 */
export const PIPELINE_INPUTS = ['trafficManagerConnection', 'settleSeconds', 'trafficManagerTtlMargin'] as const;

/** Every input the record keeps: the later tasks leave them empty to use the recorded value. */
export const RECORDED_INPUTS = [...SETTING_INPUTS, ...PIPELINE_INPUTS] as readonly string[];
const ALL = RECORDED_INPUTS;

/** Input name -> value as written by the user (only the inputs that were given). */
export type Settings = Record<string, string>;

/** The settings in the app's record, and which run wrote them. */
export interface RecordedSettings {
  inputs: Settings;
  run: string;
  at: string;
}

/** A setting this task states differently from the record. */
export interface SettingChange {
  input: string;
  recorded?: string;
  given?: string;
}

/** The settings a task was given (empty inputs are not given). */
export function givenSettings(src: InputSource): Settings {
  const given: Settings = {};
  for (const name of ALL) {
    const value = src.input(name);
    if (value !== undefined) given[name] = value;
  }
  return given;
}

/** The task's inputs with the settings taken from `settings` only (absent there: not given). */
export function withSettings(src: InputSource, settings: Settings): InputSource {
  return { ...src, input: (name) => (ALL.includes(name) ? settings[name] : src.input(name)) };
}

/**
 * The settings whose change would change what the app is: a value that reads the same once parsed (say
 * `NGINX` for `nginx`, or the default written out) is no change. `parse` reads the app's layout and
 * routing from a set of settings and throws an InputError when they do not make a valid app.
 */
export function changedSettings(recorded: Settings, given: Settings, names: readonly string[], parse: (s: Settings) => unknown): SettingChange[] {
  let base: unknown;
  try {
    base = parse(recorded);
  } catch (err) {
    throw new InputError(`The app's recorded settings are no longer valid (${(err as Error).message}); run Deploy with changeSettings: true and the settings the app should have.`);
  }
  const changes: SettingChange[] = [];
  for (const input of names) {
    if (recorded[input] === given[input] || (PIPELINE_INPUTS as readonly string[]).includes(input)) continue;
    const next = { ...recorded };
    if (given[input] === undefined) delete next[input];
    else next[input] = given[input];
    let same = false;
    try {
      same = isDeepStrictEqual(parse(next), base);
    } catch {
      // Not even valid together with the other recorded settings: certainly a different app.
    }
    if (!same) changes.push({ input, recorded: recorded[input], given: given[input] });
  }
  return changes;
}

const shown = (value: string | undefined) => (value === undefined ? '(not set)' : `'${value}'`);

export function describeChanges(changes: SettingChange[]): string {
  return changes.map((c) => `${c.input}: recorded ${shown(c.recorded)}, this task says ${shown(c.given)}`).join('; ');
}

/** Where the record was written, for messages. */
export interface SettingsOrigin {
  app: string;
  configMap: string;
}

/**
 * The settings a later task (RouteTraffic, OnSuccess, OnFailure) works with: the record's, each input it
 * gives checked against them. Without a record (an app deployed by an older version of the tasks, or not
 * deployed) the task's own inputs and their defaults, as before.
 */
export function laterTaskSettings(given: Settings, recorded: RecordedSettings | undefined, origin: SettingsOrigin, parse: (s: Settings) => unknown): Settings {
  if (!recorded) return given;
  const changes = changedSettings(recorded.inputs, given, Object.keys(given), parse);
  if (changes.length > 0) {
    throw new InputError(
      `App ${origin.app} was deployed with other settings than this task's inputs (recorded in ConfigMap ${origin.configMap} by run ${recorded.run}); nothing was changed. ${describeChanges(changes)}. ` +
        'The later tasks read the app\'s settings from the cluster: remove these inputs, or change the settings deliberately with a Deploy that sets changeSettings: true.',
    );
  }
  return { ...recorded.inputs, ...given };
}

/**
 * Deploy states the app's settings: what it was given (and the defaults of what it was not). A difference
 * from the record is refused unless `allowChange` (the changeSettings input); with it, the changes are
 * returned for the log.
 */
export function deploySettings(given: Settings, recorded: RecordedSettings | undefined, origin: SettingsOrigin, allowChange: boolean, parse: (s: Settings) => unknown): SettingChange[] {
  if (!recorded) return [];
  const names = [...new Set([...Object.keys(recorded.inputs), ...Object.keys(given)])];
  const changes = changedSettings(recorded.inputs, given, names, parse);
  if (changes.length > 0 && !allowChange) {
    throw new InputError(
      `App ${origin.app} was deployed with other settings (recorded in ConfigMap ${origin.configMap} by run ${recorded.run}); nothing was changed. ${describeChanges(changes)}. ` +
        'Give Deploy the settings the app has, or set changeSettings: true to change them on purpose (the routing of both slots then follows the new settings).',
    );
  }
  return changes;
}

/** What a task knows of the app's settings, carried in its inputs. */
export interface AppSettings {
  /** The settings the task works with (given and recorded, merged); Deploy records these. */
  effective: Settings;
  /** The record's settings when the task read them; the lease holder checks they did not change meanwhile. */
  recorded?: RecordedSettings;
  /** Deploy with changeSettings: what it changes. */
  changes: SettingChange[];
}

export const sameSettings = (a: RecordedSettings | undefined, b: RecordedSettings | undefined) => isDeepStrictEqual(a?.inputs, b?.inputs);
