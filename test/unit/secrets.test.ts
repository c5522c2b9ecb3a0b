// Masking what the task writes itself: secret values never reach the summary file, output variables or
// the failure message, which the agent does not mask.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Helm } from '../../shared/helm/cli';
import { installSlot, versionKeysIn } from '../../shared/helm/slot-release';
import { locate } from '../../shared/core/model';
import { maskSecrets, registerSecret } from '../../shared/inputs/secrets';
import { restoreEnv } from './connection-helpers';

describe('secrets: masking', () => {
  const saved = { ...process.env };
  let temp: string;
  let stdout: string[];
  let write: typeof process.stdout.write;
  before(() => {
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-secrets-'));
    // If this suite is the first to load task-lib, its vault key file goes here rather than into the repo.
    process.env.AGENT_TEMPDIRECTORY = temp;
  });
  after(() => {
    restoreEnv(saved);
    fs.rmSync(temp, { recursive: true, force: true });
  });
  beforeEach(() => {
    stdout = [];
    write = process.stdout.write;
    process.stdout.write = ((chunk: string) => (stdout.push(String(chunk)), true)) as typeof process.stdout.write;
  });
  afterEach(() => (process.stdout.write = write));

  it('registers the value with the agent (task.setsecret) and masks every occurrence', () => {
    assert.equal(maskSecrets('version s3cr3t-v'), 'version s3cr3t-v', 'nothing registered yet: unchanged');
    registerSecret('s3cr3t-v');
    process.stdout.write = write;
    assert.match(stdout.join(''), /##vso\[task\.setsecret\]s3cr3t-v/);
    assert.equal(maskSecrets('| green | staging | calc-green r1 | calc | s3cr3t-v | deployed |; again s3cr3t-v'), '| green | staging | calc-green r1 | calc | *** | deployed |; again ***');
  });

  it('masks a secret that contains another whole, and the JSON-escaped form', () => {
    registerSecret('tag');
    registerSecret('long-tag-"quoted"');
    process.stdout.write = write;
    assert.equal(maskSecrets('long-tag-"quoted" and tag'), '*** and ***');
    assert.equal(maskSecrets(JSON.stringify({ v: 'long-tag-"quoted"' })), '{"v":"***"}');
  });

  it('ignores an empty value (it would mask everything)', () => {
    registerSecret('');
    assert.equal(maskSecrets('plain text'), 'plain text');
  });
});

describe('secrets: a secret version marks the release', () => {
  it('finds the secret values that would become the displayed version', () => {
    assert.deepEqual(versionKeysIn([['db.password', 'x'], ['version', 'v'], ['image.tag', 't']]), ['version', 'image.tag']);
    assert.deepEqual(versionKeysIn([['image\\.tag', 't'], ['image.tag.x', 't'], ['images.tag', 't'], ['env[0].version', 'v'], ['a[x]', 'y']]), []);
  });

  it('installSlot labels the release bluegreen-version=secret, or explicitly shown (helm merges labels on upgrade)', async () => {
    const runs: string[][] = [];
    const helm = { run: async (args: string[]) => void runs.push(args) } as unknown as Helm;
    const base = {
      location: locate({ name: 'calc', namespace: 'calc', layout: 'shared' }, 'green'),
      chart: { path: '/charts/calc', describe: 'calc' },
      app: 'calc',
      runId: 'p1.build-7',
      valueFiles: [],
      timeout: '60s',
      createNamespace: false,
      description: 'blue/green Deploy',
    };
    await installSlot(helm, { ...base, versionIsSecret: true });
    await installSlot(helm, base);
    const labels = runs.map((args) => args[args.indexOf('--labels') + 1]);
    assert.deepEqual(labels, ['bluegreen-run=p1.build-7,bluegreen-app=calc,bluegreen-version=secret', 'bluegreen-run=p1.build-7,bluegreen-app=calc,bluegreen-version=shown']);
  });
});
