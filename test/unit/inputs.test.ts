import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_VALUE_KEYS,
  InputError,
  readDeployInputs,
  readOnFailureInputs,
  readOnSuccessInputs,
  readRouteTrafficInputs,
} from '../../shared/inputs/read';
import { fakeSource } from './fake-inputs';

describe('task inputs', () => {
  let sources: string;
  const base = (): Record<string, string> => ({
    kubernetesServiceEndpoint: 'aks-prod',
    name: 'calculator',
    namespace: 'calculator',
    host: 'calc.contoso.com',
  });
  const deployBase = (): Record<string, string> => ({ ...base(), chart: 'charts/calculator' });
  const vars = (): Record<string, string> => ({ 'Build.SourcesDirectory': sources, 'Build.BuildId': '379' });
  const deploy = (inputs: Record<string, string>, variables = vars()) => readDeployInputs(fakeSource(inputs, variables));
  const route = (inputs: Record<string, string>) => readRouteTrafficInputs(fakeSource(inputs, vars()));
  /** The reader throws an InputError (never another error) whose message matches. */
  const rejects = (read: () => unknown, message: RegExp): void => {
    assert.throws(read, (err: unknown) => {
      assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
      assert.match(err.message, message);
      assert.doesNotMatch(err.message, /\n/, 'one sentence, one line');
      return true;
    });
  };

  before(() => {
    sources = fs.mkdtempSync(path.join(os.tmpdir(), 'inputs-'));
    fs.mkdirSync(path.join(sources, 'charts', 'calculator'), { recursive: true });
    fs.mkdirSync(path.join(sources, 'values'));
    fs.writeFileSync(path.join(sources, 'values', 'prod.yaml'), 'replicas: 2\n');
    fs.writeFileSync(path.join(sources, 'kubeconfig'), 'apiVersion: v1\n');
  });
  after(() => fs.rmSync(sources, { recursive: true, force: true }));

  it('applies the task.json defaults to a minimal Deploy', () => {
    const inputs = deploy(deployBase());
    assert.deepEqual(inputs.app, { name: 'calculator', namespace: 'calculator', layout: 'shared' });
    assert.deepEqual(inputs.connection, { type: 'Kubernetes Service Connection', endpoint: 'aks-prod', context: undefined, useClusterAdmin: false });
    assert.deepEqual(inputs.helm, { version: '4.1.4', downloadBase: 'https://get.helm.sh' });
    assert.equal(inputs.routing.router, 'nginx');
    assert.equal(inputs.routing.ownership, 'managed');
    assert.equal(inputs.routing.ingressClass, 'nginx');
    assert.equal(inputs.routing.path, '/');
    assert.equal(inputs.routing.stagingHeader, 'canary');
    assert.equal(inputs.routing.stagingHeaderValue, 'always');
    assert.equal(inputs.routing.podSelectorLabel, 'app.kubernetes.io/instance');
    assert.deepEqual(inputs.routing.valueKeys, DEFAULT_VALUE_KEYS);
    assert.equal(inputs.chart.chart, path.join(sources, 'charts', 'calculator'));
    assert.equal(inputs.timeout, '10m0s');
    assert.equal(inputs.createNamespace, true);
    assert.equal(inputs.lockTimeoutSeconds, 600);
    assert.deepEqual(inputs.setValues, []);
  });

  describe('app', () => {
    for (const name of ['My_App', 'Calculator', '1calc', '-calc', 'calc-', 'c'.repeat(48), 'calc.v2']) {
      it(`rejects app name '${name}'`, () => rejects(() => deploy({ ...deployBase(), name }), /Input 'name'/));
    }
    it('accepts a 47-character name: green-<name> is helm\'s 53-character limit', () => {
      assert.equal(deploy({ ...deployBase(), name: 'c'.repeat(47) }).app.name, 'c'.repeat(47));
    });
    it('leaves room for the green- prefix in per-slot namespaces', () => {
      const layout = { namespaceLayout: 'perSlot', routingOwnership: 'chart', router: 'appgw' };
      rejects(() => deploy({ ...deployBase(), ...layout, namespace: 'n'.repeat(58) }), /Input 'namespace'.*57.*green-/);
      assert.equal(deploy({ ...deployBase(), ...layout, namespace: 'n'.repeat(57) }).app.namespace, 'n'.repeat(57));
      assert.equal(deploy({ ...deployBase(), namespace: 'n'.repeat(63) }).app.namespace, 'n'.repeat(63));
    });
    it('requires a namespace', () => rejects(() => deploy({ ...deployBase(), namespace: ' ' }), /Input 'namespace'.*required/));
  });

  describe('connection', () => {
    it('requires the Kubernetes service connection', () => {
      rejects(() => deploy({ ...deployBase(), kubernetesServiceEndpoint: '' }), /kubernetesServiceEndpoint.*kubernetesServiceConnection.*required/);
    });
    it('reads an AKS cluster from an Azure Resource Manager connection', () => {
      const arm = { connectionType: 'Azure Resource Manager', azureSubscriptionEndpoint: 'sub', azureResourceGroup: 'rg-prod', kubernetesCluster: 'aks-1', useClusterAdmin: 'true' };
      assert.deepEqual(deploy({ ...deployBase(), ...arm }).connection, {
        type: 'Azure Resource Manager', endpoint: 'sub', resourceGroup: 'rg-prod', cluster: 'aks-1', useClusterAdmin: true,
      });
      rejects(() => deploy({ ...deployBase(), ...arm, kubernetesCluster: '' }), /kubernetesCluster.*required/);
      rejects(() => deploy({ ...deployBase(), ...arm, azureResourceGroup: '' }), /azureResourceGroup.*required/);
      rejects(() => deploy({ ...deployBase(), ...arm, azureResourceGroup: 'rg/bad' }), /azureResourceGroup/);
      rejects(() => deploy({ ...deployBase(), ...arm, useClusterAdmin: 'yes' }), /useClusterAdmin.*true or false/);
    });
    it('takes a kubeconfig file, treating the sources directory (an empty filePath) as not given', () => {
      const file = { connectionType: 'kubeconfig file', kubeContext: 'prod' };
      assert.deepEqual(deploy({ ...deployBase(), ...file, kubeconfigFile: 'kubeconfig' }).connection, {
        type: 'Kubeconfig File', kubeconfigFile: path.join(sources, 'kubeconfig'), context: 'prod', useClusterAdmin: false,
      });
      rejects(() => deploy({ ...deployBase(), ...file, kubeconfigFile: sources }), /kubeconfigFile.*required/);
      rejects(() => deploy({ ...deployBase(), ...file, kubeconfigFile: 'missing' }), /kubeconfigFile.*not a file/);
    });
    it('rejects an unknown connection type', () => rejects(() => deploy({ ...deployBase(), connectionType: 'ssh' }), /connectionType.*one of/));
  });

  describe('routing', () => {
    it('rejects an unknown router and accepts any case of a known one', () => {
      rejects(() => deploy({ ...deployBase(), router: 'traefik' }), /Input 'router' is 'traefik'.*nginx, appgw, gateway, trafficmanager/);
      assert.equal(deploy({ ...deployBase(), router: 'AppGW' }).routing.ingressClass, 'azure-application-gateway');
    });
    it('rejects managed routing through an Ingress with per-slot namespaces, and says what works', () => {
      for (const router of ['nginx', 'appgw']) {
        rejects(() => deploy({ ...deployBase(), router, namespaceLayout: 'perSlot' }), /namespaceLayout 'shared'.*own namespace.*router gateway/);
      }
      assert.equal(deploy({ ...deployBase(), namespaceLayout: 'perSlot', routingOwnership: 'chart', router: 'appgw' }).app.layout, 'perSlot');
      const gateway = deploy({ ...deployBase(), namespaceLayout: 'perSlot', router: 'gateway', gatewayName: 'public' });
      assert.equal(gateway.routing.gateway?.namespace, 'blue-calculator', 'the Gateway defaults to the home namespace');
    });
    it('refuses chart-owned ingress-nginx and names managed routing as the alternative', () => {
      for (const inputs of [{ ...deployBase(), routingOwnership: 'chart' }, { ...deployBase(), router: 'nginx', routingOwnership: 'Chart', namespaceLayout: 'perSlot' }]) {
        rejects(() => deploy(inputs), /Router 'nginx' works with routingOwnership 'managed' only: .*404.*Set routingOwnership to managed.*one Service selector patch/);
      }
      rejects(() => route({ ...base(), routingOwnership: 'chart' }), /Router 'nginx' works with routingOwnership 'managed' only/);
      assert.equal(deploy({ ...deployBase(), router: 'appgw', routingOwnership: 'chart' }).routing.ownership, 'chart', 'App Gateway keeps chart-owned routing');
      assert.equal(deploy(deployBase()).routing.ownership, 'managed', 'the default is managed');
    });
    it('requires a host for ingress routers and validates it', () => {
      rejects(() => deploy({ ...deployBase(), host: '' }), /Input 'host'.*required with router 'nginx'/);
      rejects(() => deploy({ ...deployBase(), host: 'https://calc.contoso.com' }), /Input 'host'/);
      rejects(() => deploy({ ...deployBase(), host: 'calc_contoso.com' }), /Input 'host'/);
      assert.equal(deploy({ ...deployBase(), host: 'Calc.Contoso.com' }).routing.host, 'calc.contoso.com');
    });
    it('takes Gateway API host names from hostnames, else from host', () => {
      const gw = { ...deployBase(), router: 'gateway', gatewayName: 'public', gatewayNamespace: 'infra', gatewaySection: 'https' };
      assert.deepEqual(deploy(gw).routing.gateway, { name: 'public', namespace: 'infra', sectionName: 'https', hostnames: ['calc.contoso.com'] });
      assert.deepEqual(deploy({ ...gw, hostnames: 'a.contoso.com, *.calc.contoso.com' }).routing.gateway?.hostnames, ['a.contoso.com', '*.calc.contoso.com']);
      rejects(() => deploy({ ...gw, host: '' }), /hostnames.*host/);
      rejects(() => deploy({ ...gw, gatewayName: '' }), /gatewayName.*required/);
      rejects(() => deploy({ ...gw, hostnames: 'a b!' }), /hostnames/);
    });
    it('validates header, cookie, label, port, path and TLS secret', () => {
      rejects(() => deploy({ ...deployBase(), stagingHeader: 'x canary' }), /stagingHeader.*header name/);
      rejects(() => deploy({ ...deployBase(), stagingHeaderValue: 'a\u0007' }), /stagingHeaderValue/);
      rejects(() => deploy({ ...deployBase(), stagingCookie: 'a;b' }), /stagingCookie/);
      rejects(() => deploy({ ...deployBase(), podSelectorLabel: 'app/' }), /podSelectorLabel/);
      rejects(() => deploy({ ...deployBase(), servicePort: '70000' }), /servicePort.*1 to 65535/);
      rejects(() => deploy({ ...deployBase(), path: 'api' }), /Input 'path'/);
      rejects(() => deploy({ ...deployBase(), tlsSecret: 'Bad_Secret' }), /tlsSecret/);
      rejects(() => deploy({ ...deployBase(), settleSeconds: '5s' }), /settleSeconds.*0 to 3600/);
      const ok = deploy({ ...deployBase(), stagingHeader: 'X-Canary', stagingHeaderValue: 'tester 1', servicePort: '8080', path: '/api', settleSeconds: '0' });
      assert.equal(ok.routing.settleSeconds, 0);
      assert.equal(deploy(deployBase()).routing.settleSeconds, undefined, "empty: the router's default");
      assert.equal(ok.routing.servicePort, 8080);
      assert.equal(ok.routing.stagingHeaderValue, 'tester 1');
    });
    it('overrides chart value keys by role', () => {
      const keys = deploy({ ...deployBase(), routingOwnership: 'chart', router: 'appgw', valueKeys: 'host=ingress.hostname\n# comment\nWEIGHT=canary.weight' });
      assert.deepEqual(keys.routing.valueKeys, { ...DEFAULT_VALUE_KEYS, host: 'ingress.hostname', weight: 'canary.weight' });
      rejects(() => deploy({ ...deployBase(), valueKeys: 'colour=slot.colour' }), /valueKeys.*'colour'/);
      rejects(() => deploy({ ...deployBase(), valueKeys: 'host=ingress..host' }), /valueKeys/);
    });
  });

  describe('Traffic Manager', () => {
    const tm = (): Record<string, string> => ({
      ...deployBase(), router: 'trafficmanager', host: '', trafficManagerConnection: 'tm-sub', trafficManagerResourceGroup: 'rg-dns', trafficManagerProfile: 'calc-tm',
    });
    it('reads the profile and the slot addresses', () => {
      const inputs = deploy({ ...tm(), blueAddress: '20.1.2.3', greenAddress: 'calc-green.westeurope.cloudapp.azure.com' });
      assert.deepEqual(inputs.routing.trafficManager, {
        endpoint: 'tm-sub', resourceGroup: 'rg-dns', profile: 'calc-tm', endpointType: 'ExternalEndpoints',
        blueAddress: '20.1.2.3', greenAddress: 'calc-green.westeurope.cloudapp.azure.com', bluePublicIp: undefined, greenPublicIp: undefined,
      });
      assert.equal(inputs.routing.host, undefined);
    });
    it("falls back to the cluster's Azure connection, and requires one", () => {
      const arm = { connectionType: 'Azure Resource Manager', azureSubscriptionEndpoint: 'sub', azureResourceGroup: 'rg', kubernetesCluster: 'aks' };
      assert.equal(deploy({ ...tm(), ...arm, trafficManagerConnection: '' }).routing.trafficManager?.endpoint, 'sub');
      rejects(() => deploy({ ...tm(), trafficManagerConnection: '' }), /trafficManagerConnection.*required/);
    });
    it('validates the profile, its resource group and the addresses per endpoint type', () => {
      rejects(() => deploy({ ...tm(), trafficManagerProfile: '' }), /trafficManagerProfile.*required/);
      rejects(() => deploy({ ...tm(), trafficManagerResourceGroup: '' }), /trafficManagerResourceGroup.*required/);
      rejects(() => deploy({ ...tm(), blueAddress: 'not an address' }), /blueAddress/);
      rejects(() => deploy({ ...tm(), blueAddress: 'calc.contoso.com', greenAddress: 'calc.contoso.com' }), /same/);
      const azure = { ...tm(), trafficManagerEndpointType: 'AzureEndpoints' };
      rejects(() => deploy({ ...azure, blueAddress: '20.1.2.3' }), /blueAddress.*DNS label/);
      rejects(() => deploy({ ...azure, greenPublicIp: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/loadBalancers/z' }), /greenPublicIp/);
      const ip = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/calc-blue';
      assert.equal(deploy({ ...azure, blueAddress: 'calc-blue', bluePublicIp: ip }).routing.trafficManager?.bluePublicIp, ip);
    });
  });

  describe('Deploy', () => {
    it('accepts the three chart forms', () => {
      assert.deepEqual(deploy({ ...base(), chart: 'oci://myacr.azurecr.io/helm/calculator', chartVersion: '1.4.0' }).chart, {
        chart: 'oci://myacr.azurecr.io/helm/calculator', version: '1.4.0',
      });
      assert.deepEqual(deploy({ ...base(), chart: 'calculator', chartRepository: 'https://charts.contoso.com' }).chart, {
        chart: 'calculator', repository: 'https://charts.contoso.com', version: undefined,
      });
    });
    it('rejects a missing or ambiguous chart', () => {
      rejects(() => deploy(base()), /Input 'chart'.*required/);
      rejects(() => deploy({ ...base(), chart: 'stable/calculator' }), /not found at .*chartRepository.*oci:\/\//);
      rejects(() => deploy({ ...base(), chart: 'contoso/calculator', chartRepository: 'https://charts.contoso.com' }), /chart's name/);
      rejects(() => deploy({ ...base(), chart: 'calculator', chartRepository: 'charts.contoso.com' }), /chartRepository/);
      rejects(() => deploy({ ...base(), chart: 'oci://registry-only' }), /OCI reference/);
    });
    it('reads value files, set values and secret values', () => {
      const src = fakeSource(
        { ...deployBase(), valueFiles: 'values/prod.yaml\n\nhttps://contoso.com/v.yaml', setValues: 'image.tag=1.4.0\nenv[0].value=a=b\n', secretValues: 'db.password=p@ss w0rd\n# note\napi.key=k3y' },
        vars(),
      );
      const inputs = readDeployInputs(src);
      assert.deepEqual(inputs.valueFiles, [path.join(sources, 'values', 'prod.yaml'), 'https://contoso.com/v.yaml']);
      assert.deepEqual(inputs.setValues, [['image.tag', '1.4.0'], ['env[0].value', 'a=b']]);
      assert.deepEqual(inputs.secretValues, [['db.password', 'p@ss w0rd'], ['api.key', 'k3y']]);
      assert.deepEqual(src.secrets, ['p@ss w0rd', 'k3y'], 'every secret value is registered');
      assert.ok(src.readSecretly.has('secretValues') && !src.read.has('secretValues'), 'secret values are read without the debug echo');
    });
    it('rejects lines that are not key=value without echoing them', () => {
      rejects(() => deploy({ ...deployBase(), setValues: 'image.tag=1\nreplicas' }), /'setValues' line 2 is not a key=value pair/);
      assert.throws(() => deploy({ ...deployBase(), secretValues: 'hunter2' }), (err: Error) => /secretValues' line 1/.test(err.message) && !err.message.includes('hunter2'));
      rejects(() => deploy({ ...deployBase(), valueFiles: 'values/missing.yaml' }), /valueFiles.*missing\.yaml/);
    });
    it('refuses value names that would reach Object.prototype, naming the input and the key', () => {
      rejects(() => deploy({ ...deployBase(), setValues: 'image.tag=1\n__proto__.polluted=yes' }), /^Input 'setValues' line 2 sets the key '__proto__\.polluted', which uses the reserved name '__proto__'/);
      rejects(() => deploy({ ...deployBase(), setValues: 'a.constructor.prototype.x=1' }), /'setValues' line 1 .*reserved name 'constructor'/);
      rejects(() => deploy({ ...deployBase(), setValues: 'list[0].prototype=1' }), /reserved name 'prototype'/);
      assert.throws(
        () => deploy({ ...deployBase(), secretValues: 'constructor.x=hunter2' }),
        (err: Error) => err instanceof InputError && /Input 'secretValues' line 1 sets the key 'constructor\.x'/.test(err.message) && !err.message.includes('hunter2'),
      );
      rejects(() => deploy({ ...deployBase(), routingOwnership: 'chart', valueKeys: 'host=__proto__.host' }), /Input 'valueKeys' maps 'host' to '__proto__\.host'/);
      rejects(() => deploy({ ...deployBase(), routingOwnership: 'chart', valueKeys: '__proto__=x' }), /Input 'valueKeys' line 1 .*reserved name '__proto__'/);
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
      // Names that merely contain a reserved word are ordinary value names.
      assert.deepEqual(deploy({ ...deployBase(), setValues: 'my__proto__=1\nconstructors.x=2' }).setValues, [['my__proto__', '1'], ['constructors.x', '2']]);
    });
    it('validates the helm duration and the namespace flag', () => {
      rejects(() => deploy({ ...deployBase(), timeout: '10 minutes' }), /Input 'timeout'.*helm duration/);
      assert.equal(deploy({ ...deployBase(), timeout: '1h30m' }).timeout, '1h30m');
      assert.equal(deploy({ ...deployBase(), createNamespace: 'False' }).createNamespace, false);
    });
  });

  describe('helm', () => {
    it('takes an exact version, latest or path', () => {
      assert.equal(deploy({ ...deployBase(), helmVersion: 'v3.18.0' }).helm.version, '3.18.0');
      assert.equal(deploy({ ...deployBase(), helmVersion: 'Latest' }).helm.version, 'latest');
      assert.equal(deploy({ ...deployBase(), helmVersion: 'path' }).helm.version, 'path');
      rejects(() => deploy({ ...deployBase(), helmVersion: 'banana' }), /helmVersion.*4\.1\.4/);
      rejects(() => deploy({ ...deployBase(), helmVersion: '2.17.0' }), /helm 2/);
    });
    it("refuses a HELM_DRIVER the tasks cannot read before anything else happens", () => {
      const saved = process.env.HELM_DRIVER;
      try {
        process.env.HELM_DRIVER = 'sql';
        rejects(() => deploy(deployBase()), /^HELM_DRIVER=sql is not supported: .*nothing was changed\.$/);
        rejects(() => route(base()), /^HELM_DRIVER=sql is not supported/);
        process.env.HELM_DRIVER = 'configmap';
        assert.equal(deploy(deployBase()).helm.version, '4.1.4');
      } finally {
        if (saved === undefined) delete process.env.HELM_DRIVER;
        else process.env.HELM_DRIVER = saved;
      }
    });
    it('normalises the download site and rejects a non-URL', () => {
      assert.equal(deploy({ ...deployBase(), helmDownloadBase: 'https://mirror.contoso.com/helm/' }).helm.downloadBase, 'https://mirror.contoso.com/helm');
      rejects(() => deploy({ ...deployBase(), helmDownloadBase: 'mirror' }), /helmDownloadBase/);
    });
    it('downloads helm over http only with a checksum from the pipeline', () => {
      const sum = 'AB'.repeat(32);
      rejects(
        () => deploy({ ...deployBase(), helmDownloadBase: 'http://mirror.contoso.com/helm' }),
        /^Input 'helmDownloadBase' is 'http:\/\/mirror\.contoso\.com\/helm': helm is downloaded only over https, .* use an https mirror, give the archive's SHA-256 in 'helmChecksum', or set 'helmVersion' to path/,
      );
      assert.deepEqual(deploy({ ...deployBase(), helmDownloadBase: 'http://mirror.contoso.com/helm', helmChecksum: sum }).helm, {
        version: '4.1.4',
        downloadBase: 'http://mirror.contoso.com/helm',
        checksum: sum.toLowerCase(),
      });
      assert.equal(deploy({ ...deployBase(), helmDownloadBase: 'http://mirror.contoso.com/helm', helmVersion: 'path' }).helm.version, 'path', 'nothing is downloaded');
      rejects(() => deploy({ ...deployBase(), helmChecksum: 'abc' }), /Input 'helmChecksum' is 'abc', which is not a SHA-256 checksum/);
    });
  });

  describe('RouteTraffic, OnSuccess, OnFailure', () => {
    it('reads checks and a percentage', () => {
      const inputs = route({ ...base(), checks: 'GET /ping expect 200', trafficPercent: '30', helmTest: 'true', checkInterval: '2' });
      assert.equal(inputs.trafficPercent, 30);
      assert.equal(inputs.checks, 'GET /ping expect 200');
      assert.equal(inputs.checkTimeoutSeconds, 120);
      assert.equal(inputs.checkIntervalSeconds, 2);
      assert.equal(inputs.helmTest, true);
      assert.equal(inputs.timeout, '5m0s');
    });
    for (const percent of ['101', '-1', '50.5', 'half', '1e2']) {
      it(`rejects traffic percentage '${percent}'`, () => rejects(() => route({ ...base(), trafficPercent: percent }), /trafficPercent.*0 to 100/));
    }
    it('refuses a percentage with AGIC, which cannot split traffic', () => {
      rejects(() => route({ ...base(), router: 'appgw', trafficPercent: '10' }), /trafficPercent.*appgw/);
      assert.equal(route({ ...base(), router: 'appgw' }).trafficPercent, 0);
    });
    it('rejects a check interval longer than the timeout', () => {
      rejects(() => route({ ...base(), checkTimeout: '10', checkInterval: '20' }), /checkInterval.*checkTimeout/);
    });
    it('reads the retire policy and the drain time', () => {
      const inputs = readOnSuccessInputs(fakeSource({ ...base(), retirePolicy: 'keep', drainSeconds: '0' }, vars()));
      assert.equal(inputs.retire, 'keep');
      assert.equal(inputs.drainSeconds, 0);
      rejects(() => readOnSuccessInputs(fakeSource({ ...base(), retirePolicy: 'scale-down' }, vars())), /retirePolicy/);
      rejects(() => readOnSuccessInputs(fakeSource({ ...base(), drainSeconds: '4000' }, vars())), /drainSeconds/);
    });
    it('reads whether to keep the failed slot', () => {
      assert.equal(readOnFailureInputs(fakeSource(base(), vars())).keepFailedSlot, false);
      assert.equal(readOnFailureInputs(fakeSource({ ...base(), keepFailedSlot: 'true' }, vars())).keepFailedSlot, true);
    });
  });

  describe('run id', () => {
    const runId = (variables: Record<string, string>): string => readOnFailureInputs(fakeSource(base(), variables)).runId;
    it('is the build id in YAML runs, whatever the job attempt', () => {
      assert.equal(runId({ 'Build.BuildId': '379', 'System.JobAttempt': '2' }), 'build-379');
      assert.equal(runId({ 'Build.BuildId': '379', 'System.JobAttempt': '1' }), 'build-379');
    });
    it('is the release id in classic releases, prefixed with the project', () => {
      assert.equal(runId({ 'Build.BuildId': '12', 'Release.ReleaseId': '45', 'Release.AttemptNumber': '3', 'System.TeamProjectId': 'p-1' }), 'p-1.release-45');
    });
    it('is unique per run outside a pipeline', () => assert.match(runId({}), /^manual-\d+$/));
  });
  it('checksCaCertificate: a file relative to the sources directory or PEM text; a missing file is refused in one sentence', () => {
    const pem = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'tls', 'ca.crt'), 'utf8');
    fs.writeFileSync(path.join(sources, 'internal-ca.pem'), pem);
    assert.equal(route({ ...base(), checksCaCertificate: 'internal-ca.pem' }).checksCa?.pem.trim(), pem.trim());
    assert.match(route({ ...base(), checksCaCertificate: pem }).checksCa?.describe ?? '', /^the PEM text in the input/);
    assert.equal(route(base()).checksCa, undefined);
    rejects(() => deploy({ ...deployBase(), checksCaCertificate: 'missing.pem' }), /Input 'checksCaCertificate' is neither a PEM certificate nor a readable file: .*missing\.pem does not exist/);
  });
});
