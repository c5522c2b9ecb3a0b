// `npm run cluster`: the local cluster for manual use. Starts the API server and controllers, one data
// plane per controller (ingress-nginx, App Gateway, Gateway API) on the same objects, and prints how to
// reach them. Runs until Ctrl-C.
import { fetchHelm, HELM_VERSIONS } from '../../scripts/fetch-helm';
import { startCluster } from './cluster';
import { REALISTIC_DELAYS, startDataPlane } from './dataplane';

const GATEWAY = { namespace: 'infra', name: 'public', className: 'emulated' };
const s = (ms: number) => `${ms / 1000} s`;

async function main(): Promise<void> {
  const readyDelayMs = Number(process.env.READY_DELAY_MS ?? 500);
  const cluster = await startCluster({ readyDelayMs, nginxWebhook: process.env.NGINX_WEBHOOK !== 'false' });
  cluster.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: GATEWAY.namespace } });
  cluster.seed({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: GATEWAY.className }, spec: { controllerName: 'bluegreen.test/gateway-emulator' } });
  cluster.seed({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: GATEWAY.name, namespace: GATEWAY.namespace },
    spec: { gatewayClassName: GATEWAY.className, listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }] },
  });
  const start = (controller: 'nginx' | 'agic' | 'gateway') => startDataPlane(cluster.store, { controller, ...REALISTIC_DELAYS, gatewayClassName: GATEWAY.className });
  const [nginx, agic, gateway] = await Promise.all([start('nginx'), start('agic'), start('gateway')]);
  const planes = [nginx, agic, gateway];
  const helm = (Object.keys(HELM_VERSIONS) as Array<keyof typeof HELM_VERSIONS>).map((major) => `  helm ${HELM_VERSIONS[major]}: ${fetchHelm(major)}`);
  console.log(
    [
      'Local cluster is up (Ctrl-C stops it).',
      '',
      `  API server:   ${cluster.apiUrl}`,
      `  kubeconfig:   ${cluster.kubeconfigPath}`,
      ...helm,
      '',
      'Data planes (send the app\'s Host header):',
      `  ingress-nginx:          ${nginx.url}   (Ingress class nginx; realistic delays: sync ${s(REALISTIC_DELAYS.syncDelayMs)}, with a reload ${s(REALISTIC_DELAYS.reloadDelayMs)})`,
      `  App Gateway (AGIC):     ${agic.url}   (Ingress class azure-application-gateway; ARM update ${s(REALISTIC_DELAYS.armDelayMs)})`,
      `  Gateway API:            ${gateway.url}   (Gateway ${GATEWAY.namespace}/${GATEWAY.name}, listener http; propagation ${s(REALISTIC_DELAYS.propagationDelayMs)})`,
      '',
      'Try:',
      `  export KUBECONFIG=${cluster.kubeconfigPath}`,
      `  ${fetchHelm('v4')} upgrade --install calc-blue examples/charts/bluegreen-app -n calc --create-namespace --set ingress.host=calc.example.test --wait`,
      `  curl -s -H 'Host: calc.example.test' ${nginx.url}/ping`,
      `Pods turn ready ${readyDelayMs} ms after they are created (READY_DELAY_MS); the nginx admission webhook is ${process.env.NGINX_WEBHOOK === 'false' ? 'off' : 'on'} (NGINX_WEBHOOK=false turns it off).`,
    ].join('\n'),
  );
  const stop = async () => {
    await Promise.all(planes.map((p) => p.close()));
    await cluster.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
