// The example pipelines (examples/pipelines/*.yml) and the YAML in README.md, overview.md and docs/*.md:
// Azure Pipelines accepts them (Microsoft's schema, our tasks added from task.json), they use only inputs
// the tasks declare, deployment hooks check the repository out before a task reads files from it, and
// the app's settings are stated once, in Deploy: the later tasks name the same app and repeat none of them.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isScalar, LineCounter, parse, parseDocument } from 'yaml';
import { repoRoot } from '../../scripts/taskjson';
import { SETTING_INPUTS } from '../../shared/core/settings';
import { type PipelineValidator, type Problem, pipelineValidator, readTaskJsons } from './pipeline-schema';

const APP = ['name', 'namespace'];
const STEP_KEYS = ['task', 'script', 'bash', 'pwsh', 'powershell', 'checkout', 'download', 'downloadBuild', 'getPackage', 'publish', 'upload', 'reviewApp'];

interface Step {
  task?: string;
  checkout?: string;
  inputs?: Record<string, unknown>;
}

/** What a YAML text is: a whole pipeline, a fragment validated inside one, or not a pipeline at all. */
type Kind = 'pipeline' | 'steps' | 'jobs' | 'stages' | 'kubernetes manifest';

interface Yaml {
  name: string;
  file: string;
  /** Line of the file where the YAML text starts (1-based). */
  line: number;
  text: string;
  lifecycle: boolean;
}

const read = (file: string) => fs.readFileSync(path.join(repoRoot, file), 'utf8');

const pipelines: Yaml[] = fs
  .readdirSync(path.join(repoRoot, 'examples', 'pipelines'))
  .filter((f) => f.endsWith('.yml'))
  .map((f) => ({ name: `examples/pipelines/${f}`, file: `examples/pipelines/${f}`, line: 1, text: read(`examples/pipelines/${f}`), lifecycle: true }));

const documents = ['README.md', 'overview.md', ...fs.readdirSync(path.join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const blocks: Yaml[] = documents.flatMap((file) => {
  const doc = read(file);
  return [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m, i) => ({
    name: `${file} yaml block ${i + 1}`,
    file,
    line: doc.slice(0, m.index).split('\n').length + 1,
    text: m[1] ?? '',
    // A block that runs the whole lifecycle is held to the same rules as the example pipelines.
    lifecycle: ['BlueGreenDeploy@1', 'BlueGreenRouteTraffic@1', 'BlueGreenOnSuccess@1', 'BlueGreenOnFailure@1'].every((t) => m[1]?.includes(`task: ${t}`)),
  }));
});

function kindOf(yaml: unknown, name: string): Kind {
  const first = Array.isArray(yaml) ? (yaml[0] as unknown) : undefined;
  const keys = (node: unknown) => (node && typeof node === 'object' && !Array.isArray(node) ? Object.keys(node) : []);
  if (Array.isArray(yaml)) {
    if (keys(first).includes('stage')) return 'stages';
    if (keys(first).some((k) => k === 'job' || k === 'deployment')) return 'jobs';
    if (keys(first).some((k) => STEP_KEYS.includes(k))) return 'steps';
  } else {
    if (keys(yaml).some((k) => ['stages', 'jobs', 'steps', 'trigger', 'extends'].includes(k))) return 'pipeline';
    if (keys(yaml).includes('apiVersion') && keys(yaml).includes('kind')) return 'kubernetes manifest';
  }
  throw new Error(`${name} is neither a pipeline, a list of stages, jobs or steps, nor a Kubernetes manifest: make it one of them, or teach kindOf in test/unit/example-pipelines.test.ts what it is.`);
}

/** The block as a whole pipeline: fragments go where Azure Pipelines would read them. */
const asPipeline = (yaml: unknown, kind: Kind): unknown => (kind === 'pipeline' ? yaml : { [kind]: yaml });

/** `file line N: /path: message` for each problem, N the line of the YAML that is wrong. */
function locate(doc: Yaml, kind: Kind, problems: Problem[]): string[] {
  const lineCounter = new LineCounter();
  const parsed = parseDocument(doc.text, { lineCounter });
  const line = (offset: number) => doc.line + lineCounter.linePos(offset).line - 1;
  return problems.map((problem) => {
    let segments: Array<string | number> = problem.at
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    if (kind !== 'pipeline') segments = segments.slice(1);
    const node = parsed.getIn(segments, true);
    // A key that is not allowed: its own line.
    const key = isMap(node) ? node.items.find((pair) => isScalar(pair.key) && pair.key.value === problem.key)?.key : undefined;
    if (isScalar(key) && key.range) return `${doc.file} line ${line(key.range[0])}: ${problem.text}`;
    // Otherwise the deepest node that exists (a missing property is reported at its parent).
    for (; segments.length > 0; segments = segments.slice(0, -1)) {
      const found = parsed.getIn(segments, true) as { range?: [number, number, number] } | undefined;
      if (found?.range) return `${doc.file} line ${line(found.range[0])}: ${problem.text}`;
    }
    return `${doc.file} line ${doc.line}: ${problem.text}`;
  });
}

function blueGreenSteps(node: unknown, out: Step[] = []): Step[] {
  if (Array.isArray(node)) node.forEach((n) => blueGreenSteps(n, out));
  else if (node && typeof node === 'object') {
    const step = node as Step;
    if (typeof step.task === 'string' && step.task.startsWith('BlueGreen')) out.push(step);
    else Object.values(node).forEach((n) => blueGreenSteps(n, out));
  }
  return out;
}

/** Every steps list of a deployment job's lifecycle hooks (deploy, routeTraffic, on.success, ...). */
function hookSteps(node: unknown, inDeployment = false, out: Step[][] = []): Step[][] {
  if (Array.isArray(node)) node.forEach((n) => hookSteps(n, inDeployment, out));
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    const deployment = inDeployment || 'deployment' in record;
    if (deployment && Array.isArray(record.steps)) out.push(record.steps as Step[]);
    Object.entries(record).forEach(([key, value]) => key !== 'steps' && hookSteps(value, deployment, out));
  }
  return out;
}

/** Whether a task reads files of the repository: values files or a chart folder (not oci://, not from a chart repository). */
function readsRepositoryFiles(step: Step): boolean {
  const inputs = step.inputs ?? {};
  const text = (key: string) => (typeof inputs[key] === 'string' ? (inputs[key] as string).trim() : '');
  if (text('valueFile') || text('valueFiles')) return true;
  const chart = text('chart');
  return chart !== '' && !chart.startsWith('oci://') && !text('chartRepository');
}

const declared = new Map(readTaskJsons().map((t) => [`${t.name}@${t.version.Major}`, new Set(t.inputs.flatMap((i) => [i.name, ...(i.aliases ?? [])]))]));

describe('example pipelines and the YAML in the docs', () => {
  let validator: PipelineValidator;
  before(function () {
    this.timeout(120_000); // compiling Microsoft's schema takes a few seconds on a loaded machine
    validator = pipelineValidator();
  });

  it('there are examples for every router', () => {
    const text = pipelines.map((p) => p.text).join('\n');
    for (const router of ['appgw', 'gateway', 'trafficmanager']) assert.match(text, new RegExp(`router: ${router}`));
    assert.ok(pipelines.some((p) => !/router:/.test(p.text) || /router: nginx/.test(p.text)), 'an ingress-nginx example (the default router)');
  });

  for (const doc of [...pipelines, ...blocks]) {
    describe(doc.name, () => {
      const yaml: unknown = parse(doc.text);
      const kind = kindOf(yaml, doc.name);
      if (kind === 'kubernetes manifest') {
        it('is a Kubernetes manifest, not a pipeline (not validated)', () => assert.ok(yaml));
        return;
      }

      it(`Azure Pipelines accepts it (${kind === 'pipeline' ? 'a whole pipeline' : `as the ${kind} of a pipeline`}, Microsoft's schema)`, function () {
        this.timeout(60_000);
        const problems = locate(doc, kind, validator.validate(asPipeline(yaml, kind)));
        if (problems.length > 0) assert.fail(`${doc.name} (line ${doc.line}) is not a valid pipeline:\n    ${problems.join('\n    ')}`);
      });

      const used = blueGreenSteps(yaml);
      it('uses the blue/green tasks', () => assert.ok(used.length > 0));

      it('gives each task only inputs (or aliases) its task.json declares', () => {
        for (const step of used) {
          const known = declared.get(step.task ?? '');
          assert.ok(known, `${step.task}: not one of ${[...declared.keys()].join(', ')}`);
          const unknown = Object.keys(step.inputs ?? {}).filter((k) => !known.has(k));
          assert.deepEqual(unknown, [], `${step.task}`);
        }
      });

      it('checks the repository out in every deployment hook that reads files from it (deployment jobs do not)', () => {
        for (const steps of hookSteps(yaml)) {
          const checkout = steps.findIndex((s) => typeof s.checkout === 'string' && s.checkout !== 'none');
          steps.forEach((step, i) => {
            if (step.task?.startsWith('BlueGreen') && readsRepositoryFiles(step)) {
              assert.ok(checkout >= 0 && checkout < i, `${step.task} reads ${JSON.stringify(step.inputs?.valueFile ?? step.inputs?.valueFiles ?? step.inputs?.chart)} from the repository: add "- checkout: self" before it`);
            }
          });
        }
      });

      if (doc.lifecycle) {
        it('runs the four tasks', () => {
          assert.deepEqual(used.map((s) => s.task), ['BlueGreenDeploy@1', 'BlueGreenRouteTraffic@1', 'BlueGreenOnSuccess@1', 'BlueGreenOnFailure@1']);
        });
        it('names the same app in every task, and states its settings in Deploy only', () => {
          for (const key of APP) {
            const values = new Set(used.map((s) => JSON.stringify(s.inputs?.[key] ?? null)));
            assert.equal(values.size, 1, `${key}: ${[...values].join(' / ')}`);
          }
          for (const later of used.slice(1)) {
            const repeated = Object.keys(later.inputs ?? {}).filter((k) => (SETTING_INPUTS as readonly string[]).includes(k));
            assert.deepEqual(repeated, [], `${later.task} repeats settings the cluster has from Deploy`);
          }
        });
      }
    });
  }
});
