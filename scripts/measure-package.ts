// Measures what a release note reports about the package: the .vsix size, each bundle's size,
// and each bundle's cold start (`node index.js` in an empty folder with no inputs, to exit; median of
// several runs). Run after `npm run build`: `node dist/scripts/measure-package.js [runs]`.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildTasksDir, repoRoot, TASKS } from './bundle';
import { packageExtension } from './package';

const runs = Number(process.argv[2] ?? 7);
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
const median = (values: number[]): number => {
  const middle = [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  if (middle === undefined) throw new Error('no measurements to take the median of');
  return middle;
};

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'measure-'));
try {
  const vsix = packageExtension({ overridesFile: path.join(repoRoot, 'extension.overrides.json'), outDir: scratch });
  console.log(`vsix: ${path.basename(vsix)} ${kib(fs.statSync(vsix).size)}`);
  console.log(`node ${process.version}, ${os.cpus().length} cores, median of ${runs} runs`);
  console.log('| task | bundle | cold start (ms) |');
  console.log('|---|---|---|');
  for (const task of TASKS) {
    const alone = fs.mkdtempSync(path.join(scratch, `${task}-`));
    for (const file of fs.readdirSync(path.join(buildTasksDir, task))) {
      fs.copyFileSync(path.join(buildTasksDir, task, file), path.join(alone, file));
    }
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = process.hrtime.bigint();
      spawnSync(process.execPath, ['index.js'], { cwd: alone, env: { PATH: process.env.PATH ?? '' }, stdio: 'ignore' });
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    console.log(`| ${task} | ${kib(fs.statSync(path.join(alone, 'index.js')).size)} | ${median(times).toFixed(0)} |`);
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
