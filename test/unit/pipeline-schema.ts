// Validates Azure Pipelines YAML against Microsoft's published schema (test/fixtures/azure-pipelines),
// extended with our four tasks from tasks/*/task.json, and explains a failure in a few readable lines.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { repoRoot, TASK_FOLDERS, taskJsonPath } from '../../scripts/taskjson';

type Schema = Record<string, any>; // a JSON schema, read from a file

const SCHEMA_FILE = path.join(repoRoot, 'test', 'fixtures', 'azure-pipelines', 'service-schema.json');

interface TaskInput {
  name: string;
  label?: string;
  aliases?: string[];
  required?: boolean;
  visibleRule?: string;
  defaultValue?: string;
}
export interface TaskJson {
  name: string;
  friendlyName?: string;
  version: { Major: number };
  inputs: TaskInput[];
}

export const readTaskJsons = (): TaskJson[] =>
  TASK_FOLDERS.map((task) => JSON.parse(fs.readFileSync(taskJsonPath(task), 'utf8')) as TaskJson);

/**
 * The schema of one of our task steps, shaped like Microsoft's entries in definitions.task.anyOf.
 * An input is required in YAML only when task.json requires it, it is shown whatever the other inputs
 * say (no visibleRule: `azureSubscription` is required only with an ARM connection) and the agent has
 * no default for it (the server fills `router: nginx` in; Microsoft's generator skips those as well).
 */
export function taskStepSchema(task: TaskJson): { name: Schema; step: Schema } {
  const id = `${task.name}@${task.version.Major}`;
  const properties: Schema = {};
  for (const input of task.inputs) {
    for (const key of [input.name, ...(input.aliases ?? [])]) properties[key] = { description: input.label ?? input.name };
  }
  const required = task.inputs.filter((i) => i.required && !i.visibleRule && !i.defaultValue);
  const inputs: Schema = { type: 'object', description: `${id} inputs`, properties, additionalProperties: false };
  // An input may be given by its name or by any alias.
  if (required.length > 0) inputs.allOf = required.map((i) => ({ anyOf: [i.name, ...(i.aliases ?? [])].map((key) => ({ required: [key] })) }));
  return {
    name: { description: task.friendlyName ?? task.name, pattern: `^${task.name}@${task.version.Major}$` },
    step: {
      properties: { task: { const: id }, inputs },
      firstProperty: ['task'],
      required: required.length > 0 ? ['task', 'inputs'] : ['task'],
    },
  };
}

/** Microsoft's schema with our tasks added (a fresh copy: the caller may change it). */
export function pipelineSchema(tasks: TaskJson[] = readTaskJsons()): Schema {
  const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as Schema;
  const task = schema.definitions.task as Schema;
  for (const t of tasks) {
    const { name, step } = taskStepSchema(t);
    task.properties.task.anyOf.push(name);
    task.anyOf.push(step);
  }
  return schema;
}

const newAjv = () => new Ajv({ strict: false, unicodeRegExp: false, allErrors: true });

/** The key that tells which branch of a schema's anyOf a YAML mapping means (`deployment`, `runOnce`, `script`...). */
function branchKey(branch: Schema, definitions: Schema): string | undefined {
  const target: Schema = typeof branch.$ref === 'string' ? definitions[branch.$ref.replace('#/definitions/', '')] ?? {} : branch;
  if (Array.isArray(target.firstProperty)) return target.firstProperty[0] as string;
  if (Array.isArray(target.required) && target.required.length === 1) return target.required[0] as string;
  const keys = Object.keys(target.properties ?? {});
  return target.additionalProperties === false && keys.length === 1 ? keys[0] : undefined;
}

/**
 * The same schema for explaining a failure: every anyOf whose branches are told apart by a key (jobs by
 * `job`/`deployment`/`template`, steps by `task`/`script`/..., strategies by `runOnce`/`rolling`/`canary`,
 * tasks by their name, pipelines by `stages`/`jobs`/`steps`/`extends`) applies only the branch the YAML
 * names. Plain anyOf reports why every other branch fails too: thousands of lines for one misplaced key.
 */
function explainingSchema(schema: Schema): Schema {
  const copy = structuredClone(schema);
  const definitions = copy.definitions as Schema;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const s = node as Schema;
    if (Array.isArray(s.anyOf)) {
      const branches = s.anyOf as Schema[];
      const keys = branches.map((b) => branchKey(b, definitions));
      const names = branches.map((b) => b.properties?.task?.pattern ?? b.properties?.task?.const);
      if (keys.every((k) => k === 'task') && names.every((n) => typeof n === 'string')) {
        // Task steps: told apart by the task name (a pattern in Microsoft's entries, a const in ours).
        const match = (n: string, b: Schema): Schema => (b.properties.task.const ? { const: n } : { pattern: n });
        s.allOf = [...(s.allOf ?? []), ...branches.map((b, i) => ({ if: { required: ['task'], properties: { task: match(names[i] as string, b) } }, then: b }))];
        delete s.anyOf;
      } else if (keys.every((k) => k !== undefined) && new Set(keys).size > 1) {
        // Branches sharing a key (the three `steps` pipelines) stay alternatives among themselves.
        const distinct = [...new Set(keys as string[])];
        const then = (key: string) => {
          const same = branches.filter((_, i) => keys[i] === key);
          return same.length === 1 ? same[0] : { anyOf: same };
        };
        s.allOf = [...(s.allOf ?? []), ...distinct.map((key) => ({ if: { required: [key] }, then: then(key) }))];
        s.anyOf = distinct.map((key) => ({ required: [key] }));
      }
    }
    Object.values(s).forEach(visit);
  };
  visit(copy);
  // The root also accepts an empty file (a string): noise next to the errors of a real pipeline.
  delete copy.oneOf;
  copy.$ref = '#/definitions/pipeline';
  return copy;
}

/** One thing wrong: where (a JSON pointer, and the offending key when there is one) and what. */
export interface Problem {
  at: string;
  key?: string;
  text: string;
}

/** Readable lines from ajv's errors: no summaries of alternatives, no duplicates, missing keys together. */
export function describeErrors(errors: ErrorObject[]): Problem[] {
  const below = (p: string, q: string) => q === p || q.startsWith(`${p}/`);
  const detailed = errors.filter((e) => e.keyword !== 'if' && e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  const kept = errors.filter((e) => {
    if (e.keyword === 'if') return false;
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') return !detailed.some((d) => below(e.instancePath, d.instancePath));
    return true;
  });
  const lines = new Map<string, Problem>();
  const missing = new Map<string, Set<string>>();
  // A task name that is none of the ~260 known ones fails one enum or pattern per task: say it once.
  const isChoice = (e: ErrorObject) => ['enum', 'const', 'pattern'].includes(e.keyword);
  const choices = new Map<string, Set<string>>();
  for (const e of kept.filter(isChoice)) choices.set(e.instancePath, (choices.get(e.instancePath) ?? new Set()).add(JSON.stringify(e.params)));
  for (const e of kept) {
    const at = e.instancePath || '/';
    const alternatives = choices.get(e.instancePath)?.size ?? 0;
    if (alternatives > 3 && isChoice(e)) {
      const text = `${at}: is none of the ${alternatives} names the schema allows (for a task: one it does not know)`;
      lines.set(text, { at: e.instancePath, text });
      continue;
    }
    if (e.keyword === 'required') {
      const set = missing.get(at) ?? new Set<string>();
      set.add((e.params as { missingProperty: string }).missingProperty);
      missing.set(at, set);
      continue;
    }
    const params = e.params as Record<string, unknown>;
    const detail = params.additionalProperty ?? params.allowedValues ?? params.allowedValue ?? params.pattern;
    const text = `${at}: ${e.message}${detail === undefined ? '' : ` (${JSON.stringify(detail)})`}`;
    lines.set(text, { at: e.instancePath, key: typeof params.additionalProperty === 'string' ? params.additionalProperty : undefined, text });
  }
  for (const [at, keys] of missing) {
    const list = [...keys].map((k) => `'${k}'`).join(', ');
    const text = keys.size === 1 ? `${at}: must have the property ${list}` : `${at}: must have one of the properties ${list}`;
    lines.set(text, { at: at === '/' ? '' : at, text });
  }
  return [...lines.values()];
}

export interface PipelineValidator {
  /** [] when the pipeline is valid, otherwise what is wrong, each with a readable `path: message`. */
  validate(pipeline: unknown): Problem[];
}

/** Compiles the extended schema (about 2 s: compile once per test file). */
export function pipelineValidator(schema: Schema = pipelineSchema()): PipelineValidator {
  const validate: ValidateFunction = newAjv().compile(schema);
  let explain: ValidateFunction | undefined;
  return {
    validate(pipeline) {
      if (validate(pipeline)) return [];
      const raw = validate.errors ?? [];
      explain ??= newAjv().compile(explainingSchema(schema));
      // The explaining schema applies only the branch the YAML names; should it accept what the real
      // schema refuses, show the real schema's errors rather than nothing.
      const lines = describeErrors(explain(pipeline) ? raw : explain.errors ?? raw);
      return lines.length > 0 ? lines : [{ at: '', text: 'the schema refuses it (ajv gave no details)' }];
    },
  };
}
