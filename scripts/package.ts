// `npm run package`: builds, then packs the four bundled tasks, the icons and the overview into one .vsix
// with tfx. Publisher and version come from an overrides file, so a team can publish a private copy:
//
//   npm run package                                   # extension.overrides.json
//   npm run package -- --overrides my.overrides.json  # or: EXTENSION_OVERRIDES=my.overrides.json npm run package
//
// The overrides file is a partial vss-extension.json; it must hold `publisher` and `version` and may hold
// any other manifest field (e.g. `"public": true` for the marketplace copy). `--out-dir <dir>` changes the
// output folder (default out/).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildMetaDir, buildTasksDir, repoRoot, TASKS } from './bundle';
import { repositoryUrl } from './taskjson';

export interface PackageOptions {
  overridesFile: string;
  outDir: string;
}

export interface Overrides {
  publisher: string;
  version: string;
  [field: string]: unknown;
}

export function readOverrides(file: string): Overrides {
  let parsed: Partial<Overrides>;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Overrides>;
  } catch (err) {
    throw new Error(`Cannot read the overrides file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof parsed.publisher !== 'string' || !/^[A-Za-z0-9][-A-Za-z0-9]*$/.test(parsed.publisher)) {
    throw new Error(`${file}: "publisher" must be your marketplace publisher id (letters, digits and '-').`);
  }
  // A task's major version is what YAML pins (BlueGreenDeploy@1), so releases of this extension move minor/patch.
  if (typeof parsed.version !== 'string' || !/^1\.\d+\.\d+$/.test(parsed.version)) {
    throw new Error(`${file}: "version" must be 1.<minor>.<patch>; the tasks' major version 1 is what pipelines reference.`);
  }
  return parsed as Overrides;
}

/**
 * Agents cache a task by its version, so every published extension version carries the same task version:
 * the tasks' minor and patch follow the extension's.
 */
function stampTaskVersions(version: string): void {
  const [, minor, patch] = version.split('.').map(Number);
  for (const task of TASKS) {
    const file = path.join(buildTasksDir, task, 'task.json');
    const taskJson = JSON.parse(fs.readFileSync(file, 'utf8')) as { version: object };
    taskJson.version = { Major: 1, Minor: minor, Patch: patch };
    fs.writeFileSync(file, `${JSON.stringify(taskJson, null, 2)}\n`);
  }
}

/** The licences of every package bundled into a task (esbuild's metafiles list the inputs). */
function writeThirdPartyNotices(file: string): void {
  const packages = new Map<string, string>();
  for (const task of TASKS) {
    const meta = JSON.parse(fs.readFileSync(path.join(buildMetaDir, `${task}.json`), 'utf8')) as {
      inputs: Record<string, unknown>;
    };
    for (const input of Object.keys(meta.inputs)) {
      const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.replace(/\\/g, '/'));
      const dir = match?.[1];
      if (dir) packages.set(dir, path.join(repoRoot, dir));
    }
  }
  const sections: string[] = [];
  for (const dir of [...new Set(packages.values())].sort()) {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license?: string;
    };
    const licenseFile = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const text = licenseFile ? fs.readFileSync(path.join(dir, licenseFile), 'utf8').trim() : `License: ${pkg.license ?? 'see package'}`;
    sections.push(`${pkg.name} ${pkg.version} (${pkg.license ?? 'unknown'})\n\n${text}`);
  }
  const header = 'Third-party software bundled into the tasks of this extension, with its licence terms.';
  const separator = `\n\n${'-'.repeat(78)}\n\n`;
  fs.writeFileSync(file, `${header}${separator}${sections.join(separator)}\n`);
}

/** Where the .vsix is assembled from: the manifest's files, the overview with its links made absolute. */
const stageDir = path.join(repoRoot, 'build', 'package');

/**
 * The marketplace shows the overview outside the repository, where a relative link (docs/settings.md)
 * leads nowhere: in the packaged copy, links into the repository point at it on the web (images stay in
 * the package). The repository's address comes from package.json, the one place it is written, and goes
 * into the manifest's repository and links too.
 */
export function marketplaceOverview(markdown: string, repository: string): string {
  return markdown.replace(/\]\((?!https?:|#|images\/)([^)\s]+)\)/g, (_, target: string) => `](${repository}/blob/main/${target.replace(/^\.\//, '')})`);
}

export function manifestLinks(repository: string): Record<string, unknown> {
  return {
    repository: { type: 'git', uri: repository },
    links: {
      getstarted: { uri: `${repository}#readme` },
      learn: { uri: `${repository}/blob/main/docs/tasks.md` },
      support: { uri: `${repository}/issues` },
      repository: { uri: repository },
      license: { uri: `${repository}/blob/main/LICENSE` },
    },
  };
}

function stagePackage(files: string[]): string {
  fs.rmSync(stageDir, { recursive: true, force: true });
  fs.mkdirSync(stageDir, { recursive: true });
  const repository = repositoryUrl();
  const manifest = { ...JSON.parse(fs.readFileSync(path.join(repoRoot, 'vss-extension.json'), 'utf8')), ...manifestLinks(repository) };
  fs.writeFileSync(path.join(stageDir, 'vss-extension.json'), JSON.stringify(manifest, null, 2));
  fs.writeFileSync(path.join(stageDir, 'overview.md'), marketplaceOverview(fs.readFileSync(path.join(repoRoot, 'overview.md'), 'utf8'), repository));
  for (const file of files) fs.cpSync(path.join(repoRoot, file), path.join(stageDir, file), { recursive: true });
  return stageDir;
}

export function packageExtension(options: PackageOptions): string {
  const overrides = readOverrides(options.overridesFile);
  for (const task of TASKS) {
    if (!fs.existsSync(path.join(buildTasksDir, task, 'index.js'))) {
      throw new Error(`build/tasks/${task}/index.js is missing: run \`npm run build\` first.`);
    }
  }
  stampTaskVersions(overrides.version);
  writeThirdPartyNotices(path.join(repoRoot, 'build', 'ThirdPartyNotices.txt'));
  fs.mkdirSync(options.outDir, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'vss-extension.json'), 'utf8')) as { id: string; files: Array<{ path: string }> };
  const root = stagePackage(manifest.files.map((f) => f.path));
  const vsix = path.join(options.outDir, `${overrides.publisher}.${(overrides.id as string | undefined) ?? manifest.id}-${overrides.version}.vsix`);
  fs.rmSync(vsix, { force: true });
  const tfx = path.join(repoRoot, 'node_modules', '.bin', process.platform === 'win32' ? 'tfx.cmd' : 'tfx');
  execFileSync(
    tfx,
    [
      'extension', 'create',
      '--root', root,
      '--manifest-globs', 'vss-extension.json',
      '--overrides-file', path.resolve(options.overridesFile),
      '--output-path', vsix,
      '--no-prompt',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (!fs.existsSync(vsix)) throw new Error(`tfx did not write ${vsix}.`);
  return vsix;
}

function optionsFromCommandLine(argv: string[]): PackageOptions {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    overridesFile: path.resolve(flag('--overrides') ?? process.env.EXTENSION_OVERRIDES ?? path.join(repoRoot, 'extension.overrides.json')),
    outDir: path.resolve(flag('--out-dir') ?? path.join(repoRoot, 'out')),
  };
}

if (require.main === module) {
  try {
    const vsix = packageExtension(optionsFromCommandLine(process.argv.slice(2)));
    console.log(`packaged ${path.relative(process.cwd(), vsix)} (${(fs.statSync(vsix).size / 1024).toFixed(0)} KiB)`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
