// The rollout watcher (shared/kubernetes/rollout-watch.ts) against a scripted cluster: it stops helm when a new pod is
// hopeless, never for an earlier revision's pod or a slow one, prints progress at its pace, and builds
// the diagnostics from pods, Warning events and logs.
import * as assert from 'node:assert/strict';
import type { Kube, KubeObject } from '../../shared/kubernetes/client';
import { FAIL_FAST_DEFAULTS, type FailFastRules } from '../../shared/kubernetes/pod-state';
import { RolloutError, watchRollout } from '../../shared/kubernetes/rollout-watch';

const RULES: FailFastRules = { enabled: true, restarts: Number(FAIL_FAST_DEFAULTS.failFastRestarts), seconds: 30, unschedulableSeconds: 120 };

function pod(name: string, uid: string, container: Record<string, unknown>, phase = 'Running'): KubeObject {
  return <KubeObject>(<unknown>{
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, uid, namespace: 'calc', labels: { 'app.kubernetes.io/instance': 'calc-green' } },
    spec: { containers: [{ name: 'app', image: 'calc:2' }] },
    status: { phase, conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'app', image: 'calc:2', ready: false, restartCount: 0, ...container }] },
  });
}

const crashing = (restarts: number) => ({ restartCount: restarts, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } });

/** A Kube whose pods are whatever `pods()` says at the time of the call. */
function fakeKube(pods: () => KubeObject[], logs: string[] = []): Kube {
  const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'calc-green', namespace: 'calc', annotations: { 'meta.helm.sh/release-name': 'calc-green' } }, spec: { replicas: 2 }, status: { readyReplicas: 0 } };
  const event = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1', namespace: 'calc' }, type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container app', count: 3, lastTimestamp: new Date('2026-01-01T10:00:00Z'), involvedObject: { kind: 'Pod', name: 'calc-green-new' } };
  const pulled = { ...event, metadata: { name: 'e2', namespace: 'calc' }, reason: 'Failed', count: 2, message: 'Failed to pull image "calc:2": rpc error: code = NotFound desc = failed to resolve reference "docker.io/library/calc:2": not found' };
  return <Kube>(<unknown>{
    async list(_v: string, kind: string) {
      if (kind === 'Pod') return pods();
      if (kind === 'Deployment') return [deployment];
      if (kind === 'Event') return [event, pulled];
      if (kind === 'Secret') return [];
      return [];
    },
    async podLog(_ns: string, name: string, container: string, tail: number, previous: boolean) {
      logs.push(`${name}/${container}/${tail}/${previous}`);
      return 'starting\nfatal: no database\n';
    },
  });
}

/** A helm that waits until aborted (then fails like helm on SIGTERM) or until `finishAfterMs`. */
function fakeHelm(finishAfterMs?: number) {
  const calls = { aborted: false };
  const run = (signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const timer = finishAfterMs === undefined ? undefined : setTimeout(resolve, finishAfterMs);
      signal.addEventListener('abort', () => {
        calls.aborted = true;
        clearTimeout(timer);
        reject(new Error('helm could not install calc-green in namespace calc: helm upgrade failed: context canceled'));
      });
    });
  return { run, calls };
}

const target = { location: { slot: 'green' as const, release: 'calc-green', namespace: 'calc' }, podSelector: 'app.kubernetes.io/instance' };

describe('rollout watcher', function () {
  this.timeout(20_000);

  it('stops helm when a new pod crash-loops past the threshold, and explains it with events and the crashed run\'s log', async () => {
    let polls = 0;
    const logs: string[] = [];
    // Not there when helm starts; then crashing, one more restart per poll.
    const kube = fakeKube(() => (polls++ === 0 ? [] : [pod('calc-green-new', 'u2', crashing(Math.min(3, polls - 1)))]), logs);
    const helm = fakeHelm();
    const lines: string[] = [];
    const err = await watchRollout({ kube, target, rules: RULES, helmTimeout: '10m', info: (l) => lines.push(l), pollMs: 5 }, helm.run).then(
      () => assert.fail('the rollout should fail'),
      (e: unknown) => e as RolloutError,
    );
    assert.ok(err instanceof RolloutError);
    assert.equal(helm.calls.aborted, true);
    assert.equal(err.stoppedEarly, true);
    assert.match(err.message, /^Pod calc-green-new keeps crashing: container app exited with code 1 \(Error\) and was restarted 3 times; its last log line: fatal: no database\. Deploy stopped helm instead of waiting up to 10m \(fail-fast\); release calc-green is not installed\.$/);
    assert.ok(err.details.some((l) => /BackOff pod\/calc-green-new \(x3\): Back-off restarting failed container app/.test(l)), err.details.join('\n'));
    assert.deepEqual(logs, ['calc-green-new/app/20/true']);
    assert.ok(lines.some((l) => /this will not heal by waiting; stopping helm \(fail-fast\)/.test(l)));
  });

  it('never stops helm for a pod that existed before helm started (an earlier revision), however hopeless', async () => {
    const kube = fakeKube(() => [pod('calc-green-old', 'u1', crashing(9))]);
    const helm = fakeHelm(150);
    await watchRollout({ kube, target, rules: RULES, helmTimeout: '10m', info: () => undefined, pollMs: 5 }, helm.run);
    assert.equal(helm.calls.aborted, false);
  });

  it('never stops helm for a slow pod, and prints progress at its pace', async () => {
    let polls = 0;
    const kube = fakeKube(() => (polls++ === 0 ? [] : [pod('calc-green-new', 'u2', { state: { running: {} } })]));
    const helm = fakeHelm(300);
    const lines: string[] = [];
    await watchRollout({ kube, target, rules: { ...RULES, restarts: 1, seconds: 0, unschedulableSeconds: 0 }, helmTimeout: '10m', info: (l) => lines.push(l), pollMs: 20, progressMs: 100 }, helm.run);
    assert.equal(helm.calls.aborted, false);
    assert.ok(lines.length >= 1, 'at least one progress line in 300 ms at one per 100 ms');
    assert.match(lines[0] ?? '', /^ {2}\[\d+ s\] calc-green: 0\/2 ready; waiting: calc-green-new Running \(not ready\)$/);
  });

  it('returns when helm does, not at the next poll (a 10-minute poll would outlast this test\'s timeout)', async () => {
    const kube = fakeKube(() => []);
    await watchRollout({ kube, target, rules: RULES, helmTimeout: '10m', info: () => undefined, pollMs: 600_000 }, fakeHelm(20).run);
  });

  it('when helm fails on its own, keeps helm\'s reason first and adds what the pods say', async () => {
    const kube = fakeKube(() => [pod('calc-green-new', 'u2', { state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "calc:2"' } } }, 'Pending')]);
    const failing = async () => {
      throw new Error('helm could not install calc-green in namespace calc: helm upgrade failed: context deadline exceeded');
    };
    const err = await watchRollout({ kube, target, rules: { ...RULES, enabled: false }, helmTimeout: '10m', info: () => undefined, pollMs: 5 }, failing).then(
      () => assert.fail('the rollout should fail'),
      (e: unknown) => e as RolloutError,
    );
    assert.equal(err.stoppedEarly, false);
    assert.equal(err.message, 'helm could not install calc-green in namespace calc: helm upgrade failed: context deadline exceeded. Pod calc-green-new cannot pull image calc:2: not found.');
  });
});
