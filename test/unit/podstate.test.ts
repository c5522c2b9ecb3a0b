// The pure pod-state classification behind fail-fast (shared/kubernetes/pod-state.ts): every waiting/terminated
// reason the kubelet reports, against every threshold around its boundary.
import * as assert from 'node:assert/strict';
import type { KubeObject } from '../../shared/kubernetes/client';
import { InputError } from '../../shared/inputs/read';
import { Reader } from '../../shared/inputs/source';
import { readFailFast } from '../../shared/inputs/rollout';
import { fakeSource } from './fake-inputs';
import { type FailFastRules, hopeless, isHopeless, podState, pullReason, type Trouble, TroubleClock, troubleKey, troubleSentence } from '../../shared/kubernetes/pod-state';

type Status = Record<string, unknown>;

function pod(name: string, container: Status | undefined, extra: { phase?: string; ready?: boolean; scheduled?: Status; deleting?: boolean } = {}): KubeObject {
  const conditions: Status[] = [{ type: 'Ready', status: extra.ready ? 'True' : 'False' }];
  if (extra.scheduled) conditions.push({ type: 'PodScheduled', ...extra.scheduled });
  return <KubeObject>(<unknown>{
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(extra.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { containers: [{ name: 'app', image: 'calc:3.0.1' }] },
    status: { phase: extra.phase ?? 'Pending', conditions, containerStatuses: container ? [{ name: 'app', image: 'calc:3.0.1', ready: !!extra.ready, restartCount: 0, ...container }] : [] },
  });
}

const waiting = (reason: string, message = `${reason} message`, more: Status = {}) => ({ state: { waiting: { reason, message } }, ...more });
const rules = (over: Partial<FailFastRules> = {}): FailFastRules => ({ enabled: true, restarts: 3, seconds: 30, unschedulableSeconds: 120, ...over });

describe('podstate: what a pod says about a rollout', () => {
  describe('podState: status and trouble per kubelet reason', () => {
    const cases: Array<[string, KubeObject, string, Trouble['kind'] | undefined]> = [
      ['ready', pod('p', { state: { running: {} } }, { phase: 'Running', ready: true }), 'Running', undefined],
      ['running, not ready', pod('p', { state: { running: {} } }, { phase: 'Running' }), 'Running (not ready)', undefined],
      ['ContainerCreating', pod('p', waiting('ContainerCreating'), { scheduled: { status: 'True' } }), 'ContainerCreating', undefined],
      ['no status yet', pod('p', undefined), 'Pending', undefined],
      ['ErrImagePull', pod('p', waiting('ErrImagePull')), 'ErrImagePull', 'pull'],
      ['ImagePullBackOff', pod('p', waiting('ImagePullBackOff')), 'ImagePullBackOff', 'pull'],
      ['CreateContainerConfigError', pod('p', waiting('CreateContainerConfigError')), 'CreateContainerConfigError', 'config'],
      ['InvalidImageName', pod('p', waiting('InvalidImageName')), 'InvalidImageName', 'image-name'],
      ['CrashLoopBackOff', pod('p', waiting('CrashLoopBackOff', 'back-off 10s', { restartCount: 2, lastState: { terminated: { exitCode: 1, reason: 'Error' } } }), { phase: 'Running' }), 'CrashLoopBackOff', 'crash'],
      ['terminated after restarts', pod('p', { restartCount: 1, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }, { phase: 'Running' }), 'OOMKilled', 'crash'],
      ['running again after a restart', pod('p', { restartCount: 4, state: { running: {} }, lastState: { terminated: { exitCode: 1 } } }, { phase: 'Running' }), 'Running (not ready)', undefined],
      ['Unschedulable', pod('p', undefined, { scheduled: { status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' } }), 'Pending (Unschedulable)', 'unschedulable'],
      ['terminating', pod('p', waiting('CrashLoopBackOff', 'x', { restartCount: 9 }), { deleting: true }), 'Terminating', undefined],
    ];
    for (const [title, p, status, kind] of cases) {
      it(`${title}: ${status}${kind ? `, trouble ${kind}` : ', no trouble'}`, () => {
        const s = podState(p);
        assert.equal(s.status, status);
        assert.equal(s.trouble?.kind, kind);
      });
    }
  });

  describe('isHopeless: every trouble against its threshold', () => {
    const troubles: Record<Trouble['kind'], (n: number) => Trouble> = {
      pull: () => ({ kind: 'pull', container: 'app', image: 'calc:1', message: 'not found' }),
      config: () => ({ kind: 'config', container: 'app', message: 'configmap "x" not found' }),
      'image-name': () => ({ kind: 'image-name', container: 'app', image: 'Calc', message: 'invalid reference format' }),
      unschedulable: () => ({ kind: 'unschedulable', message: 'Insufficient cpu' }),
      crash: (n) => ({ kind: 'crash', container: 'app', restarts: n, exitCode: 1, reason: 'Error' }),
    };
    const expected = (kind: Trouble['kind'], restarts: number, lastedMs: number, r: FailFastRules): boolean => {
      if (!r.enabled) return false;
      if (kind === 'crash') return restarts >= r.restarts;
      if (kind === 'image-name') return true;
      if (kind === 'unschedulable') return lastedMs >= r.unschedulableSeconds * 1000;
      return lastedMs >= r.seconds * 1000;
    };
    for (const kind of Object.keys(troubles) as Array<Trouble['kind']>) {
      for (const enabled of [true, false]) {
        for (const threshold of [1, 3, 5]) {
          it(`${kind}, fail-fast ${enabled ? 'on' : 'off'}, threshold ${threshold}: hopeless exactly from the threshold`, () => {
            const r = rules({ enabled, restarts: threshold, seconds: threshold, unschedulableSeconds: threshold * 4 });
            for (const n of [0, threshold - 1, threshold, threshold + 1]) {
              for (const lastedMs of [0, threshold * 1000 - 1, threshold * 1000, threshold * 4000 - 1, threshold * 4000]) {
                assert.equal(isHopeless(troubles[kind](n), lastedMs, r), expected(kind, n, lastedMs, r), `restarts ${n}, lasted ${lastedMs} ms`);
              }
            }
          });
        }
      }
    }
  });

  describe('TroubleClock: how long a trouble lasted, on the watcher\'s own clock', () => {
    it('counts from the first poll that saw it, keeps ErrImagePull and ImagePullBackOff as one, restarts when it clears', () => {
      const clock = new TroubleClock();
      const pulling = podState(pod('p', waiting('ErrImagePull')));
      const backoff = podState(pod('p', waiting('ImagePullBackOff')));
      const fine = podState(pod('p', { state: { running: {} } }, { phase: 'Running', ready: true }));
      const key = troubleKey('p', pulling.trouble!);
      assert.equal(clock.observe([pulling], 1000).get(key), 0);
      assert.equal(clock.observe([backoff], 6000).get(key), 5000);
      assert.equal(clock.observe([pulling], 31_000).get(key), 30_000);
      assert.equal(clock.observe([fine], 32_000).get(key), undefined);
      assert.equal(clock.observe([backoff], 40_000).get(key), 0);
    });

    it('hopeless names the first pod past its threshold, with the sentence', () => {
      const clock = new TroubleClock();
      const a = podState(pod('calc-green-a', waiting('ImagePullBackOff')));
      const b = podState(pod('calc-green-b', waiting('CrashLoopBackOff', 'x', { restartCount: 3, lastState: { terminated: { exitCode: 2, reason: 'Error' } } }), { phase: 'Running' }));
      assert.equal(hopeless([a], clock.observe([a], 0), rules()), undefined);
      const found = hopeless([a, b], clock.observe([a, b], 1000), rules());
      assert.equal(found?.pod, 'calc-green-b');
      assert.equal(found?.sentence, 'pod calc-green-b keeps crashing: container app exited with code 2 (Error) and was restarted 3 times');
      assert.equal(hopeless([a], clock.observe([a], 30_000), rules())?.pod, 'calc-green-a');
    });
  });

  describe('sentences', () => {
    it('say what went wrong in the kubelet\'s words', () => {
      const message = 'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/calc:3.0.1": failed to resolve reference "docker.io/library/calc:3.0.1": docker.io/library/calc:3.0.1: not found';
      assert.equal(pullReason(message), 'not found');
      assert.equal(troubleSentence('calc-green-7d9', { kind: 'pull', container: 'app', image: 'calc:3.0.1', message }), 'pod calc-green-7d9 cannot pull image calc:3.0.1: not found');
      assert.equal(troubleSentence('p', { kind: 'config', container: 'app', message: 'configmap "settings" not found' }), 'pod p cannot start container app: configmap "settings" not found');
      assert.equal(troubleSentence('p', { kind: 'unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' }), 'pod p cannot be scheduled: 0/1 nodes are available: 1 Insufficient cpu.');
      assert.equal(troubleSentence('p', { kind: 'crash', container: 'app', restarts: 1 }), 'pod p keeps crashing: container app exited and was restarted 1 time');
    });
  });

  describe('the fail-fast inputs', () => {
    const read = (inputs: Record<string, string>) => readFailFast(new Reader(fakeSource(inputs, {})));
    it('default to on, 3 restarts, 30 s, 120 s', () => {
      assert.deepEqual(read({}), { enabled: true, restarts: 3, seconds: 30, unschedulableSeconds: 120 });
      assert.deepEqual(read({ failFast: 'false', failFastRestarts: '5', failFastSeconds: '90', failFastUnschedulableSeconds: '600' }), { enabled: false, restarts: 5, seconds: 90, unschedulableSeconds: 600 });
    });
    for (const [name, value, message] of [
      ['failFast', 'yes', /^Input 'failFast' is 'yes'; write true or false\.$/],
      ['failFastRestarts', '0', /^Input 'failFastRestarts' is '0'; write a whole number from 1 to 100\.$/],
      ['failFastSeconds', '30s', /^Input 'failFastSeconds' is '30s'; write a whole number from 1 to 3600\.$/],
      ['failFastUnschedulableSeconds', '-1', /^Input 'failFastUnschedulableSeconds' is '-1'; write a whole number from 1 to 86400\.$/],
    ] as const) {
      it(`${name}: '${value}' is refused with one sentence`, () => {
        assert.throws(() => read({ [name]: value }), (err: unknown) => err instanceof InputError && message.test(err.message));
      });
    }
  });
});
