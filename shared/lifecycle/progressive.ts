// Progressive traffic in RouteTraffic: after the plan sent the first share of users to the staged slot,
// each step is held for trafficStepSeconds with the metric gates watched, then the next share is sent.
// A failed gate takes the users off the slot at once (holdGates) and ends the climb with an error.
import type { Slot } from '../core/model';
import type { TrafficSteps } from '../core/progressive';
import type { Lifecycle } from './context';
import { type GateWatch, holdGates } from './gates';

export async function climb(lc: Lifecycle, steps: TrafficSteps, slot: Slot, gates: GateWatch | undefined): Promise<string[]> {
  const { log, router } = lc;
  const notes: string[] = [];
  const n = steps.percents.length;
  for (const [i, percent] of steps.percents.entries()) {
    const label = `step ${i + 1} of ${n}`;
    if (i > 0) {
      await log.step(`Send ${percent} % of users to slot ${slot} (${label})`, () => router.setStagingPercent(slot, percent));
      await log.step(`Wait for the data plane: ${percent} % of users reach slot ${slot}`, () => router.settle(`${percent} % of users reach slot ${slot}`));
    }
    if (gates) notes.push(await holdGates(lc, gates, `at ${percent} % of users (${label})`, steps.seconds));
    else await log.step(`Hold ${percent} % of users on slot ${slot} (${label})`, () => log.wait(steps.seconds, `${label} of the progressive traffic`));
  }
  notes.push(`Slot ${slot} receives ${steps.percents[n - 1]} % of users after ${n} steps (${steps.percents.join(' -> ')} %), each held ${steps.seconds} s${gates ? ' with its metric gates passing' : ''}.`);
  return notes;
}
