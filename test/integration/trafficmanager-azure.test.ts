// The Azure side of the Traffic Manager router through the bundled tasks: each auth scheme of an
// Azure Resource Manager connection gets a token from the local Entra ID for its Traffic Manager calls; a
// missing role assignment, throttling and 5xx answers, a Degraded staging endpoint; and bad input (missing
// profile, Performance routing, a share Traffic Manager cannot encode, endpoint type mismatch), each
// refused with a clear error before any ARM or Kubernetes write.
import * as assert from 'node:assert/strict';
import { checksFor, version } from './env';
import { type AuthScheme, IDENTITIES, PROFILE, PUBLIC_IPS, RG, SUB, TENANT, endpointsOf, startTrafficManagerEnv, type TmEnv } from './env-trafficmanager';
import { expectOutcome } from './expect';


describe('Traffic Manager router against Azure (fake Entra ID + ARM), helm v4', function () {
  this.timeout(300_000);
  let env: TmEnv;

  before(async () => {
    // Managed load balancers in per-slot namespaces (the lifecycle suites cover the other combinations).
    env = await startTrafficManagerEnv({ helm: 'v4', ownership: 'managed', layout: 'perSlot', ttl: 2, margin: 1 });
    env.tm.createProfile(SUB, RG, 'calc-perf', { location: 'global', properties: { trafficRoutingMethod: 'Performance', dnsConfig: { relativeName: 'calc-perf', ttl: 30 } } });
    env.tm.createProfile(SUB, RG, 'calc-mixed', { location: 'global', properties: { trafficRoutingMethod: 'Weighted', dnsConfig: { relativeName: 'calc-mixed', ttl: 30 } } });
    env.tm.createEndpoint(SUB, RG, 'calc-mixed', 'AzureEndpoints', 'calc-blue', { properties: { targetResourceId: PUBLIC_IPS.blue.id, endpointStatus: 'Enabled', weight: 1000 } });
    expectOutcome(await env.task('Deploy', 1, version('1.0.0')), 'Succeeded');
    expectOutcome(await env.task('Deploy', 2, version('2.0.0')), 'Succeeded');
  });
  after(() => env?.close());

  /** Runs a task and returns it with the ARM and API writes it made. */
  async function measured(task: Parameters<TmEnv['task']>[0], run: number, inputs: Record<string, string>) {
    const arm = env.tm.writes.length;
    const api = env.cluster.writes.mark();
    const result = await env.task(task, run, inputs);
    return { result, armWrites: env.tm.writes.slice(arm), apiWrites: env.cluster.writes.since(api) };
  }

  const grants: Record<AuthScheme, string> = { secret: 'client_secret', certificate: 'client_certificate', workload: 'client_assertion', managed: 'managed_identity' };
  for (const scheme of Object.keys(grants) as AuthScheme[]) {
    it(`auth scheme ${scheme}: a token from the local Entra ID, then every Traffic Manager call carries it`, async () => {
      const calls = env.armCalls.length;
      const run = await env.task('OnFailure', 99, env.as(scheme));
      expectOutcome(run, 'Succeeded');
      assert.match(run.message, /Nothing to withdraw/);
      const token = env.entra.issued.find((t) => t.clientId === IDENTITIES[scheme]);
      assert.ok(token, `Entra ID issued a token to ${IDENTITIES[scheme]}`);
      assert.deepEqual([token.grant, token.tenantId, token.scope], [grants[scheme], TENANT, `${env.azure.url}/.default`]);
      const made = env.armCalls.slice(calls);
      assert.ok(made.some((c) => c.path.endsWith(`/trafficManagerProfiles/${PROFILE}`) || c.path.endsWith(`/trafficmanagerprofiles/${PROFILE}`)), 'read the profile');
      for (const call of made) assert.deepEqual([call.clientId, call.status], [IDENTITIES[scheme], 200], `${call.method} ${call.path}`);
      assert.ok(!run.log.includes(token.token), 'the token is not in the log');
    });
  }

  it('a missing role or a refused token: the error names the identity (and the action and scope), and nothing changes', async () => {
    env.authorize = (clientId, method) => !(clientId === IDENTITIES.certificate && method !== 'GET');
    try {
      const before = endpointsOf(env);
      const { result } = await measured('RouteTraffic', 2, { ...checksFor('2.0.0'), trafficPercent: '20', ...env.as('certificate') });
      expectOutcome(result, 'Failed');
      assert.match(
        result.message,
        new RegExp(
          `^service principal ${IDENTITIES.certificate} \\(certificate\\) in tenant ${TENANT} may not perform Microsoft\\.Network/trafficManagerProfiles/externalEndpoints/write ` +
            `on /subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft\\.Network/trafficmanagerprofiles/${PROFILE}/externalEndpoints/calc-blue \\(403 AuthorizationFailed\\)\\. ` +
            `Assign it the Traffic Manager Contributor role on profile ${RG}/${PROFILE}`,
          'i',
        ),
      );
      assert.deepEqual(endpointsOf(env), before);

      env.authorize = (clientId) => clientId !== IDENTITIES.managed;
      const read = await env.task('OnFailure', 99, env.as('managed'));
      expectOutcome(read, 'Failed');
      assert.match(read.message, /^the agent's system-assigned managed identity in tenant \S+ may not perform Microsoft\.Network\/trafficManagerProfiles\/read on \S+calc-prod \(403 AuthorizationFailed/i);

      env.rejectTokens = 'The access token is from the wrong issuer.';
      const unauthenticated = await env.task('OnFailure', 99, env.as('workload'));
      expectOutcome(unauthenticated, 'Failed');
      assert.match(
        unauthenticated.message,
        /^Azure Resource Manager did not accept the token of service principal c3c3\S+ \(workload identity federation\) in tenant \S+ \(401 InvalidAuthenticationToken: The access token is from the wrong issuer\.\)/,
      );
    } finally {
      env.authorize = () => true;
      env.rejectTokens = undefined;
    }
  });

  it('throttling (429) and 5xx answers from ARM are retried with backoff', async () => {
    env.tm.faults.failRead(1, 503).failWrite(1, 429).failWrite(2, 500);
    const { result, armWrites } = await measured('RouteTraffic', 2, { ...checksFor('2.0.0'), trafficPercent: '10' });
    expectOutcome(result, 'Succeeded');
    assert.deepEqual(
      armWrites.map((w) => `${w.endpoint} ${w.status} ${w.outcome}`),
      ['calc-blue 429 fault', 'calc-blue 500 fault', 'calc-blue 200 applied', 'calc-green 200 applied'],
    );
    assert.deepEqual(endpointsOf(env), ['calc-blue: Enabled 900', 'calc-green: Enabled 100']);
  });

  it('a Degraded staging endpoint stops OnSuccess before any change; once Online, the promotion goes through', async () => {
    env.tm.setMonitorStatus(RG, PROFILE, 'calc-green', 'Degraded');
    const { result, armWrites, apiWrites } = await measured('OnSuccess', 2, checksFor('2.0.0'));
    expectOutcome(result, 'Failed');
    assert.match(result.message, /^Traffic Manager reports endpoint calc-green Degraded: its health probe \(HTTP port 80 path \/ping\) fails/);
    assert.deepEqual(armWrites, []);
    assert.ok(apiWrites.every((w) => w.resource === 'leases'), `only the lease was written: ${apiWrites.map((w) => `${w.method} ${w.resource}`)}`);
    assert.deepEqual(endpointsOf(env), ['calc-blue: Enabled 900', 'calc-green: Enabled 100']);
    env.tm.setMonitorStatus(RG, PROFILE, 'calc-green', 'Online');
    expectOutcome(await env.task('OnSuccess', 2, checksFor('2.0.0')), 'Succeeded');
    assert.deepEqual(endpointsOf(env), ['calc-green: Enabled 1000']);
    const lbs = env.cluster.store.ofKind('Service').filter((s) => s.spec?.type === 'LoadBalancer').map((s) => `${s.metadata.namespace}/${s.metadata.name}`);
    assert.deepEqual(lbs, ['green-calc/calc-green-lb']);
  });

  const refusals: Array<[string, 'Deploy' | 'RouteTraffic', Record<string, string>, RegExp]> = [
    ['a profile that does not exist', 'Deploy', { trafficManagerProfile: 'calc-missing' }, new RegExp(`^Traffic Manager profile ${RG}/calc-missing does not exist in subscription ${SUB}: check the resource group and profile inputs\\. Nothing was changed\\.$`)],
    ['Performance routing', 'Deploy', { trafficManagerProfile: 'calc-perf' }, /^Traffic Manager profile rg-calc\/calc-perf uses the Performance routing method; blue\/green needs Weighted routing/],
    ['a share above what weights can encode', 'RouteTraffic', { ...checksFor('3.0.0'), trafficPercent: '70' }, /^Input 'trafficPercent' is 70 with router 'trafficmanager': Traffic Manager can send at most 50 % of users to the staging slot, not 70 %/],
    ['an endpoint of another type', 'Deploy', { trafficManagerProfile: 'calc-mixed' }, /^Traffic Manager profile rg-calc\/calc-mixed has endpoint calc-blue of type AzureEndpoints, but trafficManagerEndpointType is ExternalEndpoints\. Set trafficManagerEndpointType to AzureEndpoints, or delete that endpoint\./],
    ['Azure endpoints without Public IPs', 'Deploy', { trafficManagerEndpointType: 'AzureEndpoints', bluePublicIp: '', greenPublicIp: '' }, /^Azure endpoints point at a Public IP resource per slot: set bluePublicIp and greenPublicIp/],
  ];
  for (const [what, task, inputs, message] of refusals) {
    it(`bad input, ${what}: a clear error, and no ARM or Kubernetes write`, async () => {
      // Deploy changes the app's recorded settings on purpose here, so that the profile itself is checked.
      const { result, armWrites, apiWrites } = await measured(task, 3, { ...(task === 'Deploy' ? { ...version('3.0.0'), changeSettings: 'true' } : {}), ...inputs });
      expectOutcome(result, 'Failed');
      assert.match(result.message, message);
      assert.deepEqual(armWrites, []);
      assert.deepEqual(apiWrites.map((w) => `${w.method} ${w.path}`), []);
    });
  }
});
