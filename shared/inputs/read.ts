// Typed, validated task inputs. One reader for all four tasks; every bad input is one clear error. The
// app's settings (layout and routing) come from Deploy's inputs, and for the later tasks from the app's
// record in the cluster (shared/core/settings.ts), so a task reads its inputs once it is connected.
import { ROUTER_KINDS, type RouterKind } from '../core/model';
import type * as TaskLib from 'azure-pipelines-task-lib/task';
import type * as TaskLibInternal from 'azure-pipelines-task-lib/internal';
import {
  INPUT_DEFAULTS,
  type InputSource,
  Reader,
  RETIRE_POLICIES,
  AFTER_ROLLBACK,
} from './source';
import { readChart, readSecretValues, readValueFiles } from './chart';
import { readChecksCa } from '../checks/ca';
import { readRouting } from './routing';
import { readGateInputs } from '../gates/inputs';
import { readTrafficSteps } from '../core/progressive';
import { readApp, readConnection, readHelm, readRunId } from './target';
import { readFailFast } from './rollout';
import { registerSecret } from './secrets';
import { type AppSettings, deploySettings, givenSettings, laterTaskSettings, type Settings, withSettings } from '../core/settings';
import * as v from './rules';
import { percentProblem } from '../routers/capabilities';

export { InputError } from './rules';
export { MAX_APP_NAME, MAX_NAMESPACE } from './target';
export { INPUT_DEFAULTS, type InputSource } from './source';

export * from './types';
import { BEFORE_RECORD, DEFAULT_VALUE_KEYS, type CommonInputs, type DeployInputs, type OnFailureInputs, type OnSuccessInputs, type RollbackInputs, type RouteTrafficInputs, type RoutingInputs, type SettingsSource, type TaskTarget, type ValueKeys } from './types';

// ---------------------------------------------------------------------------------------------------
// Readers: each reads its task's inputs (task-lib by default), validates them and returns the contract
// types (types.ts), or throws an InputError whose message names the input and says what to write instead.

const nonEmpty = (value: string | undefined): string | undefined => value?.trim() || undefined;

/**
 * Inputs as the agent passes them, through task-lib. task-lib is loaded on first use, not at import: loading
 * it reads the process environment into its vault and writes a key file, which the task wants and the
 * unit tests and scripts that import this module do not.
 */
export function agentInputs(): InputSource {
  const tl = require('azure-pipelines-task-lib/task') as typeof TaskLib;
  const internal = require('azure-pipelines-task-lib/internal') as typeof TaskLibInternal;
  return {
    input: (name) => nonEmpty(tl.getInput(name, false)),
    // tl.getInput writes `name=value` to the debug log before the value could be registered as a secret;
    // this vault read is what getInput does, minus that echo.
    secretInput: (name) => nonEmpty(internal._vault.retrieveSecret(`INPUT_${internal._getVariableKey(name)}`)),
    variable: (name) => nonEmpty(tl.getVariable(name)),
    // Registered through inputs/secrets.ts, which also remembers the value to mask the summary, outputs and errors.
    setSecret: (value) => registerSecret(value),
  };
}

/** The inputs read before connecting, so that a bad one fails the task before it reaches the cluster. */
export function readTarget(src: InputSource = agentInputs()): TaskTarget {
  const r = new Reader(src);
  return { app: readApp(r), connection: readConnection(r), helm: readHelm(r) };
}

export function readDeployInputs(src: InputSource = agentInputs(), found?: SettingsSource): DeployInputs {
  const r = new Reader(src);
  return {
    ...readCommon(r, found, true),
    chart: readChart(r),
    valueFiles: readValueFiles(r),
    setValues: v.parseKeyValueLines('setValues', r.text('setValues')),
    secretValues: readSecretValues(r),
    timeout: r.duration('timeout', INPUT_DEFAULTS.deployTimeout),
    createNamespace: r.bool('createNamespace', INPUT_DEFAULTS.createNamespace),
    failFast: readFailFast(r),
  };
}

export function readRouteTrafficInputs(src: InputSource = agentInputs(), found?: SettingsSource): RouteTrafficInputs {
  const r = new Reader(src);
  const common = readCommon(r, found, false);
  const trafficPercent = r.integer('trafficPercent', 0, 100, INPUT_DEFAULTS.trafficPercent);
  const router = knownRouter(r, common);
  const percentRefused = router && percentProblem(router, trafficPercent, 'trafficPercent');
  if (percentRefused) throw new v.InputError(percentRefused);
  const gates = readGateInputs(r, common.connection);
  const trafficSteps = readTrafficSteps(r, router, trafficPercent);
  if (gates && trafficSteps && trafficSteps.seconds < gates.settings.intervalSeconds) {
    throw new v.InputError(`Input 'trafficStepSeconds' (${trafficSteps.seconds} s) is shorter than 'gateInterval' (${gates.settings.intervalSeconds} s); the gates would not be evaluated at each step.`);
  }
  return {
    ...common,
    ...readChecks(r),
    helmTest: r.bool('helmTest', INPUT_DEFAULTS.helmTest),
    trafficPercent,
    timeout: r.duration('timeout', INPUT_DEFAULTS.routeTrafficTimeout),
    gates,
    trafficSteps,
  };
}

export function readOnSuccessInputs(src: InputSource = agentInputs(), found?: SettingsSource): OnSuccessInputs {
  const r = new Reader(src);
  const common = readCommon(r, found, false);
  return {
    ...common,
    ...readChecks(r),
    retire: r.choice('retirePolicy', RETIRE_POLICIES, INPUT_DEFAULTS.retirePolicy),
    drainSeconds: r.integer('drainSeconds', 0, 3600, INPUT_DEFAULTS.drainSeconds),
    gates: readGateInputs(r, common.connection),
  };
}

export function readRollbackInputs(src: InputSource = agentInputs(), found?: SettingsSource): RollbackInputs {
  const r = new Reader(src);
  return {
    ...readCommon(r, found, false),
    ...readChecks(r),
    afterRollback: r.choice('afterRollback', AFTER_ROLLBACK, INPUT_DEFAULTS.afterRollback),
    drainSeconds: r.integer('drainSeconds', 0, 3600, INPUT_DEFAULTS.drainSeconds),
  };
}

export function readOnFailureInputs(src: InputSource = agentInputs(), found?: SettingsSource): OnFailureInputs {
  const r = new Reader(src);
  return { ...readCommon(r, found, false), keepFailedSlot: r.bool('keepFailedSlot', INPUT_DEFAULTS.keepFailedSlot) };
}

/**
 * The app comes first: with no inputs at all, "app name is required" is the most useful message. Its
 * layout and routing are read from the settings the task works with: Deploy's own inputs (checked against
 * the record), or for a later task the record's settings with its own inputs checked against them.
 */
function readCommon(r: Reader, source: SettingsSource, deploy: boolean): CommonInputs {
  readApp(r);
  const connection = readConnection(r);
  const found = source === BEFORE_RECORD ? undefined : source;
  const parse = (settings: Settings) => {
    const rs = new Reader(withSettings(r.src, settings));
    const app = readApp(rs);
    return { app, routing: readRouting(rs, app, connection, readValueKeys(rs)) };
  };
  const given = givenSettings(r.src);
  const origin = { app: r.required('name', 'app name'), configMap: found?.configMap ?? '' };
  let settings: AppSettings;
  if (deploy) {
    const changes = deploySettings(given, found?.settings, origin, r.bool('changeSettings', INPUT_DEFAULTS.changeSettings), parse);
    const layoutChange = changes.find((c) => c.input === 'namespaceLayout');
    if (layoutChange) {
      throw new v.InputError(
        `App ${origin.app} is deployed with namespaceLayout ${layoutChange.recorded ?? INPUT_DEFAULTS.namespaceLayout}; the layout cannot change, as both slots would move to other namespaces. Nothing was changed. Keep the layout, or deploy under another app name.`,
      );
    }
    settings = { effective: given, recorded: found?.settings, changes };
  } else {
    settings = { effective: laterTaskSettings(given, found?.settings, origin, parse), recorded: found?.settings, changes: [] };
  }
  // A later task's settings may be completed by the record: checked once it is read.
  const { app, routing } = source === BEFORE_RECORD && !deploy ? { app: readApp(r), routing: undefined as unknown as RoutingInputs } : parse(settings.effective);
  const checkAddress = r.text('checkAddress');
  if (checkAddress !== undefined && !v.isHttpUrl(checkAddress)) {
    throw new v.InputError(`Input 'checkAddress' is '${checkAddress}', which is not an http(s) base URL such as http://10.0.0.4.`);
  }
  return {
    app,
    connection,
    helm: readHelm(r),
    routing,
    lockTimeoutSeconds: r.integer('lockTimeout', 0, 86400, INPUT_DEFAULTS.lockTimeout),
    checkAddress: checkAddress?.replace(/\/+$/, ''),
    checksCa: readChecksCa(r.text('checksCaCertificate'), r.workingDirectory()),
    runId: readRunId(r),
    requestedBy: r.src.variable('Release.RequestedFor') ?? r.src.variable('Build.RequestedFor'),
    chart: r.text('chart') ? readChart(r) : undefined,
    settings,
  };
}

/**
 * The router, when it is known: from the settings (the inputs, completed by the app's record), or, before
 * the record is read, from the router input when one is given (a later read refuses one that contradicts
 * the record). Undefined: the router's preflight refuses what it cannot do, before anything changes.
 */
function knownRouter(r: Reader, common: CommonInputs): RouterKind | undefined {
  if (common.routing) return common.routing.router;
  return r.text('router') === undefined ? undefined : r.choice('router', ROUTER_KINDS, INPUT_DEFAULTS.router);
}

/** `role=key` lines over DEFAULT_VALUE_KEYS, e.g. `host=ingress.hostname`; read only for chart-owned routing. */
function readValueKeys(r: Reader): ValueKeys {
  const keys: ValueKeys = { ...DEFAULT_VALUE_KEYS };
  const roles = Object.keys(DEFAULT_VALUE_KEYS) as Array<keyof ValueKeys>;
  for (const [role, key] of v.parseKeyValueLines('valueKeys', r.text('valueKeys'))) {
    const known = roles.find((k) => k.toLowerCase() === role.toLowerCase());
    if (known === undefined) {
      throw new v.InputError(`Input 'valueKeys' names the role '${role}', which is not one of: ${roles.join(', ')}.`);
    }
    if (!v.isValuePath(key)) {
      throw new v.InputError(`Input 'valueKeys' maps '${role}' to '${key}', which is not a values path such as ingress.host.`);
    }
    keys[known] = key;
  }
  return keys;
}


function readChecks(r: Reader): { checks: string; checkTimeoutSeconds: number; checkIntervalSeconds: number } {
  const checkTimeoutSeconds = r.integer('checkTimeout', 1, 3600, INPUT_DEFAULTS.checkTimeout);
  const checkIntervalSeconds = r.integer('checkInterval', 1, 3600, INPUT_DEFAULTS.checkInterval);
  if (checkIntervalSeconds > checkTimeoutSeconds) {
    throw new v.InputError(
      `Input 'checkInterval' (${checkIntervalSeconds} s) is longer than 'checkTimeout' (${checkTimeoutSeconds} s); the checks would run only once.`,
    );
  }
  return { checks: r.text('checks') ?? '', checkTimeoutSeconds, checkIntervalSeconds };
}
