// Bundles each task into build/tasks/<Task>/index.js (CommonJS, Node 20) beside its task.json, icon and
// the task library's resource strings, so the task folder runs with plain `node` and no node_modules.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const TASKS = ['Deploy', 'RouteTraffic', 'OnSuccess', 'OnFailure', 'Rollback'] as const;
export const buildTasksDir = path.join(repoRoot, 'build', 'tasks');
/** Build by-products that must not ship in a task folder (the agent needs none of them). */
export const buildMetaDir = path.join(repoRoot, 'build', 'meta');

/** task-lib and tool-lib each look for `lib.json` next to the running script: one merged file serves both. */
function mergedLibJson(): string {
  const messages: Record<string, string> = {};
  for (const lib of ['azure-pipelines-task-lib', 'azure-pipelines-tool-lib']) {
    const file = require.resolve(`${lib}/lib.json`, { paths: [repoRoot] });
    Object.assign(messages, JSON.parse(fs.readFileSync(file, 'utf8')).messages);
  }
  return JSON.stringify({ messages }, null, 2);
}

export function bundleTask(task: string): void {
  const src = path.join(repoRoot, 'tasks', task);
  const out = path.join(buildTasksDir, task);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const result = buildSync({
    entryPoints: [path.join(repoRoot, 'dist', 'tasks', task, 'index.js')],
    outfile: path.join(out, 'index.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    keepNames: true,
    legalComments: 'external',
    logLevel: 'warning',
    // Optional native/peer modules some dependencies probe for at run time; absent is fine.
    external: ['@azure/msal-node-extensions', 'keytar', 'bufferutil', 'utf-8-validate'],
    metafile: true,
  });
  fs.mkdirSync(buildMetaDir, { recursive: true });
  fs.writeFileSync(path.join(buildMetaDir, `${task}.json`), JSON.stringify(result.metafile));
  const legal = path.join(out, 'index.js.LEGAL.txt');
  if (fs.existsSync(legal)) fs.renameSync(legal, path.join(buildMetaDir, `${task}.LEGAL.txt`));
  for (const file of ['task.json', 'icon.png', 'icon.svg']) {
    if (fs.existsSync(path.join(src, file))) fs.copyFileSync(path.join(src, file), path.join(out, file));
  }
  fs.writeFileSync(path.join(out, 'lib.json'), mergedLibJson());
}

if (require.main === module) {
  for (const task of TASKS) {
    bundleTask(task);
    const size = fs.statSync(path.join(buildTasksDir, task, 'index.js')).size;
    console.log(`bundled ${task}: ${(size / 1024).toFixed(0)} KiB`);
  }
}
