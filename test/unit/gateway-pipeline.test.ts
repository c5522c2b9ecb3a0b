// The example pipeline for the Gateway API router (examples/pipelines/gateway.yml) uses only inputs the
// tasks declare, and every task of a lifecycle gets the same app and router settings.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

const root = path.resolve(__dirname, '..', '..', '..');
const TASKS: Record<string, string> = { BlueGreenDeploy: 'Deploy', BlueGreenRouteTraffic: 'RouteTraffic', BlueGreenOnSuccess: 'OnSuccess', BlueGreenOnFailure: 'OnFailure' };

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

describe('Gateway API router: the example pipeline', () => {
  const pipeline = parse(fs.readFileSync(path.join(root, 'examples', 'pipelines', 'gateway.yml'), 'utf8'));
  const used = steps(pipeline);

  it('runs the four tasks', () => {
    assert.deepEqual(used.map((s) => s.task), ['BlueGreenDeploy@1', 'BlueGreenRouteTraffic@1', 'BlueGreenOnSuccess@1', 'BlueGreenOnFailure@1']);
  });

  it('gives each task only inputs (or aliases) its task.json declares', () => {
    for (const step of used) {
      const name = TASKS[(step.task ?? '').split('@')[0]];
      const json = JSON.parse(fs.readFileSync(path.join(root, 'tasks', name, 'task.json'), 'utf8')) as { inputs: Array<{ name: string; aliases?: string[] }> };
      const known = new Set(json.inputs.flatMap((i) => [i.name, ...(i.aliases ?? [])]));
      const unknown = Object.keys(step.inputs ?? {}).filter((k) => !known.has(k));
      assert.deepEqual(unknown, [], `${step.task}`);
    }
  });

  it('repeats the app and router settings on every task (each hook reads the state afresh)', () => {
    const shared = ['name', 'namespace', 'namespaceLayout', 'router', 'gatewayName', 'gatewayNamespace', 'gatewaySection', 'host'];
    const first = used[0].inputs ?? {};
    for (const step of used) {
      for (const key of shared) assert.equal(step.inputs?.[key], first[key], `${step.task} ${key}`);
    }
    assert.equal(first.router, 'gateway');
  });
});
