// The demo's story: the lifecycle a pipeline runs three times. v1 is the first deploy, v2 is validated
// and promoted, v3 is broken (its pods answer 500), fails RouteTraffic and is withdrawn.
import type { TaskResult } from '../cluster/agent';
import { checksFor, type TaskName, version } from '../integration/env';

export interface Step {
  /** 1-based, also the probe phase name. */
  index: number;
  task: TaskName;
  run: number;
  version: string;
  inputs: Record<string, string>;
  /** What the pipeline expects: the broken v3 must fail RouteTraffic. */
  expect: TaskResult;
  /** One line saying what the step does to routing. */
  intent: string;
  note?: string;
}

/** RouteTraffic gives the broken version this long before failing it (a real pipeline: minutes). */
export const BROKEN_CHECK_TIMEOUT_SECONDS = 5;

export interface ScenarioOptions {
  router: 'nginx' | 'appgw';
  ownership: 'managed' | 'chart';
}

export function scenario(o: ScenarioOptions): Step[] {
  const testers = o.router === 'nginx' ? 'header canary: always' : 'path /canary';
  const promote =
    o.ownership === 'managed'
      ? 'switch production to v2 with one selector patch, confirm it serves, retire v1'
      : 're-render both slots so v2 serves production, confirm it serves, retire v1';
  const steps: Array<Omit<Step, 'index'>> = [
    { task: 'Deploy', run: 1, version: '1.0.0', inputs: version('1.0.0'), expect: 'Succeeded', intent: 'first deploy: slot blue becomes production directly', note: 'first deploy' },
    { task: 'Deploy', run: 2, version: '2.0.0', inputs: version('2.0.0'), expect: 'Succeeded', intent: `install v2 into the idle slot, reachable by testers only (${testers}); users stay on v1` },
    { task: 'RouteTraffic', run: 2, version: '2.0.0', inputs: checksFor('2.0.0'), expect: 'Succeeded', intent: 'check the staged slot: GET /ping expect 200 contains "version":"2.0.0"' },
    { task: 'OnSuccess', run: 2, version: '2.0.0', inputs: checksFor('2.0.0'), expect: 'Succeeded', intent: promote },
    { task: 'Deploy', run: 3, version: '3.0.0', inputs: version('3.0.0', { fail: true }), expect: 'Succeeded', intent: 'install v3 into the idle slot; its pods answer 500 (setValues fail=true)', note: 'broken' },
    {
      task: 'RouteTraffic',
      run: 3,
      version: '3.0.0',
      inputs: { ...checksFor('3.0.0'), checkTimeout: String(BROKEN_CHECK_TIMEOUT_SECONDS) },
      expect: 'Failed',
      intent: `check the staged slot for ${BROKEN_CHECK_TIMEOUT_SECONDS} s: it must fail, so the pipeline runs on.failure`,
      note: 'must fail',
    },
    { task: 'OnFailure', run: 3, version: '3.0.0', inputs: {}, expect: 'Succeeded', intent: 'withdraw and remove v3; production (v2) is not touched' },
  ];
  return steps.map((s, i) => ({ ...s, index: i + 1 }));
}

export const stepTitle = (s: Step, total: number) => `${s.index}/${total} ${s.task} v${s.version} (run ${s.run})${s.note ? `, ${s.note}` : ''}`;

/** The version production must end on, and one it must never serve. */
export const FINAL_VERSION = '2.0.0';
export const BROKEN_VERSION = '3.0.0';
