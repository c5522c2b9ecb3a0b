// The fake Traffic Manager ARM driven by the real SDK (@azure/arm-trafficmanager 6.1.0) over HTTPS:
// the service's validation, the wire shapes the SDK parses, the write log and the fault hooks.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import { once } from 'node:events';
import { TrafficManagerManagementClient, type Endpoint, type Profile } from '@azure/arm-trafficmanager';
import type { TokenCredential } from '@azure/core-auth';
import { startFakeAzure, TEST_CA_CERT, type FakeAzureServer } from './server';
import { FakeTrafficManager, type TmCrashEvent } from './trafficmanager';

const SUB = '00000000-0000-0000-0000-00000000000a';
const RG = 'rg-calc';
const PIP = (name: string) => `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/publicIPAddresses/${name}`;
let azureUrl = '';
const credential: TokenCredential = { getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };

const weightedProfile = (ttl = 30): Profile => ({
  location: 'global',
  trafficRoutingMethod: 'Weighted',
  dnsConfig: { relativeName: 'calc-prod', ttl },
  monitorConfig: { protocol: 'HTTP', port: 80, path: '/ping' },
});
const external = (target: string, weight?: number, endpointStatus = 'Enabled'): Endpoint => ({ target, endpointStatus, ...(weight !== undefined ? { weight } : {}) });

function rawArm(method: string, path: string, body: unknown): Promise<{ status: number; code?: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${azureUrl}${path}`, { method, ca: fs.readFileSync(TEST_CA_CERT), headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: (JSON.parse(text || '{}') as { error?: { code?: string } }).error?.code }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** The RestError the SDK throws, as `status code` (e.g. `400 BadRequest`). */
async function armFailure(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    const e = err as { statusCode?: number; code?: string; name?: string };
    return e.statusCode === undefined ? String(e.name) : `${e.statusCode} ${e.code}`;
  }
  return 'no error';
}

describe('fake ARM: Traffic Manager (real SDK 6.1.0)', () => {
  let azure: FakeAzureServer;
  let tm: FakeTrafficManager;
  let client: TrafficManagerManagementClient;

  before(async () => {
    tm = new FakeTrafficManager();
    azure = await startFakeAzure([tm.handler]);
    azureUrl = azure.url;
    client = new TrafficManagerManagementClient(credential, SUB, {
      endpoint: azure.url,
      retryOptions: { maxRetries: 0 },
      tlsOptions: { ca: fs.readFileSync(TEST_CA_CERT) },
    });
    tm.addPublicIp(PIP('calc-blue-ip'), 'calc-blue.westeurope.cloudapp.azure.com', '20.1.1.1');
    tm.addPublicIp(PIP('no-dns-ip'), undefined, '20.1.1.9');
  });
  after(() => azure.close());
  beforeEach(async () => {
    tm.faults.clear();
    await client.profiles.delete(RG, 'calc').catch(() => undefined);
    await client.profiles.createOrUpdate(RG, 'calc', weightedProfile());
  });

  it('profiles: createOrUpdate then get returns the FQDN, TTL, routing method and monitor config', async () => {
    const p = await client.profiles.get(RG, 'calc');
    assert.equal(p.id, `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/trafficManagerProfiles/calc`);
    assert.deepEqual([p.trafficRoutingMethod, p.dnsConfig?.fqdn, p.dnsConfig?.ttl, p.monitorConfig?.path, p.profileStatus], ['Weighted', 'calc-prod.trafficmanager.net', 30, '/ping', 'Enabled']);
    assert.deepEqual(p.endpoints, []);
  });

  it('profiles: a missing profile is 404 ResourceNotFound; endpoints under it are 404 ParentResourceNotFound', async () => {
    assert.equal(await armFailure(client.profiles.get(RG, 'nope')), '404 ResourceNotFound');
    assert.equal(await armFailure(client.endpoints.get(RG, 'nope', 'ExternalEndpoints', 'blue')), '404 ParentResourceNotFound');
    assert.equal(await armFailure(client.endpoints.createOrUpdate(RG, 'nope', 'ExternalEndpoints', 'blue', external('a.test'))), '404 ParentResourceNotFound');
  });

  it('profiles: every routing method is accepted, an unknown one is 400; location must be global', async () => {
    for (const method of ['Weighted', 'Performance', 'Priority', 'Geographic', 'MultiValue', 'Subnet']) {
      const p = await client.profiles.createOrUpdate(RG, `m-${method.toLowerCase()}`, { ...weightedProfile(), trafficRoutingMethod: method, dnsConfig: { relativeName: `m-${method.toLowerCase()}`, ttl: 10 } });
      assert.equal(p.trafficRoutingMethod, method);
    }
    assert.equal(await armFailure(client.profiles.createOrUpdate(RG, 'bad', { ...weightedProfile(), trafficRoutingMethod: 'Random', dnsConfig: { relativeName: 'bad' } })), '400 BadRequest');
    assert.equal(await armFailure(client.profiles.createOrUpdate(RG, 'bad', { ...weightedProfile(), location: 'westeurope', dnsConfig: { relativeName: 'bad' } })), '400 LocationNotAvailableForResourceType');
  });

  it('endpoints: weight must be 1-1000 (400 BadRequest with an ARM error body)', async () => {
    assert.equal(await armFailure(client.endpoints.createOrUpdate(RG, 'calc', 'ExternalEndpoints', 'blue', external('blue.test', 0))), '400 BadRequest');
    assert.equal(await armFailure(client.endpoints.createOrUpdate(RG, 'calc', 'ExternalEndpoints', 'blue', external('blue.test', 1001))), '400 BadRequest');
    const ok = await client.endpoints.createOrUpdate(RG, 'calc', 'ExternalEndpoints', 'blue', external('blue.test', 1000));
    assert.equal(ok.weight, 1000);
    const defaulted = await client.endpoints.createOrUpdate(RG, 'calc', 'ExternalEndpoints', 'green', external('green.test'));
    assert.equal(defaulted.weight, 1);
    const raw = azure.requests.at(-3);
    assert.equal(raw?.query.get('api-version'), '2022-04-01');
  });

  it('endpoints: endpointStatus is Enabled or Disabled; the body type must match the URL segment', async () => {
    assert.equal(await armFailure(client.endpoints.createOrUpdate(RG, 'calc', 'ExternalEndpoints', 'blue', external('blue.test', 1, 'Paused'))), '400 BadRequest');
    assert.equal(await armFailure(client.endpoints.createOrUpdate(RG, 'calc', 'ExternalEndpoints', 'blue', { ...external('blue.test'), type: 'Microsoft.Network/trafficManagerProfiles/azureEndpoints' })), '400 BadRequest');
    // The SDK refuses an unknown endpointType before sending, so this one goes over the wire by hand.
    const raw = await rawArm('PUT', `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/trafficmanagerprofiles/calc/PublicEndpoints/blue?api-version=2022-04-01`, { properties: { target: 'blue.test' } });
    assert.equal(`${raw.status} ${raw.code}`, '400 BadRequest');
  });

  it('endpoints: AzureEndpoints need a targetResourceId with a DNS name; target is the Public IP FQDN', async () => {
    assert.equal(await armFailure(client.endpoints.createOrUpdate(RG, 'calc', 'AzureEndpoints', 'blue', { endpointStatus: 'Enabled', weight: 1 })), '400 BadRequest');
    assert.equal(await armFailure(client.endpoints.createOrUpdate(RG, 'calc', 'AzureEndpoints', 'blue', { targetResourceId: PIP('unknown-ip') })), '400 BadRequest');
    assert.equal(await armFailure(client.endpoints.createOrUpdate(RG, 'calc', 'AzureEndpoints', 'blue', { targetResourceId: PIP('no-dns-ip') })), '400 BadRequest');
    const e = await client.endpoints.createOrUpdate(RG, 'calc', 'AzureEndpoints', 'blue', { targetResourceId: PIP('calc-blue-ip'), weight: 5 });
    assert.deepEqual([e.type, e.target, e.endpointMonitorStatus], ['Microsoft.Network/trafficManagerProfiles/azureEndpoints', 'calc-blue.westeurope.cloudapp.azure.com', 'Online']);
    assert.equal(await armFailure(client.endpoints.createOrUpdate(RG, 'calc', 'ExternalEndpoints', 'blue', external('x.test'))), '400 BadRequest', 'names are unique across types');
  });

  it('endpoints: ExternalEndpoints need a target; NestedEndpoints need an existing profile', async () => {
    assert.equal(await armFailure(client.endpoints.createOrUpdate(RG, 'calc', 'ExternalEndpoints', 'blue', { weight: 1 })), '400 BadRequest');
    assert.equal(await armFailure(client.endpoints.createOrUpdate(RG, 'calc', 'NestedEndpoints', 'child', { targetResourceId: '/subscriptions/x/nope' })), '400 BadRequest');
    const child = await client.profiles.createOrUpdate(RG, 'calc-eu', { ...weightedProfile(), dnsConfig: { relativeName: 'calc-eu', ttl: 10 } });
    const nested = await client.endpoints.createOrUpdate(RG, 'calc', 'NestedEndpoints', 'eu', { targetResourceId: child.id, minChildEndpoints: 1 });
    assert.equal(nested.target, 'calc-eu.trafficmanager.net');
  });

  it('endpoints: update (PATCH) merges, get reflects it, delete removes it', async () => {
    await client.endpoints.createOrUpdate(RG, 'calc', 'ExternalEndpoints', 'green', external('green.test', 10));
    const patched = await client.endpoints.update(RG, 'calc', 'ExternalEndpoints', 'green', { endpointStatus: 'Disabled' });
    assert.deepEqual([patched.endpointStatus, patched.weight, patched.target, patched.endpointMonitorStatus], ['Disabled', 10, 'green.test', 'Disabled']);
    assert.equal(await armFailure(client.endpoints.update(RG, 'calc', 'ExternalEndpoints', 'green', { weight: 0 })), '400 BadRequest');
    assert.equal(await armFailure(client.endpoints.update(RG, 'calc', 'ExternalEndpoints', 'nope', { weight: 2 })), '404 NotFound');
    assert.equal((await client.profiles.get(RG, 'calc')).endpoints?.[0]?.endpointStatus, 'Disabled');
    await client.endpoints.delete(RG, 'calc', 'ExternalEndpoints', 'green');
    assert.equal(await armFailure(client.endpoints.get(RG, 'calc', 'ExternalEndpoints', 'green')), '404 NotFound');
  });

  it('monitor status is settable from tests and shows in endpointMonitorStatus', async () => {
    await client.endpoints.createOrUpdate(RG, 'calc', 'ExternalEndpoints', 'green', external('green.test', 10));
    tm.setMonitorStatus(RG, 'calc', 'green', 'Degraded');
    assert.equal((await client.endpoints.get(RG, 'calc', 'ExternalEndpoints', 'green')).endpointMonitorStatus, 'Degraded');
    tm.setMonitorStatus(RG, 'calc', 'green', 'CheckingEndpoint');
    assert.equal((await client.profiles.get(RG, 'calc')).endpoints?.[0]?.endpointMonitorStatus, 'CheckingEndpoint');
  });

  it('write log: every PUT/PATCH/DELETE with its outcome', async () => {
    const from = tm.writes.length;
    await client.endpoints.createOrUpdate(RG, 'calc', 'ExternalEndpoints', 'blue', external('blue.test', 1));
    await armFailure(client.endpoints.createOrUpdate(RG, 'calc', 'ExternalEndpoints', 'blue', external('blue.test', 0)));
    await client.endpoints.delete(RG, 'calc', 'ExternalEndpoints', 'blue');
    const log = tm.writes.slice(from).map((w) => `${w.method} ${w.endpointType}/${w.endpoint} ${w.status} ${w.outcome}`);
    assert.deepEqual(log, ['PUT ExternalEndpoints/blue 201 applied', 'PUT ExternalEndpoints/blue 400 rejected', 'DELETE ExternalEndpoints/blue 200 applied']);
  });

  it('fault: failWrite(n) answers the nth write with an error and does not apply it', async () => {
    tm.faults.failWrite(2, 429);
    await client.endpoints.createOrUpdate(RG, 'calc', 'ExternalEndpoints', 'blue', external('blue.test', 1));
    assert.equal(await armFailure(client.endpoints.createOrUpdate(RG, 'calc', 'ExternalEndpoints', 'green', external('green.test', 1))), '429 TooManyRequests');
    assert.deepEqual(tm.profile(RG, 'calc')?.endpoints.map((e) => e.name), ['blue']);
    tm.faults.failWrite(1);
    assert.equal(await armFailure(client.endpoints.delete(RG, 'calc', 'ExternalEndpoints', 'blue')), '500 InternalServerError');
    assert.equal(tm.profile(RG, 'calc')?.endpoints.length, 1);
  });

  it('fault: failWrite can match one kind of write; a custom ARM error body is passed through', async () => {
    tm.faults.failWrite(1, { status: 403, body: { error: { code: 'AuthorizationFailed', message: "client 'x' lacks Microsoft.Network/trafficManagerProfiles/azureEndpoints/write" } } }, { method: 'PATCH' });
    await client.endpoints.createOrUpdate(RG, 'calc', 'ExternalEndpoints', 'blue', external('blue.test', 1));
    assert.equal(await armFailure(client.endpoints.update(RG, 'calc', 'ExternalEndpoints', 'blue', { weight: 2 })), '403 AuthorizationFailed');
    assert.equal((await client.endpoints.update(RG, 'calc', 'ExternalEndpoints', 'blue', { weight: 3 })).weight, 3);
    tm.faults.failRead(1, 503).delayWrite(1, 10);
    assert.equal(await armFailure(client.profiles.get(RG, 'calc')), '503 InternalServerError');
    assert.equal((await client.endpoints.update(RG, 'calc', 'ExternalEndpoints', 'blue', { weight: 4 })).weight, 4, 'a delayed write still applies');
  });

  it('fault: crashAfterWrite(n) applies the nth write, goes dark and emits crash; clear() serves again', async () => {
    tm.faults.crashAfterWrite(1);
    const crashed = once(tm.faults, 'crash') as Promise<[TmCrashEvent]>;
    const abort = new AbortController();
    const call = armFailure(client.endpoints.createOrUpdate(RG, 'calc', 'ExternalEndpoints', 'green', external('green.test', 1), { abortSignal: abort.signal }));
    const [write] = await crashed;
    assert.deepEqual([write.endpoint, write.index, tm.writes.at(-1)?.outcome, tm.faults.dark], ['green', tm.faults.writeCount, 'applied', true]);
    assert.equal(tm.profile(RG, 'calc')?.endpoints[0]?.name, 'green', 'the write was applied before the crash');
    abort.abort();
    assert.equal(await call, 'AbortError', 'the client never got an answer');
    tm.faults.clear();
    assert.equal((await client.endpoints.get(RG, 'calc', 'ExternalEndpoints', 'green')).target, 'green.test');
  });

  it('a wrong api-version is refused', async () => {
    const old = new TrafficManagerManagementClient(credential, SUB, { endpoint: azure.url, apiVersion: '2018-08-01', retryOptions: { maxRetries: 0 }, tlsOptions: { ca: fs.readFileSync(TEST_CA_CERT) } });
    assert.equal(await armFailure(old.profiles.get(RG, 'calc')), '400 InvalidApiVersionParameter');
  });
});
