// Tier 1 of the history tests: thousands of random lifecycle histories (several runs' hooks in any order,
// retries, a task killed after any write, readiness blips, deleted routes, versions that fail to start,
// answer 500, or break only under real traffic) against the in-memory world of core/model.ts, with the real
// plans and executor. Invariants are checked after every write (core/model.ts) and after every task.
// Seeds are printed; a failure is shrunk to a minimal history and reproduced with HISTORY_SEED and
// HISTORY_PATH (fast-check prints both). HISTORIES sets the count (default 10,000).
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyEvent, checkSettled, cloneWorld, type EnvEvent, newWorld, projection, type Quality, runTask, type TaskRun, type World } from './model';
import { tally } from './tally';

const TASKS = ['Deploy', 'RouteTraffic', 'OnSuccess', 'OnFailure'] as const;
const quality = fc.constantFrom<Quality>('good', 'good', 'good', 'bad', 'crash', 'degrades');
const crashAfter = fc.option(fc.integer({ min: 1, max: 9 }), { freq: 3, nil: undefined });

const taskArb = (run: fc.Arbitrary<number>): fc.Arbitrary<Omit<TaskRun, 'quality'>> =>
  fc.record({
    task: fc.constantFrom(...TASKS),
    run,
    percent: fc.constantFrom(0, 0, 20),
    keep: fc.boolean(),
    retire: fc.constantFrom<'delete' | 'keep'>('delete', 'keep'),
    helmTest: fc.boolean(),
    identify: fc.boolean(),
    crashAfter,
  });

type Command =
  | { kind: 'task'; task: Omit<TaskRun, 'quality'> }
  /** A deployment job whose hooks run in order; `hooks` of them (1-4) run, hook `crashAt` is killed after `crashAfter` writes. */
  | { kind: 'pipeline'; run: number; hooks: number; crashAt: number; crashAfter?: number; percent: number; keep: boolean }
  | { kind: 'env'; event: EnvEvent };

const slot = fc.constantFrom<'blue' | 'green'>('blue', 'green');
const envArb: fc.Arbitrary<EnvEvent> = fc.oneof(
  fc.record({ kind: fc.constant<'blip'>('blip'), slot }),
  fc.record({ kind: fc.constant<'heal'>('heal'), slot }),
  fc.constant<EnvEvent>({ kind: 'drift' }),
  fc.constant<EnvEvent>({ kind: 'converge' }),
);
const RUNS = 5;
const runArb = fc.integer({ min: 1, max: RUNS });
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: taskArb(runArb).map((task) => ({ kind: 'task' as const, task })) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant<'pipeline'>('pipeline'), run: runArb, hooks: fc.constantFrom(1, 2, 4, 4), crashAt: fc.integer({ min: 0, max: 3 }), crashAfter, percent: fc.constantFrom(0, 20), keep: fc.boolean() }),
  },
  { weight: 2, arbitrary: envArb.map((event) => ({ kind: 'env' as const, event })) },
);
export const historyArb = fc.record({ qualities: fc.array(quality, { minLength: RUNS + 1, maxLength: RUNS + 1 }), commands: fc.array(commandArb, { minLength: 1, maxLength: 20 }) });
export type History = { qualities: Quality[]; commands: Command[] };

async function task(w: World, h: History, t: Omit<TaskRun, 'quality'>): Promise<string> {
  const outcome = await runTask(w, { ...t, quality: h.qualities[t.run] });
  if (outcome !== 'crashed') checkSettled(w, `${t.task} of run ${t.run}`);
  return outcome;
}

/** Plays a history; returns the world (its violations say what broke). */
export async function play(h: History): Promise<World> {
  const w = newWorld();
  for (const c of h.commands) {
    if (c.kind === 'env') applyEvent(w, c.event);
    else if (c.kind === 'task') await task(w, h, c.task);
    else {
      // A deployment job: deploy, routeTraffic, then on.success or on.failure, one of them killed.
      const base = { run: c.run, percent: c.percent, keep: c.keep, retire: 'delete' as const, identify: true };
      const crash = (i: number) => (i === c.crashAt ? c.crashAfter : undefined);
      const deployed = await task(w, h, { ...base, task: 'Deploy', crashAfter: crash(0) });
      const routed = deployed === 'succeeded' && c.hooks > 1 ? await task(w, h, { ...base, task: 'RouteTraffic', crashAfter: crash(1) }) : 'stopped';
      if (c.hooks < 3) continue;
      if (routed === 'succeeded') {
        const promoted = await task(w, h, { ...base, task: 'OnSuccess', crashAfter: crash(2) });
        if (promoted === 'failed') await task(w, h, { ...base, task: 'OnFailure', crashAfter: crash(3) });
      } else if (routed === 'failed') await task(w, h, { ...base, task: 'OnFailure', crashAfter: crash(3) });
    }
    if (w.violations.length) break;
  }
  return w;
}

const count = Number(process.env.HISTORIES ?? 10_000);
const seedOf = (salt: number) => (process.env.HISTORY_SEED ? Number(process.env.HISTORY_SEED) : (Date.now() + salt) % 2 ** 31);

describe('histories (tier 1): random lifecycles against the in-memory world', function () {
  this.timeout(600_000);

  it(`${count} histories keep every invariant after every write and every task`, async () => {
    const seed = seedOf(0);
    console.log(`      seed ${seed} (HISTORY_SEED=${seed} reproduces), ${count} histories`);
    let played = 0;
    await fc.assert(
      fc.asyncProperty(historyArb, async (h) => {
        played++;
        const w = await play(h);
        assert.deepEqual(w.violations, []);
      }),
      { numRuns: count, seed, path: process.env.HISTORY_PATH, endOnFailure: false },
    ).catch((err) => {
      tally.violations++;
      throw err;
    }).finally(() => (tally.histories += played));
  });

  it('a task killed after any write, then run again, ends where the uninterrupted task ends', async () => {
    const runs = Math.max(1000, count);
    const seed = seedOf(1);
    console.log(`      seed ${seed}, ${runs} histories`);
    let played = 0;
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(historyArb, taskArb(runArb), fc.integer({ min: 1, max: 8 }), fc.boolean(), async (prefix, t0, n, latest) => {
        played++;
        const start = await play(prefix);
        if (start.violations.length) return;
        // Mostly the next hook of the deployment job the prefix left in flight, so the killed task has work to do.
        const last = [...prefix.commands].reverse().find((c) => c.kind === 'pipeline');
        const next = (hooks: number): TaskRun['task'] => (hooks === 1 ? 'RouteTraffic' : hooks === 2 ? (t0.keep ? 'OnFailure' : 'OnSuccess') : 'Deploy');
        const t = latest && last?.kind === 'pipeline' ? { ...t0, task: next(last.hooks), run: last.hooks < 3 ? last.run : t0.run } : t0;
        const whole = cloneWorld(start);
        const wholeOutcome = await runTask(whole, { ...t, crashAfter: undefined, quality: prefix.qualities[t.run] });
        const killed = cloneWorld(start);
        if ((await runTask(killed, { ...t, crashAfter: n, quality: prefix.qualities[t.run] })) !== 'crashed') return;
        const rerunOutcome = await runTask(killed, { ...t, crashAfter: undefined, quality: prefix.qualities[t.run] });
        compared++;
        assert.deepEqual(killed.violations, []);
        assert.equal(projection(killed), projection(whole), `${t.task} of run ${t.run} killed after write ${n}`);
        assert.equal(rerunOutcome, wholeOutcome);
      }),
      { numRuns: runs, seed, path: process.env.HISTORY_PATH },
    ).catch((err) => {
      tally.violations++;
      throw err;
    }).finally(() => (tally.histories += played));
    console.log(`      ${compared} killed-and-re-run tasks compared with their uninterrupted twin`);
    assert.ok(compared > runs / 20, `only ${compared} of ${runs} histories reached a kill`);
  });
});
