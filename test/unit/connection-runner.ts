// Child-process entry for connection and Azure credential scenarios. It runs the way the agent runs a task:
// service connections arrive as ENDPOINT_* variables (task-lib vaults them when it loads, so they cannot be
// set in the mocha process afterwards), and the fake Azure's CA is trusted through NODE_EXTRA_CA_CERTS, which
// Node only reads at startup. Prints one `RESULT <json>` or `ERROR <json>` line; never a secret.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { azureCredential } from '../../shared/azure/credentials';
import { connect } from '../../shared/connection';
import type { ChartAuth, ChartInputs, ConnectionInputs } from '../../shared/inputs/read';
import { credentialsFor } from '../../shared/helm/registry-auth';
import { must } from '../must';

export interface RunnerRequest {
  mode: 'connect' | 'azure' | 'registry';
  /** registry mode: the chart and how to sign in to its registry. */
  chart?: ChartInputs;
  auth?: ChartAuth;
  inputs?: ConnectionInputs;
  workDir?: string;
  reachabilityTimeoutMs?: number;
  /** connect mode: call dispose() before reporting. */
  dispose?: boolean;
  /** azure mode: the service connection and the scope to get a token for. */
  endpoint?: string;
  scope?: string;
}

export interface ConnectResult {
  kubeconfigPath: string;
  server: string;
  context: string;
  describe: string;
  serverVersion: string;
  currentContextFromClient: string;
  /** Whether the kubeconfig file exists when the result is reported. */
  kubeconfigExists: boolean;
}

/** The credentials a registry sign-in produced; the password only as its SHA-256 (never printed). */
export interface RegistryResult {
  username: string;
  passwordSha256: string;
  source: string;
}

export interface AzureResult {
  describe: string;
  scheme: string;
  clientId: string;
  tenantId: string;
  subscriptionId: string;
  armUrl: string;
  armScope: string;
  authorityHost: string;
  /** The token's claims as the fake encodes them (the token itself stays in the child). */
  claims: Record<string, unknown>;
}

async function main(): Promise<void> {
  const request = JSON.parse(must(process.argv[2], 'the request (JSON) as the first argument')) as RunnerRequest;
  if (request.mode === 'connect') {
    const connection = await connect(request.inputs as ConnectionInputs, request.workDir as string, {
      reachabilityTimeoutMs: request.reachabilityTimeoutMs,
    });
    if (request.dispose) connection.dispose();
    const result: ConnectResult = {
      kubeconfigPath: connection.kubeconfigPath,
      server: connection.server,
      context: connection.context,
      describe: connection.describe,
      serverVersion: connection.serverVersion,
      currentContextFromClient: connection.kubeConfig.getCurrentContext(),
      kubeconfigExists: fs.existsSync(connection.kubeconfigPath),
    };
    console.log(`RESULT ${JSON.stringify(result)}`);
    return;
  }
  if (request.mode === 'registry') {
    const credentials = await credentialsFor(request.auth as ChartAuth, request.chart as ChartInputs);
    const passwordSha256 = crypto.createHash('sha256').update(credentials.password).digest('hex');
    const result: RegistryResult = { username: credentials.username, passwordSha256, source: credentials.source };
    console.log(`RESULT ${JSON.stringify(result)}`);
    return;
  }
  const azure = azureCredential(request.endpoint);
  const token = await azure.credential.getToken(request.scope ?? azure.armScope);
  const claims = JSON.parse(Buffer.from((token?.token ?? '').split('.')[1] ?? '', 'base64url').toString('utf8') || '{}') as Record<string, unknown>;
  const result: AzureResult = {
    describe: azure.describe,
    scheme: azure.scheme,
    clientId: azure.clientId,
    tenantId: azure.tenantId,
    subscriptionId: azure.subscriptionId,
    armUrl: azure.armUrl,
    armScope: azure.armScope,
    authorityHost: azure.authorityHost,
    claims,
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

main().catch((err: unknown) => {
  const error = err instanceof Error ? { name: err.name, message: err.message } : { name: 'unknown', message: String(err) };
  console.log(`ERROR ${JSON.stringify(error)}`);
  process.exitCode = 1;
});
