// Deploy's fail-fast inputs: when a pod's state ends helm's wait early (docs/rollouts.md).
import type { Reader } from './source';
import { FAIL_FAST_DEFAULTS, type FailFastRules } from '../kubernetes/pod-state';

export function readFailFast(r: Reader): FailFastRules {
  return {
    enabled: r.bool('failFast', FAIL_FAST_DEFAULTS.failFast),
    restarts: r.integer('failFastRestarts', 1, 100, FAIL_FAST_DEFAULTS.failFastRestarts),
    seconds: r.integer('failFastSeconds', 1, 3600, FAIL_FAST_DEFAULTS.failFastSeconds),
    unschedulableSeconds: r.integer('failFastUnschedulableSeconds', 1, 86400, FAIL_FAST_DEFAULTS.failFastUnschedulableSeconds),
  };
}
