// The loc strings in task.json and the code that uses them (report.loc / tl.loc) stay in step: every key
// the code asks for exists in the task that runs that code, and no task carries a string nobody uses.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
const TASK_OF_FILE: Record<string, string> = { 'deploy.ts': 'Deploy', 'routeTraffic.ts': 'RouteTraffic', 'onSuccess.ts': 'OnSuccess', 'onFailure.ts': 'OnFailure', 'rollback.ts': 'Rollback' };
const TASKS = Object.values(TASK_OF_FILE);

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

const messagesOf = (task: string) => (JSON.parse(fs.readFileSync(path.join(root, 'tasks', task, 'task.json'), 'utf8')) as { messages: Record<string, string> }).messages;

describe('loc strings', () => {
  const uses = sources(path.join(root, 'shared')).flatMap((file) =>
    [...fs.readFileSync(file, 'utf8').matchAll(/\bloc\('(\w+)'/g)].map((m) => {
      const task = TASK_OF_FILE[path.basename(file)];
      return { file, key: m[1] ?? '', tasks: task ? [task] : TASKS };
    }),
  );

  it('the code uses loc strings', () => assert.ok(uses.length >= 5));

  it('every key the code asks for is in the task.json of each task that runs that code', () => {
    for (const use of uses) {
      for (const task of use.tasks) assert.ok(messagesOf(task)[use.key], `${task}/task.json lacks message ${use.key} (used in ${path.relative(root, use.file)})`);
    }
  });

  it('every message a task.json carries is used', () => {
    for (const task of TASKS) {
      for (const key of Object.keys(messagesOf(task))) assert.ok(uses.some((u) => u.key === key && u.tasks.includes(task)), `${task}: message ${key} is never used`);
    }
  });
});
