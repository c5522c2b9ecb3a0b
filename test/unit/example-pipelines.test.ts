// The example pipelines (examples/pipelines/*.yml) and the YAML in README.md and overview.md use only
// inputs the tasks declare, and every task of a lifecycle gets the same app and router settings.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

const root = path.resolve(__dirname, '..', '..', '..');
const TASKS: Record<string, string> = { BlueGreenDeploy: 'Deploy', BlueGreenRouteTraffic: 'RouteTraffic', BlueGreenOnSuccess: 'OnSuccess', BlueGreenOnFailure: 'OnFailure' };
const SHARED = ['name', 'namespace', 'namespaceLayout', 'router', 'routingOwnership', 'gatewayName', 'gatewayNamespace', 'gatewaySection', 'hostnames', 'host', 'trafficManagerResourceGroup', 'trafficManagerProfile', 'trafficManagerEndpointType', 'trafficManagerTtlMargin'];

interface Step {
  task?: string;
  inputs?: Record<string, unknown>;
}

function steps(node: unknown, out: Step[] = []): Step[] {
  if (Array.isArray(node)) node.forEach((n) => steps(n, out));
  else if (node && typeof node === 'object') {
    const step = node as Step;
    if (typeof step.task === 'string' && step.task.startsWith('BlueGreen')) out.push(step);
    else Object.values(node).forEach((n) => steps(n, out));
  }
  return out;
}

const declared = (task: string) => {
  const json = JSON.parse(fs.readFileSync(path.join(root, 'tasks', TASKS[task.split('@')[0]], 'task.json'), 'utf8')) as { inputs: Array<{ name: string; aliases?: string[] }> };
  return new Set(json.inputs.flatMap((i) => [i.name, ...(i.aliases ?? [])]));
};

const pipelines = fs.readdirSync(path.join(root, 'examples', 'pipelines')).filter((f) => f.endsWith('.yml')).map((f) => ({ name: `examples/pipelines/${f}`, text: fs.readFileSync(path.join(root, 'examples', 'pipelines', f), 'utf8'), lifecycle: true }));
const snippets = ['README.md', 'overview.md'].flatMap((doc) =>
  [...fs.readFileSync(path.join(root, doc), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m, i) => ({ name: `${doc} yaml block ${i + 1}`, text: m[1], lifecycle: false })),
);

describe('example pipelines and the YAML in the docs', () => {
  it('there are examples for every router', () => {
    const text = pipelines.map((p) => p.text).join('\n');
    for (const router of ['appgw', 'gateway', 'trafficmanager']) assert.match(text, new RegExp(`router: ${router}`));
    assert.ok(pipelines.some((p) => !/router:/.test(p.text) || /router: nginx/.test(p.text)), 'an ingress-nginx example (the default router)');
  });

  for (const doc of [...pipelines, ...snippets]) {
    describe(doc.name, () => {
      const used = steps(parse(doc.text));
      it('parses and uses the blue/green tasks', () => assert.ok(used.length > 0));
      if (doc.lifecycle) {
        it('runs the four tasks', () => {
          assert.deepEqual(used.map((s) => s.task), ['BlueGreenDeploy@1', 'BlueGreenRouteTraffic@1', 'BlueGreenOnSuccess@1', 'BlueGreenOnFailure@1']);
        });
        it('gives every task the same app and router settings', () => {
          for (const key of SHARED) {
            const values = new Set(used.map((s) => JSON.stringify(s.inputs?.[key] ?? null)));
            assert.equal(values.size, 1, `${key}: ${[...values].join(' / ')}`);
          }
        });
      }
      it('gives each task only inputs (or aliases) its task.json declares', () => {
        for (const step of used) {
          const known = declared(step.task ?? '');
          const unknown = Object.keys(step.inputs ?? {}).filter((k) => !known.has(k));
          assert.deepEqual(unknown, [], `${step.task}`);
        }
      });
    });
  }
});
