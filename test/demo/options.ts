// Command-line flags of `npm run demo -- ...`.
import { parseArgs } from 'node:util';
import type { HelmMajor } from '../cluster/helm';

export interface DemoOptions {
  router: 'nginx' | 'appgw';
  ownership: 'managed' | 'chart';
  helm: HelmMajor;
}

export const USAGE = `Usage: npm run demo -- [--router nginx|appgw] [--ownership managed|chart] [--helm v3|v4]

Runs the blue/green lifecycle on the local cluster with the bundled tasks (through the agent emulator)
while a probe sends production traffic: v1 first deploy, v2 deploy + validate + promote, v3 (broken)
deploy + failed validation + withdrawal. Exit code 0 when everything behaved as the lifecycle promises.

  --router      nginx (ingress-nginx, default) or appgw (Application Gateway Ingress Controller)
  --ownership   managed (the task owns the routing objects, default) or chart (the chart renders them;
                App Gateway only: chart-owned ingress-nginx is refused, as the tasks refuse it)
  --helm        v4 (helm 4.1.4, default) or v3 (helm 3.18.0)`;

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  const normalised = flag === 'helm' && /^[34]$/.test(value) ? `v${value}` : value.toLowerCase();
  const match = allowed.find((a) => a === normalised);
  if (!match) throw new Error(`--${flag} is '${value}'; use one of: ${allowed.join(', ')}.`);
  return match;
}

/** Parses the flags; `undefined` means --help was asked for. Throws on anything unknown. */
export function parseDemoArgs(argv: string[]): DemoOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      router: { type: 'string' },
      ownership: { type: 'string' },
      helm: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const options: DemoOptions = {
    router: oneOf('router', values.router, ['nginx', 'appgw'] as const, 'nginx'),
    ownership: oneOf('ownership', values.ownership, ['managed', 'chart'] as const, 'managed'),
    helm: oneOf('helm', values.helm, ['v3', 'v4'] as const, 'v4'),
  };
  if (options.router === 'nginx' && options.ownership === 'chart') {
    throw new Error('--ownership chart works with --router appgw only: the tasks refuse chart-owned ingress-nginx, which cannot switch production without a 404 window.');
  }
  return options;
}
