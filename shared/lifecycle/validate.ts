// HTTP validation inside the lifecycle: which slot and route each check goes to, and one grouped step
// that retries until the checks pass or the time runs out.
import { type Check, type CheckResult, type CheckTarget, runCheck, runChecks, zip } from '../checks/http';
import type { CommonInputs } from '../inputs/types';
import type { Slot } from '../core/model';
import type { Router } from '../routers';
import type { Lifecycle } from './context';

export interface CheckSettings {
  timeoutSeconds: number;
  intervalSeconds: number;
}

export const checkSettings = (inputs: { checkTimeoutSeconds: number; checkIntervalSeconds: number }): CheckSettings => ({
  timeoutSeconds: inputs.checkTimeoutSeconds,
  intervalSeconds: inputs.checkIntervalSeconds,
});

/** The check's target with the checkAddress override applied (the Host header stays the public host). */
export function addressed(target: CheckTarget, checkAddress: string | undefined): CheckTarget {
  if (!checkAddress) return target;
  return { ...target, baseUrl: checkAddress, host: target.host ?? new URL(target.baseUrl).host };
}

/**
 * Pairs each check with where it goes. Staging checks go to the staging route of `slots.staging`, or to
 * production when nothing is staged (first deploy, or after the switch); production checks to production.
 */
export function targetsFor(router: Router, checks: Check[], slots: { staging?: Slot; production?: Slot }, checkAddress?: string) {
  return checks.flatMap((check) => {
    const slot = check.role === 'staging' ? (slots.staging ?? slots.production) : slots.production;
    if (!slot) return [];
    const exposure = check.role === 'staging' && slots.staging ? 'staging' : 'production';
    return [{ check, target: addressed(router.target(exposure, slot), checkAddress) }];
  });
}

/** Keeps each check's latest result for the run summary. */
function remember(lc: Lifecycle<CommonInputs>, pairs: Array<{ target: CheckTarget }>, results: CheckResult[]): void {
  zip(pairs, results).forEach(([{ target }, r]) => {
    const outcome = { target: target.label, line: r.check.line, ok: r.ok, detail: r.detail };
    const known = lc.checkOutcomes.findIndex((c) => c.target === outcome.target && c.line === outcome.line);
    if (known >= 0) lc.checkOutcomes[known] = outcome;
    else lc.checkOutcomes.push(outcome);
  });
}

/** Runs the checks (retrying) in one log group; throws a one-sentence summary of what failed. */
export async function verify(lc: Lifecycle<CommonInputs>, checks: Check[], settings: CheckSettings, slots: { staging?: Slot; production?: Slot }, title: string): Promise<void> {
  const pairs = targetsFor(lc.router, checks, slots, lc.inputs.checkAddress);
  if (!pairs.length) return;
  await lc.log.step(title, async () => {
    const { ok, results } = await runChecks(pairs, { ...settings, log: lc.log.info, runCheck: lc.runCheck });
    remember(lc, pairs, results);
    if (ok) return;
    const failed = zip(pairs, results).flatMap(([{ target }, r]) => (r.ok ? [] : [`${target.label}: \`${r.check.line}\` ${r.detail}`]));
    throw new Error(`Validation failed after ${settings.timeoutSeconds} s: ${failed.join('; ')}.`);
  });
}

/** How long confirmation after a switch retries checks that got no answer at all; a wrong answer fails at once. */
export const CONFIRM_SECONDS = 20;

/**
 * Confirms production serves `slot` after a switch the data plane has applied (a settle came first), so a
 * wrong answer can only come from the new slot: the first one fails at once (the caller moves users back).
 * Requests that got no answer are retried for at most CONFIRM_SECONDS.
 */
export async function confirm(lc: Lifecycle<CommonInputs>, checks: Check[], settings: CheckSettings, slot: Slot): Promise<void> {
  const pairs = targetsFor(lc.router, checks, { production: slot }, lc.inputs.checkAddress);
  if (!pairs.length) return;
  const budget = Math.min(CONFIRM_SECONDS, settings.timeoutSeconds);
  await lc.log.step(`Confirm production serves slot ${slot}`, async () => {
    const deadline = Date.now() + budget * 1000;
    for (let attempt = 1; ; attempt++) {
      const results = await Promise.all(pairs.map(({ check, target }) => (lc.runCheck ?? runCheck)(check, target)));
      const answered = zip(pairs, results);
      for (const [{ target }, r] of answered) lc.log.info(`${r.ok ? 'PASS' : 'FAIL'} ${target.label}: ${r.check.method} ${r.check.path} ${r.detail} (${r.ms} ms)`);
      remember(lc, pairs, results);
      const wrong = answered.flatMap(([{ target }, r]) => (!r.ok && r.status !== undefined ? [`${target.label}: \`${r.check.line}\` ${r.detail}`] : []));
      if (wrong.length) throw new Error(`Confirmation failed: ${wrong.join('; ')}.`);
      if (results.every((r) => r.ok)) return;
      if (Date.now() + settings.intervalSeconds * 1000 > deadline) {
        const failed = answered.flatMap(([{ target }, r]) => (r.ok ? [] : [`${target.label}: \`${r.check.line}\` ${r.detail}`]));
        throw new Error(`Confirmation failed: no answer within ${budget} s: ${failed.join('; ')}.`);
      }
      lc.log.info(`  attempt ${attempt}: no answer yet; retrying in ${settings.intervalSeconds} s`);
      await new Promise((r) => setTimeout(r, settings.intervalSeconds * 1000));
    }
  });
}
