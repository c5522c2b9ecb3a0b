// Progressive traffic in RouteTraffic: a list of shares of real users (10, 25, 50), each held for a
// pause during which the metric gates are watched; the first failed gate takes users off the slot.

import type { RouterKind } from './model';
import type { Reader } from '../inputs/source';
import { InputError, parseInteger } from '../inputs/rules';
import { percentProblem } from '../routers/capabilities';

export const TRAFFIC_STEP_SECONDS_DEFAULT = '300';

export interface TrafficSteps {
  /** Shares of real users, strictly rising, 1-100. */
  percents: number[];
  /** How long each step is held (the gates are watched meanwhile). */
  seconds: number;
}

/** `10, 25, 50` (commas, spaces or lines; an optional % after each) -> [10, 25, 50]; throws InputError. */
export function parseTrafficSteps(text: string): number[] {
  const words = text.split(/[\s,;]+/).map((w) => w.replace(/%$/, '')).filter(Boolean);
  const percents = words.map((w) => {
    const n = parseInteger(w, 1, 100);
    if (n === undefined) throw new InputError(`Input 'trafficSteps' has '${w}', which is not a share of users from 1 to 100; write the steps as e.g. 10, 25, 50.`);
    return n;
  });
  percents.forEach((p, i) => {
    const before = percents[i - 1];
    if (before !== undefined && p <= before) throw new InputError(`Input 'trafficSteps' is '${text.trim()}': each step must send more users than the one before (${before} then ${p}).`);
  });
  return percents;
}

/**
 * Undefined without steps. Refused where the router cannot send a step's share (routers/capabilities.ts;
 * when the router is known from the inputs or the record; otherwise the router's preflight refuses before
 * anything changes), and beside a trafficPercent.
 */
export function readTrafficSteps(r: Reader, router: RouterKind | undefined, trafficPercent: number): TrafficSteps | undefined {
  const text = r.text('trafficSteps');
  if (text === undefined) return undefined;
  const percents = parseTrafficSteps(text);
  if (!percents.length) return undefined;
  for (const percent of percents) {
    const problem = router && percentProblem(router, percent, 'trafficSteps');
    if (problem) throw new InputError(problem);
  }
  if (trafficPercent > 0) {
    throw new InputError(`Inputs 'trafficPercent' (${trafficPercent}) and 'trafficSteps' are both set: give either one share of users, or the steps (the last step is the share the slot keeps).`);
  }
  return { percents, seconds: r.integer('trafficStepSeconds', 1, 86400, TRAFFIC_STEP_SECONDS_DEFAULT) };
}
