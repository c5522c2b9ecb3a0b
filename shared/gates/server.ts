// The metrics server as the inputs describe it: its URL and the Authorization header of each request
// (none, a bearer token, basic credentials, or an Entra token for Azure Monitor managed Prometheus from an
// Azure Resource Manager connection; the Azure SDK caches and refreshes it, and every token is masked).
import { azureCredential } from '../azure/credentials';
import { registerSecret } from '../inputs/secrets';
import { AZURE_MONITOR_SCOPE, type MetricsServerInputs } from './inputs';
import type { MetricsServer } from './prometheus';

export function metricsServer(inputs: MetricsServerInputs): MetricsServer {
  switch (inputs.auth) {
    case 'none':
      return { url: inputs.url, describe: `Prometheus API at ${inputs.url}`, headers: async () => ({}) };
    case 'bearer':
      return { url: inputs.url, describe: `Prometheus API at ${inputs.url} (bearer token)`, headers: async () => ({ authorization: `Bearer ${inputs.token}` }) };
    case 'basic': {
      const encoded = Buffer.from(`${inputs.username}:${inputs.password}`).toString('base64');
      // The encoded form is what a log could show; mask it like the password itself.
      registerSecret(encoded);
      return { url: inputs.url, describe: `Prometheus API at ${inputs.url} (basic, user ${inputs.username})`, headers: async () => ({ authorization: `Basic ${encoded}` }) };
    }
    case 'azureMonitor': {
      let credential: ReturnType<typeof azureCredential> | undefined;
      return {
        url: inputs.url,
        describe: `Azure Monitor managed Prometheus at ${inputs.url} (Entra token of connection ${inputs.azureConnection})`,
        async headers() {
          credential ??= azureCredential(inputs.azureConnection);
          // ExplainedCredential registers the token as a secret and explains a failed sign-in.
          const token = await credential.credential.getToken(AZURE_MONITOR_SCOPE);
          if (!token) throw new Error('Entra ID returned no token for Azure Monitor');
          return { authorization: `Bearer ${token.token}` };
        },
      };
    }
  }
}
