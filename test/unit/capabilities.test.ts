// The routers' capabilities as data (shared/routers/capabilities.ts): the table is complete and
// consistent, createRouter has exactly one implementation per supported ownership, the inputs can load
// it without any router, and the README's router table says what the data says. That the input readers
// and the routers' preflight give the same verdicts is test/lifecycle/router-capabilities.test.ts.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROUTER_KINDS, type RouterKind, type RoutingOwnership } from '../../shared/core/model';
import { BEFORE_RECORD, InputError, readRouteTrafficInputs } from '../../shared/inputs/read';
import { OWNERSHIPS } from '../../shared/inputs/source';
import { fakeSource } from './fake-inputs';
import { CAPABILITIES, MAX_STAGING_PERCENT, ownershipProblem, percentProblem, supportedOwnerships } from '../../shared/routers/capabilities';
import { ROUTER_FACTORIES } from '../../shared/routers';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('router capabilities', () => {
  it('every router kind has an entry, and every ownership a verdict', () => {
    assert.deepEqual(Object.keys(CAPABILITIES).sort(), [...ROUTER_KINDS].sort());
    for (const router of ROUTER_KINDS) {
      assert.deepEqual(Object.keys(CAPABILITIES[router].ownerships).sort(), [...OWNERSHIPS].sort(), router);
      assert.ok(supportedOwnerships(router).length > 0, `${router} supports some ownership`);
    }
  });

  it('createRouter has one implementation for each supported (router, ownership), and none for a refused one', () => {
    for (const router of ROUTER_KINDS) {
      assert.deepEqual(Object.keys(ROUTER_FACTORIES[router]).sort(), supportedOwnerships(router).sort(), router);
    }
  });

  it('a share of users below 100 % says why', () => {
    for (const router of ROUTER_KINDS) {
      const { max, why } = CAPABILITIES[router].userShare;
      assert.ok(Number.isInteger(max) && max >= 0 && max <= 100, `${router}: ${max}`);
      assert.equal(why !== undefined, max < 100, `${router}: a reason exactly when max < 100`);
    }
    assert.equal(CAPABILITIES.trafficmanager.userShare.max, MAX_STAGING_PERCENT);
    assert.equal(CAPABILITIES.appgw.userShare.max, 0);
  });

  it('percentProblem: every whole percentage from 0 to 100 is refused exactly above the maximum; 0 % always goes', () => {
    for (const router of ROUTER_KINDS) {
      for (let percent = 0; percent <= 100; percent++) {
        const problem = percentProblem(router, percent);
        assert.equal(problem === undefined, percent <= CAPABILITIES[router].userShare.max, `${router} ${percent} %: ${problem}`);
        for (const input of ['trafficPercent', 'trafficSteps'] as const) {
          const named = percentProblem(router, percent, input);
          assert.equal(named === undefined, problem === undefined, `${router} ${percent} % (${input})`);
          if (named) {
            assert.ok(named.startsWith(`Input '${input}' `) && named.includes(`router '${router}'`), named);
            assert.doesNotMatch(named, /\n/);
          }
        }
      }
      for (const bad of [-1, 101, 2.5, Number.NaN]) assert.match(percentProblem(router, bad) ?? '', /not a whole percentage from 0 to 100/, `${router} ${bad}`);
    }
  });

  it('the messages keep their key words', () => {
    assert.match(percentProblem('appgw', 10) ?? '', /^App Gateway \(AGIC\) routes by host and path only and cannot split traffic by percentage.*set trafficPercent to 0 \(testers still reach staging on \/canary\), or use router nginx, gateway or trafficmanager\.$/);
    assert.match(percentProblem('appgw', 10, 'trafficPercent') ?? '', /^Input 'trafficPercent' must be 0 with router 'appgw': .*cannot split traffic by percentage/);
    assert.match(percentProblem('appgw', 10, 'trafficSteps') ?? '', /^Input 'trafficSteps' cannot be used with router 'appgw': .*cannot split traffic by percentage.*leave trafficSteps empty/);
    assert.match(percentProblem('trafficmanager', 51) ?? '', /^Traffic Manager can send at most 50 % of users to the staging slot, not 51 %: production is the endpoint with the larger weight.*run BlueGreenOnSuccess/);
    assert.match(percentProblem('trafficmanager', 80, 'trafficPercent') ?? '', /^Input 'trafficPercent' is 80 with router 'trafficmanager': Traffic Manager can send at most 50 %/);
    assert.match(ownershipProblem('nginx', 'chart', 'shared') ?? '', /^Router 'nginx' works with routingOwnership 'managed' only: .*404.*Set routingOwnership to managed.*one Service selector patch/);
    assert.match(ownershipProblem('gateway', 'chart', 'perSlot') ?? '', /^Router 'gateway' works with routingOwnership 'managed' only: the task owns the HTTPRoute.*Set routingOwnership to managed/);
    assert.match(ownershipProblem('nginx', 'managed', 'perSlot') ?? '', /^Managed routing with router 'nginx' needs namespaceLayout 'shared': .*own namespace; use namespaceLayout shared, router gateway or trafficmanager\.$/);
    assert.match(ownershipProblem('appgw', 'managed', 'perSlot') ?? '', /, or routingOwnership chart\.$/);
  });

  it('ownershipProblem: a refused ownership in any layout; managed routing in perSlot only where the layout allows it', () => {
    for (const router of ROUTER_KINDS) {
      for (const ownership of OWNERSHIPS) {
        const supported = CAPABILITIES[router].ownerships[ownership].supported;
        assert.equal(ownershipProblem(router, ownership, 'shared') === undefined, supported, `${router} ${ownership} shared`);
        const perSlot = supported && !(ownership === 'managed' && CAPABILITIES[router].managedNeedsSharedLayout);
        assert.equal(ownershipProblem(router, ownership, 'perSlot') === undefined, perSlot, `${router} ${ownership} perSlot`);
      }
    }
  });

  it('a later task refuses a share before the record is read when its router input names the router, and leaves it to the record otherwise', () => {
    const app = { kubernetesServiceEndpoint: 'aks', name: 'calc', namespace: 'calc', trafficPercent: '80' };
    const tm = { router: 'TrafficManager', trafficManagerConnection: 'arm', trafficManagerResourceGroup: 'rg', trafficManagerProfile: 'calc' };
    assert.throws(
      () => readRouteTrafficInputs(fakeSource({ ...app, ...tm }, { 'Build.BuildId': '1' }), BEFORE_RECORD),
      (err: unknown) => err instanceof InputError && /^Input 'trafficPercent' is 80 with router 'trafficmanager': Traffic Manager can send at most 50 %/.test(err.message),
    );
    assert.equal(readRouteTrafficInputs(fakeSource(app, { 'Build.BuildId': '1' }), BEFORE_RECORD).trafficPercent, 80);
    assert.throws(() => readRouteTrafficInputs(fakeSource({ ...app, trafficPercent: '0', trafficSteps: '10, 60', ...tm }, { 'Build.BuildId': '1' }), BEFORE_RECORD), /Input 'trafficSteps' has a step of 60 % with router 'trafficmanager'/);
  });

  it('the inputs load the capabilities without any router implementation or the Azure SDK', () => {
    const script = `require(${JSON.stringify(path.join(ROOT, 'dist', 'shared', 'inputs', 'read.js'))});
      const loaded = Object.keys(require.cache).filter((f) => /[\\\\/]routers[\\\\/](?!capabilities\\.js$)|@azure/.test(f));
      process.stdout.write(JSON.stringify(loaded));`;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), []);
  });

  describe("the README's router table says what the capabilities say", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const header = readme.split('\n').findIndex((l) => l.startsWith('| Router | Testers reach staging |'));
    const rows = readme
      .split('\n')
      .slice(header + 2)
      .filter((_, i, lines) => lines.slice(0, i + 1).every((l) => l.startsWith('|')))
      .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    const rowsOf = (router: RouterKind) =>
      rows
        .filter(([first]) => first?.startsWith(`\`${router}\``))
        .map((row) => {
          const [first, testers, users] = row;
          assert.ok(first !== undefined && testers !== undefined && users !== undefined, `a router, testers and users cell in | ${row.join(' | ')} |`);
          return { first, testers, users };
        });
    const ownershipOf = (first: string): RoutingOwnership | undefined => OWNERSHIPS.find((o) => first.endsWith(` ${o}`));

    it('found the table', () => assert.ok(header > 0 && rows.length >= ROUTER_KINDS.length, `${rows.length} rows`));

    for (const router of ROUTER_KINDS) {
      it(`${router}: a row for each supported ownership, none for a refused one, its staging route and its share of users`, () => {
        const c = CAPABILITIES[router];
        const own = rowsOf(router);
        assert.ok(own.length > 0, `a row for ${router}`);
        const covered = new Set(own.flatMap(({ first }) => (ownershipOf(first) ? [ownershipOf(first)] : supportedOwnerships(router))));
        assert.deepEqual([...covered].sort(), supportedOwnerships(router).sort(), `${router}: the ownerships of its rows`);
        for (const { first, testers, users } of own) {
          if (c.staging.by === 'header') assert.match(testers, /header/, first);
          if (c.staging.by === 'path prefix') assert.ok(testers.includes(c.staging.prefix), first);
          if (c.staging.by === 'own address') assert.match(testers, /own/, first);
          assert.equal(testers.includes('stagingCookie'), c.staging.by === 'header' && c.staging.cookie, `${first}: stagingCookie`);
          const { max } = c.userShare;
          assert.equal(/no percentages/.test(users), max === 0, `${first}: "no percentages" exactly when none`);
          assert.equal(users.includes(`at most ${max} %`), max > 0 && max < 100, `${first}: "at most ${max} %" exactly when limited`);
        }
      });
    }
  });
});
