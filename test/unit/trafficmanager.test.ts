// The pure side of the Traffic Manager router: percent <-> weights, the roles read back from two
// endpoints, slot addresses and DNS labels, and the RBAC action named in authorisation errors.
import * as assert from 'node:assert/strict';
import type { Slot } from '../../shared/core/model';
import { MAX_STAGING_PERCENT, percentProblem } from '../../shared/routers/capabilities';
import { actionFor } from '../../shared/routers/trafficmanager/arm';
import {
  type EndpointState,
  defaultDnsLabel,
  externalAddress,
  hadUsers,
  isAzureDnsLabel,
  routingOf,
  shareOf,
  weightsFor,
} from '../../shared/routers/trafficmanager/weights';

const endpoint = (slot: Slot, enabled: boolean, weight: number, order = slot === 'blue' ? 0 : 1): EndpointState => ({ name: `calc-${slot}`, type: 'ExternalEndpoints', enabled, weight, order });

describe('Traffic Manager weights', () => {
  it('percent -> weights out of 1000, staging always lighter than production', () => {
    const table: Array<[number, number, number]> = [
      [1, 990, 10],
      [10, 900, 100],
      [25, 750, 250],
      [49, 510, 490],
      [50, 501, 499],
    ];
    for (const [percent, production, staging] of table) {
      assert.deepEqual(weightsFor(percent), { production, staging }, `${percent} %`);
      assert.equal(shareOf(production, staging), percent, `${percent} % reads back`);
    }
  });

  it('every share from 1 to 50 gives weights in 1..1000 and reads back as itself', () => {
    for (let percent = 1; percent <= MAX_STAGING_PERCENT; percent++) {
      const w = weightsFor(percent);
      for (const weight of [w.production, w.staging]) assert.ok(Number.isInteger(weight) && weight >= 1 && weight <= 1000, `${percent} %: ${weight}`);
      assert.ok(w.staging < w.production);
      assert.equal(shareOf(w.production, w.staging), percent);
    }
  });

  it('refuses 0 (that is a disabled endpoint), more than 50 and non-percentages', () => {
    for (const bad of [0, 51, 70, 100, 101, -1, 2.5]) assert.throws(() => weightsFor(bad), RangeError, String(bad));
    assert.equal(percentProblem('trafficmanager', 0), undefined);
    assert.equal(percentProblem('trafficmanager', 50), undefined);
    assert.match(percentProblem('trafficmanager', 70) ?? '', /at most 50 % of users to the staging slot, not 70 %.*run BlueGreenOnSuccess/);
  });

  it('a share of users is at least 1 % as soon as staging has any weight', () => {
    assert.equal(shareOf(1000, 1), 1);
    assert.equal(shareOf(1000, 0), 0);
  });
});

describe('Traffic Manager roles read from the endpoints', () => {
  const table: Array<[string, Partial<Record<Slot, EndpointState>>, ReturnType<typeof routingOf>]> = [
    ['nothing', {}, { production: undefined, staging: undefined, stagingPercent: 0 }],
    ['first deploy', { blue: endpoint('blue', true, 1000) }, { production: 'blue', staging: undefined, stagingPercent: 0 }],
    ['staged at weight 1', { blue: endpoint('blue', true, 1000), green: endpoint('green', false, 1) }, { production: 'blue', staging: 'green', stagingPercent: 0 }],
    ['10 % of users', { blue: endpoint('blue', true, 900), green: endpoint('green', true, 100) }, { production: 'blue', staging: 'green', stagingPercent: 10 }],
    ['50 % of users', { blue: endpoint('blue', false, 1), green: endpoint('green', true, 501) }, { production: 'green', staging: 'blue', stagingPercent: 0 }],
    ['green staging at 50 %', { blue: endpoint('blue', true, 501), green: endpoint('green', true, 499) }, { production: 'blue', staging: 'green', stagingPercent: 50 }],
    ['after a switch, the old slot drains (disabled at its user weight)', { blue: endpoint('blue', false, 1000), green: endpoint('green', true, 1000) }, { production: 'green', staging: undefined, stagingPercent: 0 }],
    ['withdrawn after a share', { blue: endpoint('blue', true, 900), green: endpoint('green', false, 100) }, { production: 'blue', staging: undefined, stagingPercent: 0 }],
    ['crash between the two writes of a switch: the earlier endpoint stays production', { blue: endpoint('blue', true, 1000, 0), green: endpoint('green', true, 1000, 1) }, { production: 'blue', staging: 'green', stagingPercent: 50 }],
    ['the same, green created first', { blue: endpoint('blue', true, 1000, 1), green: endpoint('green', true, 1000, 0) }, { production: 'green', staging: 'blue', stagingPercent: 50 }],
    ['both disabled (NXDOMAIN)', { blue: endpoint('blue', false, 1000), green: endpoint('green', false, 1) }, { production: undefined, staging: undefined, stagingPercent: 0 }],
  ];
  for (const [name, endpoints, routing] of table) {
    it(name, () => assert.deepEqual(routingOf(endpoints), routing));
  }

  it('had users: enabled, or disabled at any weight but the staged weight 1', () => {
    assert.deepEqual(
      [hadUsers(undefined), hadUsers(endpoint('blue', false, 1)), hadUsers(endpoint('blue', false, 100)), hadUsers(endpoint('blue', true, 1))],
      [false, false, true, true],
    );
  });
});

describe('Traffic Manager slot addresses', () => {
  it('default DNS label: <profile>-<slot>, made a valid Azure label', () => {
    assert.equal(defaultDnsLabel('calc-prod', 'blue'), 'calc-prod-blue');
    assert.equal(defaultDnsLabel('Calc.Prod_EU', 'green'), 'calc-prod-eu-green');
    assert.equal(defaultDnsLabel('42web', 'blue'), 'web-blue');
    const long = defaultDnsLabel('a'.repeat(80), 'green');
    assert.equal(long.length, 63);
    for (const label of [long, defaultDnsLabel('-', 'blue'), defaultDnsLabel('x--', 'green')]) assert.ok(isAzureDnsLabel(label), label);
  });

  it('external address input: IP = static IP, cloudapp name = DNS label, other names are the user\'s DNS', () => {
    assert.deepEqual(externalAddress(undefined, 'calc-prod', 'blue'), { label: 'calc-prod-blue' });
    assert.deepEqual(externalAddress('52.1.2.3', 'calc-prod', 'blue'), { target: '52.1.2.3', label: 'calc-prod-blue', staticIp: '52.1.2.3' });
    assert.deepEqual(externalAddress('Calc-Green.westeurope.cloudapp.azure.com', 'calc-prod', 'green'), { target: 'calc-green.westeurope.cloudapp.azure.com', label: 'calc-green' });
    assert.deepEqual(externalAddress('green.calc.contoso.com', 'calc-prod', 'green'), { target: 'green.calc.contoso.com', label: 'calc-prod-green' });
  });
});

describe('Traffic Manager RBAC actions in authorisation errors', () => {
  const profile = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/trafficManagerProfiles/calc';
  it('names the resource type and verb as Azure does', () => {
    assert.equal(actionFor('read', profile), 'Microsoft.Network/trafficManagerProfiles/read');
    assert.equal(actionFor('write', `${profile}/externalEndpoints/calc-blue`), 'Microsoft.Network/trafficManagerProfiles/externalEndpoints/write');
    assert.equal(actionFor('delete', `${profile}/azureEndpoints/calc-green`), 'Microsoft.Network/trafficManagerProfiles/azureEndpoints/delete');
    assert.equal(actionFor('read', '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/pip'), 'Microsoft.Network/publicIPAddresses/read');
  });
});
