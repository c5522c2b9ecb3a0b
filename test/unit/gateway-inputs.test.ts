// What the input reader accepts for router 'gateway' (the rest of its inputs: test/unit/inputs.test.ts).
import * as assert from 'node:assert/strict';
import { InputError, readOnFailureInputs, readRouteTrafficInputs } from '../../shared/inputs/read';
import { fakeSource } from './fake-inputs';

describe('Gateway API router: inputs', () => {
  const base = { kubernetesServiceEndpoint: 'aks-prod', name: 'calc', namespace: 'calc', router: 'gateway', gatewayName: 'public', gatewayNamespace: 'infra', host: 'calc.contoso.com' };
  const vars = { 'Build.BuildId': '7' };

  it('chart-owned routing is refused with what to set instead', () => {
    assert.throws(
      () => readOnFailureInputs(fakeSource({ ...base, routingOwnership: 'chart' }, vars)),
      (err: unknown) => err instanceof InputError && /Router 'gateway' works with routingOwnership 'managed' only.*Set routingOwnership to managed/.test(err.message),
    );
  });

  it('managed routing works with both namespace layouts', () => {
    for (const namespaceLayout of ['shared', 'perSlot']) {
      const inputs = readOnFailureInputs(fakeSource({ ...base, namespaceLayout }, vars));
      assert.equal(inputs.routing.ownership, 'managed');
      assert.deepEqual(inputs.routing.gateway, { name: 'public', namespace: 'infra', sectionName: undefined, hostnames: ['calc.contoso.com'] });
    }
  });

  it('any percentage of users from 0 to 100 may go to staging', () => {
    for (const trafficPercent of ['0', '1', '50', '100']) {
      assert.equal(readRouteTrafficInputs(fakeSource({ ...base, trafficPercent }, vars)).trafficPercent, Number(trafficPercent));
    }
  });
});
