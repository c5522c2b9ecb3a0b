import * as assert from 'node:assert/strict';
import { RESOURCES, Store } from '../store';
import { nginxIngressWebhook } from './admission';
import { ApiError } from './errors';
import { Registry, type WriteContext } from './registry';
import type { JsonObject } from './schema';
import { must } from '../../must';

const ingresses = RESOURCES.find((r) => r.kind === 'Ingress')!;
const namespaces = must(RESOURCES.find((r) => r.kind === 'Namespace'), 'the Namespace resource');
const ctx: WriteContext = { manager: 'test', dryRun: false };

function ingress(name: string, options: { canary?: string; host?: string; path?: string; className?: string } = {}): JsonObject {
  return {
    metadata: { name, ...(options.canary !== undefined ? { annotations: { 'nginx.ingress.kubernetes.io/canary': options.canary } } : {}) },
    spec: {
      ingressClassName: options.className ?? 'nginx',
      rules: [{ host: options.host ?? 'calc.example.com', http: { paths: [{ path: options.path ?? '/', pathType: 'Prefix', backend: { service: { name: name, port: { number: 80 } } } }] } }],
    },
  };
}

const denied = (message: string) => (e: ApiError) => {
  assert.equal(e.code, 400);
  assert.equal(e.message, `admission webhook "validate.nginx.ingress.kubernetes.io" denied the request: ${message}`);
  return true;
};

describe('ingress-nginx admission webhook', () => {
  let registry: Registry;
  beforeEach(() => {
    registry = new Registry(new Store(), [nginxIngressWebhook()]);
    for (const name of ['calc', 'blue-calc', 'green-calc']) registry.create(namespaces, undefined, { metadata: { name } }, ctx);
    registry.create(ingresses, 'calc', ingress('primary'), ctx);
  });

  it('rejects a second primary for the same host and path, in any namespace', () => {
    assert.throws(() => registry.create(ingresses, 'green-calc', ingress('other'), ctx), denied('host "calc.example.com" and path "/" is already defined in ingress calc/primary'));
  });

  it('accepts one canary, rejects a second, and rejects turning a primary into a canary clash by update', () => {
    registry.create(ingresses, 'calc', ingress('canary-a', { canary: 'true' }), ctx);
    assert.throws(() => registry.create(ingresses, 'calc', ingress('canary-b', { canary: 'true' }), ctx), denied('host "calc.example.com" and path "/" is already defined in ingress calc/canary-a'));
    registry.create(ingresses, 'calc', ingress('side', { path: '/side' }), ctx);
    assert.throws(() => registry.update(ingresses, 'calc', 'side', ingress('side'), ctx), denied('host "calc.example.com" and path "/" is already defined in ingress calc/primary'));
  });

  it('lets canary: "false" next to a primary through (the controller then sees two primaries)', () => {
    assert.equal(registry.create(ingresses, 'calc', ingress('was-canary', { canary: 'false' }), ctx).status, 201);
  });

  it('ignores other hosts, other paths, other classes, and an Ingress updating itself', () => {
    registry.create(ingresses, 'calc', ingress('other-host', { host: 'api.example.com' }), ctx);
    registry.create(ingresses, 'calc', ingress('other-path', { path: '/api' }), ctx);
    registry.create(ingresses, 'calc', ingress('appgw', { className: 'azure-application-gateway' }), ctx);
    assert.equal(registry.patch(ingresses, 'calc', 'primary', 'merge', { metadata: { labels: { touched: 'yes' } } }, ctx, false).status, 200);
  });

  it('is off unless enabled', () => {
    const open = new Registry(new Store(), []);
    open.create(namespaces, undefined, { metadata: { name: 'calc' } }, ctx);
    open.create(ingresses, 'calc', ingress('a'), ctx);
    assert.equal(open.create(ingresses, 'calc', ingress('b'), ctx).status, 201);
  });
});
