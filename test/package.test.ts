// The .vsix as the marketplace and the agent get it: packaged by the real script (tfx), unpacked, and
// each bundled task run alone with plain node, no node_modules anywhere near it.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import AdmZip from 'adm-zip';
import { readOverrides } from '../scripts/package';

const repoRoot = path.resolve(__dirname, '..', '..');
const TASKS = ['Deploy', 'RouteTraffic', 'OnSuccess', 'OnFailure', 'Rollback'];
/** What a task folder may hold: the agent needs nothing else. */
const TASK_FILES = ['icon.png', 'index.js', 'lib.json', 'task.json'];

interface Contribution {
  id: string;
  type: string;
  targets: string[];
  properties: { name: string };
}

describe('extension package (.vsix)', () => {
  let scratch: string;
  let unpacked: string;
  let vsix: string;

  before(function () {
    this.timeout(180_000);
    for (const task of TASKS) {
      assert.ok(fs.existsSync(path.join(repoRoot, 'build', 'tasks', task, 'index.js')), `build/tasks/${task} is missing: run \`npm run build\` first`);
    }
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vsix-'));
    execFileSync(process.execPath, [path.join(repoRoot, 'dist', 'scripts', 'package.js'), '--out-dir', path.join(scratch, 'out')], {
      cwd: repoRoot,
      stdio: 'pipe',
    });
    const files = fs.readdirSync(path.join(scratch, 'out')).filter((f) => f.endsWith('.vsix'));
    const [file, ...others] = files;
    assert.ok(file && others.length === 0, `one .vsix: ${files.join(', ')}`);
    vsix = path.join(scratch, 'out', file);
    unpacked = path.join(scratch, 'unpacked');
    new AdmZip(vsix).extractAllTo(unpacked, true);
  });
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('is named after the publisher, id and version of the overrides file', () => {
    const overrides = JSON.parse(fs.readFileSync(path.join(repoRoot, 'extension.overrides.json'), 'utf8')) as { publisher: string; version: string };
    assert.equal(path.basename(vsix), `${overrides.publisher}.helm-bluegreen-${overrides.version}.vsix`);
    const manifest = fs.readFileSync(path.join(unpacked, 'extension.vsixmanifest'), 'utf8');
    assert.match(manifest, new RegExp(`Version="${overrides.version}" Publisher="${overrides.publisher}"`));
  });

  it('contributes the four tasks', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(unpacked, 'extension.vsomanifest'), 'utf8')) as { contributions: Contribution[] };
    const tasks = manifest.contributions.filter((c) => c.type === 'ms.vss-distributed-task.task');
    assert.deepEqual(tasks.map((c) => c.properties.name).sort(), TASKS.map((t) => `tasks/${t}`).sort());
    for (const contribution of tasks) assert.deepEqual(contribution.targets, ['ms.vss-distributed-task.tasks']);
  });

  it('holds the extension icon, the overview page and the third-party notices', () => {
    const manifest = fs.readFileSync(path.join(unpacked, 'extension.vsixmanifest'), 'utf8');
    assert.match(manifest, /Type="Microsoft.VisualStudio.Services.Icons.Default" d:Source="File" Path="images\/extension-icon.png"/);
    assert.match(manifest, /Type="Microsoft.VisualStudio.Services.Content.Details" d:Source="File" Path="overview.md"/);
    const icon = fs.readFileSync(path.join(unpacked, 'images', 'extension-icon.png'));
    assert.equal(icon.subarray(1, 4).toString('ascii'), 'PNG');
    assert.match(fs.readFileSync(path.join(unpacked, 'overview.md'), 'utf8'), /BlueGreenDeploy@1/);
    assert.match(fs.readFileSync(path.join(unpacked, 'ThirdPartyNotices.txt'), 'utf8'), /azure-pipelines-task-lib/);
  });

  it('links the repository, issues and license from the one repository URL in package.json, with branding', () => {
    const repository = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { repository: { url: string } }).repository.url;
    const manifest = fs.readFileSync(path.join(unpacked, 'extension.vsixmanifest'), 'utf8');
    const property = (id: string) => new RegExp(`<Property Id="Microsoft\\.VisualStudio\\.Services\\.${id.replace(/\./g, '\\.')}" Value="([^"]+)"/>`).exec(manifest)?.[1];
    assert.equal(property('Links.Repository'), repository);
    assert.equal(property('Links.Support'), `${repository}/issues`);
    assert.equal(property('Links.License'), `${repository}/blob/main/LICENSE`);
    assert.ok(property('Branding.Color'), 'a branding colour');
    assert.match(manifest, /<GalleryFlags>Free<\/GalleryFlags>/);
    assert.match(manifest, /<License>LICENSE<\/License>/);
    assert.match(fs.readFileSync(path.join(unpacked, 'LICENSE'), 'utf8'), /^MIT License/);
    assert.match(fs.readFileSync(path.join(unpacked, 'CHANGELOG.md'), 'utf8'), /^# Changelog/);
    for (const task of TASKS) {
      const taskJson = JSON.parse(fs.readFileSync(path.join(unpacked, 'tasks', task, 'task.json'), 'utf8')) as { helpUrl: string };
      assert.equal(taskJson.helpUrl, `${repository}/blob/main/docs/tasks.md#${task.toLowerCase()}`);
    }
  });

  it('leads the overview with the lifecycle picture, packaged, and points its links at the repository', () => {
    const overview = fs.readFileSync(path.join(unpacked, 'overview.md'), 'utf8');
    const firstImage = /!\[[^\]]*\]\(([^)]+)\)/.exec(overview)?.[1];
    assert.equal(firstImage, 'images/lifecycle.png');
    assert.equal(fs.readFileSync(path.join(unpacked, 'images', 'lifecycle.png')).subarray(1, 4).toString('ascii'), 'PNG');
    const relative = [...overview.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1] ?? '').filter((t) => !/^(https?:|#|images\/)/.test(t));
    assert.deepEqual(relative, [], 'every link leaves the package for the repository');
    assert.match(overview, /\]\(https:\/\/[^)]+\/blob\/main\/docs\/settings\.md\)/);
  });

  for (const task of TASKS) {
    it(`tasks/${task} holds its task.json, bundle, icon and strings, and nothing else`, () => {
      const dir = path.join(unpacked, 'tasks', task);
      assert.deepEqual(fs.readdirSync(dir).sort(), TASK_FILES);
      const icon = fs.readFileSync(path.join(dir, 'icon.png'));
      assert.equal(icon.subarray(1, 4).toString('ascii'), 'PNG');
      assert.equal(icon.readUInt32BE(16), 128, 'icon width');
      const taskJson = JSON.parse(fs.readFileSync(path.join(dir, 'task.json'), 'utf8')) as { execution: Record<string, { target: string }> };
      for (const handler of ['Node20_1', 'Node24']) assert.equal(taskJson.execution[handler]?.target, 'index.js');
      assert.doesNotMatch(fs.readFileSync(path.join(dir, 'index.js'), 'utf8').slice(-200), /sourceMappingURL/);
    });
  }

  it('gives each task its own id and the version of the extension', () => {
    const overrides = JSON.parse(fs.readFileSync(path.join(repoRoot, 'extension.overrides.json'), 'utf8')) as { version: string };
    const [, minor, patch] = overrides.version.split('.').map(Number);
    const tasks = TASKS.map(
      (task) => JSON.parse(fs.readFileSync(path.join(unpacked, 'tasks', task, 'task.json'), 'utf8')) as { id: string; version: object },
    );
    assert.equal(new Set(tasks.map((t) => t.id)).size, TASKS.length);
    for (const t of tasks) assert.deepEqual(t.version, { Major: 1, Minor: minor, Patch: patch });
  });

  it('takes publisher and version from an overrides file, and refuses an unusable one', () => {
    const write = (name: string, content: object): string => {
      const file = path.join(scratch, name);
      fs.writeFileSync(file, JSON.stringify(content));
      return file;
    };
    assert.deepEqual(readOverrides(write('ok.json', { publisher: 'contoso', version: '1.2.3', public: false })), {
      publisher: 'contoso',
      version: '1.2.3',
      public: false,
    });
    assert.throws(() => readOverrides(write('nopub.json', { version: '1.0.0' })), /"publisher"/);
    assert.throws(() => readOverrides(write('major.json', { publisher: 'contoso', version: '2.0.0' })), /"version" must be 1\./);
    assert.throws(() => readOverrides(path.join(scratch, 'missing.json')), /Cannot read the overrides file/);
  });

  for (const task of TASKS) {
    it(`tasks/${task} copied alone runs with plain node and fails readably without inputs`, () => {
      const alone = fs.mkdtempSync(path.join(scratch, `${task}-`));
      for (const file of TASK_FILES) fs.copyFileSync(path.join(unpacked, 'tasks', task, file), path.join(alone, file));
      const result = spawnSync(process.execPath, ['index.js'], {
        cwd: alone,
        env: { PATH: process.env.PATH ?? '' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(result.error, undefined);
      const commands = result.stdout.split('\n').filter((line) => line.startsWith('##vso['));
      const last = commands.at(-1) ?? '';
      assert.match(last, /^##vso\[task\.complete result=Failed;\]Input 'name' \(app name\) is required\.$/, result.stdout + result.stderr);
      const errors = commands.filter((line) => line.startsWith('##vso[task.issue type=error'));
      assert.equal(errors.length, 1);
      assert.doesNotMatch(errors[0] ?? '', /%0A|\sat .+:\d+:\d+/, 'no stack trace in the error');
      assert.equal(result.stderr, '', 'nothing on stderr: no missing module, no crash');
    });
  }
});
