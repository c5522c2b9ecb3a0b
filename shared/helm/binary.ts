// Getting the helm binary: from PATH, from the agent's tool cache, or downloaded from the official site (or a
// mirror with the same layout), verified against the published .sha256sum and cached with tool-lib.
//
// Layout of get.helm.sh (mirrors copy it): helm-v<version>-<os>-<arch>.tar.gz (.zip on Windows) holding
// <os>-<arch>/helm[.exe], the same name + `.sha256sum` ("<hex>  <file>"), and `helm-latest-version` with the
// latest release tag (e.g. "v3.19.0"), which helm's own get-helm script reads to resolve "latest".
//
// Downloads are https only: over http the archive and its .sha256sum come from the same unauthenticated
// server, so the check would prove nothing. An http mirror works only with a checksum the pipeline gives.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as TaskLib from 'azure-pipelines-task-lib/task';
import type * as ToolLib from 'azure-pipelines-tool-lib/tool';
import type { HelmInputs } from '../inputs/types';

// task-lib and tool-lib load on first use: loading task-lib reads the environment into its vault and writes a key
// file, which a task wants and unit tests of the pure parts of this module do not.
const tl = (): typeof TaskLib => require('azure-pipelines-task-lib/task');
const toolLib = (): typeof ToolLib => require('azure-pipelines-tool-lib/tool');

export const DEFAULT_HELM_DOWNLOAD_BASE = 'https://get.helm.sh';

/** A helm installation problem the user can act on; the message says what to do. */
export class HelmInstallError extends Error {
  override name = 'HelmInstallError';
}

const GO_OS: Record<string, string> = { linux: 'linux', darwin: 'darwin', win32: 'windows' };
const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export interface HelmArchive {
  /** e.g. helm-v3.18.0-linux-amd64.tar.gz */
  file: string;
  /** folder inside the archive that holds the binary, e.g. linux-amd64 */
  folder: string;
  binary: string;
  zip: boolean;
}

export function helmArchive(version: string, platform: string = os.platform(), arch: string = os.arch()): HelmArchive {
  const goOs = GO_OS[platform];
  const goArch = GO_ARCH[arch];
  if (!goOs || !goArch) throw new HelmInstallError(`helm is not published for ${platform}/${arch}; install helm on the agent and set the helm version to 'path'.`);
  const zip = goOs === 'windows';
  return {
    file: `helm-v${version}-${goOs}-${goArch}.${zip ? 'zip' : 'tar.gz'}`,
    folder: `${goOs}-${goArch}`,
    binary: zip ? 'helm.exe' : 'helm',
    zip,
  };
}

/** '3.18.0' from '3.18.0' or 'v3.18.0'; anything else is not an exact version. */
export function exactHelmVersion(spec: string): string {
  const m = spec.trim().match(/^v?(\d+)\.(\d+)\.(\d+)$/);
  if (!m) throw new HelmInstallError(`Helm version '${spec}' is not valid: use 'path' (helm on the agent's PATH), 'latest', or an exact version such as 3.18.0.`);
  if (m[1] !== '3' && m[1] !== '4') throw new HelmInstallError(`Helm ${m[1]}.${m[2]}.${m[3]} is not supported: use helm 3 or helm 4.`);
  return `${m[1]}.${m[2]}.${m[3]}`;
}

/** Refuses a download whose integrity nothing vouches for: plain http without a checksum from the pipeline. */
export function assertTrustedSource(base: string, checksum: string | undefined): void {
  if (/^http:/i.test(base) && !checksum) {
    throw new HelmInstallError(
      `helm is downloaded only over https: ${base} is http, so the archive and its checksum would both come from an unverified server. Use an https mirror, give the archive's SHA-256 in helmChecksum, or set the helm version to 'path' to use the helm on the agent; nothing was installed.`,
    );
  }
}

/** Returns the path of the helm binary to run and puts its folder first on PATH. */
export async function installHelm(inputs: HelmInputs): Promise<string> {
  const spec = (inputs.version || 'path').trim();
  if (spec.toLowerCase() === 'path') return helmOnPath();
  const base = (inputs.downloadBase || DEFAULT_HELM_DOWNLOAD_BASE).trim().replace(/\/+$/, '');
  const given = inputs.checksum?.toLowerCase();
  assertTrustedSource(base, given);
  const version = spec.toLowerCase() === 'latest' ? await latestHelmVersion(base) : exactHelmVersion(spec);
  const archive = helmArchive(version);

  const cached = toolLib().findLocalTool('helm', version);
  if (cached && fs.existsSync(path.join(cached, archive.binary))) {
    console.log(`Using helm ${version} from the tool cache (${cached}).`);
    toolLib().prependPath(cached);
    return path.join(cached, archive.binary);
  }

  const url = `${base}/${archive.file}`;
  console.log(`Installing helm ${version} from ${base}.`);
  const downloaded = await download(url, `helm ${version} is not available from ${base}`);
  const leftovers = [downloaded];
  try {
    const expected = given ?? (await publishedChecksum(url, version, base, leftovers));
    const actual = await sha256(downloaded);
    if (actual !== expected) {
      const against = given ? 'the SHA-256 given in helmChecksum' : 'its published SHA-256';
      const cause = given ? 'the download, the mirror or the checksum is wrong' : 'the download or the mirror is corrupt';
      throw new HelmInstallError(
        `The download of helm ${version} from ${url} does not match ${against} (expected ${expected}, got ${actual}); ${cause}, so nothing was installed.`,
      );
    }
    console.log(`Verified SHA-256 ${actual}.`);
    const extracted = archive.zip ? await toolLib().extractZip(downloaded) : await toolLib().extractTar(downloaded);
    leftovers.push(extracted);
    const folder = path.join(extracted, archive.folder);
    if (!fs.existsSync(path.join(folder, archive.binary))) {
      throw new HelmInstallError(`${url} has no ${archive.folder}/${archive.binary}; it is not a helm release archive.`);
    }
    const dir = await toolLib().cacheDir(folder, 'helm', version);
    toolLib().prependPath(dir);
    const binary = path.join(dir, archive.binary);
    if (!archive.zip) fs.chmodSync(binary, 0o755);
    console.log(`Installed helm ${version} to ${dir}.`);
    return binary;
  } finally {
    for (const leftover of leftovers) fs.rmSync(leftover, { recursive: true, force: true });
  }
}

/** The archive's SHA-256 from the site's `<archive>.sha256sum` ("<hex>  <file>"). */
async function publishedChecksum(url: string, version: string, base: string, leftovers: string[]): Promise<string> {
  const sums = await download(`${url}.sha256sum`, `The checksum of helm ${version} is not available from ${base}`);
  leftovers.push(sums);
  const expected = fs.readFileSync(sums, 'utf8').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (!/^[0-9a-f]{64}$/.test(expected)) throw new HelmInstallError(`${url}.sha256sum does not hold a SHA-256 checksum; check the download base.`);
  return expected;
}

function helmOnPath(): string {
  const found = tl().which('helm', false);
  if (!found) {
    throw new HelmInstallError("helm is not on the agent's PATH: install it on the agent, or set the helm version to one to download (e.g. 3.18.0 or latest).");
  }
  console.log(`Using helm from PATH: ${found}`);
  return found;
}

/** Reads `<base>/helm-latest-version` (e.g. "v3.19.0"), as helm's get-helm script does. */
export async function latestHelmVersion(base: string): Promise<string> {
  const file = await download(`${base}/helm-latest-version`, `Cannot resolve helm version 'latest' from ${base}; set an exact version (e.g. 3.18.0) if the mirror does not publish helm-latest-version`);
  try {
    const tag = fs.readFileSync(file, 'utf8').trim();
    const version = exactHelmVersion(tag);
    console.log(`Latest helm release at ${base}: ${version}`);
    return version;
  } catch (err) {
    if (err instanceof HelmInstallError) throw new HelmInstallError(`${base}/helm-latest-version does not name a helm 3 or 4 release: ${err.message}`);
    throw err;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

async function download(url: string, notAvailable: string): Promise<string> {
  try {
    return await toolLib().downloadTool(url);
  } catch (err) {
    const status = (err as { httpStatusCode?: number }).httpStatusCode;
    const reason = err instanceof Error ? err.message : String(err);
    if (status) throw new HelmInstallError(`${notAvailable}: ${url} answered HTTP ${status}.`);
    throw new HelmInstallError(`Could not download ${url}: ${reason}. Check the download base and the agent's network or proxy.`);
  }
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256');
    fs.createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}
