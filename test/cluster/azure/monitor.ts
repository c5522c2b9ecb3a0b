// Azure Monitor managed Prometheus, as its query endpoint behaves for a client: the Prometheus HTTP API
// (here a real Prometheus behind it) that demands an Entra access token for https://prometheus.monitor.azure.com
// from the fake Entra ID, answering 401 without one or with one for another audience. Plugs into
// startFakeAzure as one AzureHandler; the workspace's query URL is then the fake server's URL.
import type { FakeEntra } from './aad';
import type { AzureHandler } from './server';

export const AZURE_MONITOR_AUDIENCE = 'https://prometheus.monitor.azure.com';

export interface MonitorCall {
  clientId?: string;
  status: number;
  query?: string;
}

export function azureMonitorHandler(entra: FakeEntra, prometheusUrl: () => string, calls: MonitorCall[] = []): AzureHandler {
  return async (req) => {
    if (!/^\/api\/v1\/(query|query_range)$/.test(req.path)) return undefined;
    const claims = entra.verifyBearer(req.headers.authorization, [AZURE_MONITOR_AUDIENCE]);
    if ('error' in claims) {
      calls.push({ status: 401 });
      return { status: 401, body: { status: 'error', errorType: 'unauthorized', error: `The access token is ${claims.error}${claims.aud ? ` (audience ${claims.aud})` : ''}.` } };
    }
    const body = req.form ?? new URLSearchParams(req.query);
    const answer = await fetch(`${prometheusUrl()}${req.path}`, { method: 'POST', body });
    calls.push({ clientId: claims.appid, status: answer.status, query: body.get('query') ?? undefined });
    return { status: answer.status, body: await answer.text() };
  };
}
