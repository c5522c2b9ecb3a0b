// Traffic Manager data plane: clients resolve the profile name through the DNS model (fed by the fake
// ARM state, with per-client TTL caches on a manual clock), then reach the slot's LoadBalancer Service.
import * as assert from 'node:assert/strict';
import { Store } from '../store';
import { ManualClock } from '../azure/dns';
import { FakeTrafficManager, type EndpointType } from '../azure/trafficmanager';
import { startDataPlane, type DataPlane } from './index';
import { clear, closeClientAgent, get, pod, put, resource, service, tally } from './fixtures';

const SUB = 'sub-1';
const RG = 'rg-calc';
const TM_HOST = 'calc-prod.trafficmanager.net';
const PIP = (name: string) => `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/publicIPAddresses/${name}`;
const BLUE_FQDN = 'calc-blue.westeurope.cloudapp.azure.com';
const GREEN_FQDN = 'calc-green.westeurope.cloudapp.azure.com';

/** Blue is reached through its Public IP (AKS puts only the IP in the LB status); green through its DNS-label annotation. */
function slots(store: Store, opts: { greenReady?: boolean } = {}) {
  put(
    store,
    service('calc', 'calc-blue-lb', 'calc-blue', { loadBalancer: { ip: '20.1.1.1' } }),
    pod('calc', 'calc-blue-0', 'calc-blue', { version: '1.0.0' }),
    service('calc', 'calc-green-lb', 'calc-green', { loadBalancer: { ip: '20.1.1.2' }, annotations: { 'service.beta.kubernetes.io/azure-dns-label-name': 'calc-green' } }),
    pod('calc', 'calc-green-0', 'calc-green', { version: '2.0.0', ready: opts.greenReady }),
  );
}

describe('data plane: Traffic Manager (DNS model + LoadBalancer slots)', () => {
  const store = new Store();
  const clock = new ManualClock(1_000_000);
  let tm: FakeTrafficManager;
  let dp: DataPlane;
  const endpoint = (name: string, status: 'Enabled' | 'Disabled', weight = 1, type: EndpointType = 'AzureEndpoints') =>
    tm.createEndpoint(SUB, RG, 'calc', type, name, {
      properties: type === 'AzureEndpoints' ? { targetResourceId: PIP(`${name}-ip`), endpointStatus: status, weight } : { target: GREEN_FQDN, endpointStatus: status, weight },
    });
  const profile = (method = 'Weighted', ttl = 60, profileStatus = 'Enabled') =>
    tm.createProfile(SUB, RG, 'calc', { location: 'global', properties: { trafficRoutingMethod: method, profileStatus, dnsConfig: { relativeName: 'calc-prod', ttl } } });
  const user = (clientId: string, host = TM_HOST) => get(dp.url, host, '/ping', { 'x-client-id': clientId });
  let client = 0;
  const freshUser = () => user(`user-${++client}`);

  beforeEach(async () => {
    clear(store);
    tm = new FakeTrafficManager();
    tm.addPublicIp(PIP('calc-blue-ip'), BLUE_FQDN, '20.1.1.1');
    tm.addPublicIp(PIP('calc-green-ip'), GREEN_FQDN, undefined);
    dp = await startDataPlane(store, { controller: 'trafficmanager', trafficManager: tm, clock, seed: 11 });
    slots(store);
    profile();
  });
  afterEach(() => dp.close());
  after(() => closeClientAgent());

  it('only the enabled endpoint is returned', async () => {
    endpoint('calc-blue', 'Enabled');
    endpoint('calc-green', 'Disabled');
    const counts = await tally(50, freshUser, (a) => `${a.status} ${a.body.release}`);
    assert.deepEqual(counts, { '200 calc-blue': 50 });
  });

  it('weights 700/300 -> 30 % of fresh clients resolve green', async () => {
    endpoint('calc-blue', 'Enabled', 700);
    endpoint('calc-green', 'Enabled', 300);
    const counts = await tally(600, freshUser, (a) => String(a.body.release));
    const percent = (100 * (counts['calc-green'] ?? 0)) / 600;
    assert.ok(Math.abs(percent - 30) <= 6, `got ${percent.toFixed(1)} % green: ${JSON.stringify(counts)}`);
  });

  it('all endpoints disabled -> NXDOMAIN (502, x-dataplane-error NXDOMAIN)', async () => {
    endpoint('calc-blue', 'Disabled');
    endpoint('calc-green', 'Disabled');
    const a = await freshUser();
    assert.deepEqual([a.status, a.headers['x-dataplane-error']], [502, 'NXDOMAIN']);
    assert.match(String(a.body.message), /NXDOMAIN: profile calc has no enabled endpoint/);
  });

  it('a disabled profile and an unknown profile name -> NXDOMAIN', async () => {
    endpoint('calc-blue', 'Enabled');
    assert.equal((await user('u', 'nope.trafficmanager.net')).headers['x-dataplane-error'], 'NXDOMAIN');
    profile('Weighted', 60, 'Disabled');
    endpoint('calc-blue', 'Enabled'); // a profile PUT replaces the endpoint list
    const a = await freshUser();
    assert.equal(a.headers['x-dataplane-error'], 'NXDOMAIN');
    assert.match(String(a.body.message), /profile calc is disabled/);
  });

  it('degraded endpoints are excluded', async () => {
    endpoint('calc-blue', 'Enabled', 500);
    endpoint('calc-green', 'Enabled', 500);
    tm.setMonitorStatus(RG, 'calc', 'calc-green', 'Degraded');
    assert.deepEqual(await tally(40, freshUser, (a) => String(a.body.release)), { 'calc-blue': 40 });
  });

  it('all enabled endpoints degraded -> all are served', async () => {
    endpoint('calc-blue', 'Enabled', 500);
    endpoint('calc-green', 'Enabled', 500);
    tm.setMonitorStatus(RG, 'calc', 'calc-blue', 'Degraded');
    tm.setMonitorStatus(RG, 'calc', 'calc-green', 'Degraded');
    const counts = await tally(100, freshUser, (a) => String(a.body.release));
    assert.ok((counts['calc-blue'] ?? 0) > 20 && (counts['calc-green'] ?? 0) > 20, JSON.stringify(counts));
  });

  it('TTL caching keeps a client on the old endpoint until expiry', async () => {
    endpoint('calc-blue', 'Enabled');
    endpoint('calc-green', 'Disabled');
    assert.equal((await user('alice')).body.release, 'calc-blue');
    endpoint('calc-green', 'Enabled');
    endpoint('calc-blue', 'Disabled');
    clock.advance(59_000);
    const cached = await user('alice');
    assert.equal(cached.body.release, 'calc-blue');
    assert.match(String(cached.headers['x-dataplane-route']), /\(cached\)/);
    assert.equal((await user('bob')).body.release, 'calc-green', 'a new client resolves afresh');
    clock.advance(1_000);
    assert.equal((await user('alice')).body.release, 'calc-green', 'after the TTL alice resolves again');
  });

  it('a client cached on a deleted slot gets connection refused (502 ECONNREFUSED)', async () => {
    endpoint('calc-blue', 'Enabled');
    assert.equal((await user('carol')).status, 200);
    endpoint('calc-blue', 'Disabled');
    endpoint('calc-green', 'Enabled');
    store.remove(resource('Service'), 'calc', 'calc-blue-lb');
    const a = await user('carol');
    assert.deepEqual([a.status, a.headers['x-dataplane-error']], [502, 'ECONNREFUSED']);
  });

  it("a slot's own LB hostname or IP reaches it directly, even while its endpoint is disabled", async () => {
    endpoint('calc-blue', 'Enabled');
    endpoint('calc-green', 'Disabled');
    assert.equal((await user('tester', GREEN_FQDN)).body.release, 'calc-green');
    assert.equal((await user('tester', '20.1.1.2')).body.release, 'calc-green');
    assert.equal((await user('tester', BLUE_FQDN)).body.release, 'calc-blue');
    assert.equal((await user('tester', 'elsewhere.example.com')).headers['x-dataplane-error'], 'ECONNREFUSED');
  });

  it('an LB Service without a ready pod: the connection times out (502 ETIMEDOUT)', async () => {
    clear(store);
    slots(store, { greenReady: false });
    endpoint('calc-green', 'Enabled');
    const a = await freshUser();
    assert.deepEqual([a.status, a.headers['x-dataplane-error']], [502, 'ETIMEDOUT']);
  });

  it('ExternalEndpoints resolve to their target; Priority routing picks the lowest priority', async () => {
    profile('Priority');
    tm.createEndpoint(SUB, RG, 'calc', 'AzureEndpoints', 'calc-blue', { properties: { targetResourceId: PIP('calc-blue-ip'), priority: 2 } });
    tm.createEndpoint(SUB, RG, 'calc', 'ExternalEndpoints', 'calc-green', { properties: { target: GREEN_FQDN, priority: 1 } });
    assert.deepEqual(await tally(20, freshUser, (a) => String(a.body.release)), { 'calc-green': 20 });
  });

  it('a nested profile is resolved through its child', async () => {
    tm.createProfile(SUB, RG, 'calc-eu', { location: 'global', properties: { trafficRoutingMethod: 'Weighted', dnsConfig: { relativeName: 'calc-eu', ttl: 30 } } });
    tm.createEndpoint(SUB, RG, 'calc-eu', 'AzureEndpoints', 'blue', { properties: { targetResourceId: PIP('calc-blue-ip') } });
    const child = tm.profile(RG, 'calc-eu');
    tm.createEndpoint(SUB, RG, 'calc', 'NestedEndpoints', 'eu', { properties: { targetResourceId: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/trafficManagerProfiles/${child?.name}` } });
    assert.equal((await freshUser()).body.release, 'calc-blue');
    assert.equal(dp.dns?.query(TM_HOST).kind, 'address');
  });
});
