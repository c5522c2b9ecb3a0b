// `npm test`: every test file, two at a time (mocha --parallel --jobs 2), the longest suites first.
// mocha hands files to its workers in the order given, and a long file started last keeps one worker busy
// after the other has finished; the crash suites and the cluster histories take minutes each, most files
// seconds. Arguments after `--` go to mocha (e.g. `npm test -- --grep nginx`).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const testDir = path.join(root, 'dist', 'test');

/** The slow suites, longest first (docs/benchmarks.md has their durations); a pattern matching nothing is an error. */
export const LONGEST_FIRST = [
  /integration\/crash-appgw-chart\.test\.js$/,
  /integration\/gateway-crash-perslot\.test\.js$/,
  /integration\/rollback-crash\.test\.js$/,
  /histories\/cluster\.test\.js$/,
  /integration\/crash-nginx\.test\.js$/,
  /integration\/gateway-crash-shared\.test\.js$/,
  /integration\/crash-appgw\.test\.js$/,
  /integration\/trafficmanager-crash\.test\.js$/,
  /integration\/production-safety\.test\.js$/,
];

export function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return testFiles(full);
    return e.name.endsWith('.test.js') ? [full] : [];
  });
}

/** Every file once: the slow ones in LONGEST_FIRST order, then the rest alphabetically. */
export function ordered(files: string[]): string[] {
  const rank = (f: string) => {
    const i = LONGEST_FIRST.findIndex((re) => re.test(f.split(path.sep).join('/')));
    return i === -1 ? LONGEST_FIRST.length : i;
  };
  const missing = LONGEST_FIRST.filter((re) => !files.some((f) => re.test(f.split(path.sep).join('/'))));
  if (missing.length) throw new Error(`scripts/test-all.ts names test files that do not exist: ${missing.join(', ')}`);
  return [...files].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

if (require.main === module) {
  const files = ordered(testFiles(testDir));
  const mocha = require.resolve('mocha/bin/mocha.js');
  const run = spawnSync(process.execPath, [mocha, '--parallel', '--jobs', '2', ...files, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  process.exit(run.status ?? 1);
}
