// The app's settings stated once (shared/core/settings.ts), read through the real input readers: what a later
// task gets from the record, what counts as a contradiction, and what Deploy may change on purpose.
import * as assert from 'node:assert/strict';
import { type FoundSettings, readDeployInputs, readOnFailureInputs, readOnSuccessInputs, readRouteTrafficInputs } from '../../shared/inputs/read';
import { changedSettings } from '../../shared/core/settings';
import { fakeSource } from './fake-inputs';

const APP = { connectionType: 'Kubeconfig File', kubeconfigFile: __filename, name: 'calc', namespace: 'calc' };
const NGINX = { router: 'nginx', host: 'calc.contoso.com' };
const found = (inputs: Record<string, string>): FoundSettings => ({ settings: { inputs, run: 'p1.build-7', at: 't' }, configMap: 'calc/calc-bluegreen-record' });

describe('app settings stated once', () => {
  it('a later task with only connection, name and namespace gets the recorded settings', () => {
    const recorded = found({ namespaceLayout: 'perSlot', router: 'gateway', gatewayName: 'public', gatewayNamespace: 'infra', host: 'calc.contoso.com', stagingHeader: 'x-preview' });
    for (const read of [readRouteTrafficInputs, readOnSuccessInputs, readOnFailureInputs]) {
      const inputs = read(fakeSource(APP), recorded);
      assert.equal(inputs.app.layout, 'perSlot');
      assert.equal(inputs.routing.router, 'gateway');
      assert.deepEqual(inputs.routing.gateway, { name: 'public', namespace: 'infra', sectionName: undefined, hostnames: ['calc.contoso.com'] });
      assert.equal(inputs.routing.stagingHeader, 'x-preview');
    }
  });

  it('a later task without a record uses its own inputs and the defaults, as before', () => {
    const inputs = readOnFailureInputs(fakeSource({ ...APP, ...NGINX }), undefined);
    assert.equal(inputs.routing.router, 'nginx');
    assert.throws(() => readOnFailureInputs(fakeSource(APP), undefined), /Input 'host' .* is required with router 'nginx'/);
  });

  it('a setting a later task gives must agree: the same value, or the same once read (case, defaults written out)', () => {
    const recorded = found({ ...NGINX });
    assert.doesNotThrow(() => readRouteTrafficInputs(fakeSource({ ...APP, router: 'NGINX', host: 'Calc.Contoso.com', ingressClass: 'nginx', path: '/' }), recorded));
    assert.throws(
      () => readRouteTrafficInputs(fakeSource({ ...APP, router: 'appgw', host: 'calc.contoso.com' }), recorded),
      /App calc was deployed with other settings .*ConfigMap calc\/calc-bluegreen-record by run p1\.build-7.*nothing was changed\. router: recorded 'nginx', this task says 'appgw'/,
    );
  });

  it('the Traffic Manager connection is the pipeline\'s: recorded, yet any task may give its own', () => {
    const recorded = found({ router: 'trafficmanager', trafficManagerConnection: 'tm-a', trafficManagerResourceGroup: 'rg', trafficManagerProfile: 'p' });
    assert.equal(readOnFailureInputs(fakeSource(APP), recorded).routing.trafficManager?.endpoint, 'tm-a');
    assert.equal(readOnFailureInputs(fakeSource({ ...APP, trafficManagerConnection: 'tm-b' }), recorded).routing.trafficManager?.endpoint, 'tm-b');
  });

  it('Deploy states every setting: one left out that the record has is a change, refused without changeSettings', () => {
    const recorded = found({ ...NGINX, stagingCookie: 'preview' });
    const chart = { chart: 'oci://registry.contoso.com/helm/calc' };
    assert.throws(() => readDeployInputs(fakeSource({ ...APP, ...NGINX, ...chart }), recorded), /stagingCookie: recorded 'preview', this task says \(not set\).*changeSettings: true/);
    const changed = readDeployInputs(fakeSource({ ...APP, ...NGINX, ...chart, changeSettings: 'true' }), recorded);
    assert.deepEqual(changed.settings.changes, [{ input: 'stagingCookie', recorded: 'preview', given: undefined }]);
    assert.deepEqual(readDeployInputs(fakeSource({ ...APP, ...NGINX, ...chart, stagingCookie: 'preview' }), recorded).settings.changes, []);
  });

  it('the layout never changes, even on purpose', () => {
    const recorded = found({ ...NGINX });
    assert.throws(
      () => readDeployInputs(fakeSource({ ...APP, router: 'gateway', gatewayName: 'gw', host: 'calc.contoso.com', namespaceLayout: 'perSlot', chart: 'oci://r.contoso.com/c', changeSettings: 'true' }), recorded),
      /namespaceLayout shared; the layout cannot change/,
    );
  });

  it('changedSettings: a value invalid with the other recorded settings is a change; a recorded set that no longer parses is reported', () => {
    const parse = (s: Record<string, string>) => {
      if (s.router === 'broken') throw new Error('bad');
      return { router: (s.router ?? 'nginx').toLowerCase() };
    };
    assert.deepEqual(changedSettings({ router: 'nginx' }, { router: 'NGINX' }, ['router'], parse), []);
    assert.deepEqual(changedSettings({ router: 'nginx' }, { router: 'broken' }, ['router'], parse), [{ input: 'router', recorded: 'nginx', given: 'broken' }]);
    assert.throws(() => changedSettings({ router: 'broken' }, {}, ['router'], parse), /recorded settings are no longer valid/);
  });
});
