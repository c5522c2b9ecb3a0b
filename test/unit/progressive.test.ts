import * as assert from 'node:assert/strict';
import { Reader } from '../../shared/inputs/source';
import { parseTrafficSteps, readTrafficSteps } from '../../shared/core/progressive';
import { readRouteTrafficInputs } from '../../shared/inputs/read';
import { fakeSource } from './fake-inputs';

describe('progressive traffic: inputs', () => {
  it('reads rising shares, separated by commas, spaces or lines, with an optional %', () => {
    assert.deepEqual(parseTrafficSteps('10, 25, 50'), [10, 25, 50]);
    assert.deepEqual(parseTrafficSteps('5%\n20% 100%'), [5, 20, 100]);
  });
  const bad: Array<[string, RegExp]> = [
    ['10, 0, 50', /'0', which is not a share of users from 1 to 100/],
    ['10, 150', /'150'/],
    ['10, ten', /'ten'/],
    ['25, 10', /more users than the one before \(25 then 10\)/],
    ['10, 10', /\(10 then 10\)/],
  ];
  for (const [text, why] of bad) it(`refuses ${JSON.stringify(text)}`, () => assert.throws(() => parseTrafficSteps(text), why));

  const read = (inputs: Record<string, string>, router: 'nginx' | 'appgw' = 'nginx', percent = 0) => readTrafficSteps(new Reader(fakeSource(inputs)), router, percent);
  it('is undefined without steps, and holds each step 300 s unless told', () => {
    assert.equal(read({}), undefined);
    assert.deepEqual(read({ trafficSteps: '10,25,50' }), { percents: [10, 25, 50], seconds: 300 });
    assert.deepEqual(read({ trafficSteps: '10', trafficStepSeconds: '60' }), { percents: [10], seconds: 60 });
  });
  it('is refused where the router cannot split traffic, and beside a trafficPercent', () => {
    assert.throws(() => read({ trafficSteps: '10,25' }, 'appgw'), /cannot be used with router 'appgw'.*cannot split traffic by percentage/);
    assert.throws(() => read({ trafficSteps: '10,25' }, 'nginx', 20), /'trafficPercent' \(20\) and 'trafficSteps' are both set/);
  });
  it('needs a step at least as long as the gate interval', () => {
    const base = { name: 'calc', namespace: 'calc', host: 'calc.contoso.com', kubernetesServiceEndpoint: 'k8s', gates: 'up >= 1', metricsServer: 'http://p:9090' };
    assert.throws(() => readRouteTrafficInputs(fakeSource({ ...base, trafficSteps: '10,25', trafficStepSeconds: '10', gateInterval: '30' })), /'trafficStepSeconds' \(10 s\) is shorter than 'gateInterval' \(30 s\)/);
    assert.deepEqual(readRouteTrafficInputs(fakeSource({ ...base, trafficSteps: '10,25', trafficStepSeconds: '30', gateInterval: '30' })).trafficSteps, { percents: [10, 25], seconds: 30 });
  });
});
