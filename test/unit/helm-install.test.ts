// installHelm against a local https mirror serving a real helm release archive (built at test time from the
// cached helm 3.18.0 binary) and its .sha256sum: install, cache hit, checksum mismatch, missing version,
// latest, PATH; and the same files over plain http, used only with a checksum the pipeline gives.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { Helm, installHelm } from '../../shared/helm/cli';
import { exactHelmVersion, helmArchive } from '../../shared/helm/binary';
import { helmBinary } from '../../scripts/fetch-helm';
import { TEST_CA_CERT, TLS_DIR } from '../cluster/azure/server';
import { restoreEnv } from './connection-helpers';

const runsHere = os.platform() === 'linux' && os.arch() === 'x64';

/** tar.gz of `<folder>/helm` (gzip level 1: the binary is 60 MB and the test only needs a real archive). */
function buildArchive(binary: string, folder: string, out: string): Promise<void> {
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-helm-stage-'));
  fs.mkdirSync(path.join(stage, folder));
  fs.copyFileSync(binary, path.join(stage, folder, 'helm'));
  fs.chmodSync(path.join(stage, folder, 'helm'), 0o755);
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-cf', '-', '-C', stage, folder], { stdio: ['ignore', 'pipe', 'inherit'] });
    const file = fs.createWriteStream(out);
    tar.stdout.pipe(zlib.createGzip({ level: 1 })).pipe(file);
    tar.on('error', reject);
    file.on('finish', () => {
      fs.rmSync(stage, { recursive: true, force: true });
      resolve();
    });
  });
}

describe('installHelm from a mirror', function () {
  this.timeout(120_000);
  const saved = { ...process.env };
  let temp: string;
  let server: https.Server;
  let plain: http.Server;
  let base: string;
  let httpBase: string;
  let digest: string;
  const hits = new Map<string, number>();
  const files = new Map<string, Buffer>();
  const archive = helmArchive('3.18.0');

  before(async function () {
    if (!runsHere) this.skip();
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-helm-install-'));
    // If this suite is the first to load task-lib, its vault key file goes here rather than into the repo.
    process.env.AGENT_TEMPDIRECTORY = temp;
    // The agent's own CA setting (Agent.CAInfo), which tool-lib reads when it loads: drop a copy another
    // suite may have loaded, so that the lazy require in helm-install loads it with the test CA.
    process.env.AGENT_CAINFO = TEST_CA_CERT;
    delete require.cache[require.resolve('azure-pipelines-tool-lib/tool')];
    require('azure-pipelines-task-lib/task');
    const archivePath = path.join(temp, archive.file);
    await buildArchive(helmBinary('v3'), archive.folder, archivePath);
    const bytes = fs.readFileSync(archivePath);
    digest = crypto.createHash('sha256').update(bytes).digest('hex');
    files.set(`/good/${archive.file}`, bytes);
    files.set(`/good/${archive.file}.sha256sum`, Buffer.from(`${digest}  ${archive.file}\n`));
    files.set('/good/helm-latest-version', Buffer.from('v3.18.0'));
    files.set(`/corrupt/${archive.file}`, bytes);
    files.set(`/corrupt/${archive.file}.sha256sum`, Buffer.from(`${'0'.repeat(64)}  ${archive.file}\n`));
    const serve = (scheme: string) => (req: http.IncomingMessage, res: http.ServerResponse) => {
      const url = req.url ?? '';
      hits.set(`${scheme}${url}`, (hits.get(`${scheme}${url}`) ?? 0) + 1);
      const body = files.get(url);
      if (!body) return void res.writeHead(404).end('Not Found');
      res.writeHead(200, { 'content-length': body.length }).end(body);
    };
    const tls = { key: fs.readFileSync(path.join(TLS_DIR, 'server.key')), cert: fs.readFileSync(path.join(TLS_DIR, 'server.crt')) };
    server = https.createServer(tls, serve(''));
    plain = http.createServer(serve('http:'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    httpBase = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
  });

  after(async () => {
    restoreEnv(saved);
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (plain) await new Promise<void>((resolve) => plain.close(() => resolve()));
    if (temp) fs.rmSync(temp, { recursive: true, force: true });
  });

  /** A fresh agent: its own tool cache and temp directory. */
  function freshAgent(): { tools: string; agentTemp: string } {
    const tools = fs.mkdtempSync(path.join(temp, 'tools-'));
    const agentTemp = fs.mkdtempSync(path.join(temp, 'agent-temp-'));
    restoreEnv({ ...saved, AGENT_TOOLSDIRECTORY: tools, AGENT_TEMPDIRECTORY: agentTemp, AGENT_VERSION: '4.260.0', AGENT_CAINFO: TEST_CA_CERT });
    return { tools, agentTemp };
  }
  const requests = (file: string) => hits.get(`/good/${file}`) ?? 0;
  const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => f !== '.taskkey');

  it('downloads, verifies and caches the version asked for; the installed helm runs', async () => {
    const { tools, agentTemp } = freshAgent();
    const before = requests(archive.file);
    const binary = await installHelm({ version: '3.18.0', downloadBase: `${base}/good/` });
    assert.equal(binary, path.join(tools, 'helm', '3.18.0', 'x64', 'helm'));
    assert.equal(requests(archive.file), before + 1);
    assert.equal(requests(`${archive.file}.sha256sum`), 1);
    assert.ok(process.env.PATH?.startsWith(path.dirname(binary)), 'helm folder prepended to PATH');
    assert.deepEqual(leftovers(agentTemp), [], 'downloads and extraction removed');
    const helm = new Helm(binary, { kubeconfig: path.join(temp, 'none'), workDir: fs.mkdtempSync(path.join(temp, 'work-')) });
    assert.equal(await helm.version(), '3.18.0');

    const again = await installHelm({ version: 'v3.18.0', downloadBase: `${base}/good` });
    assert.equal(again, binary);
    assert.equal(requests(archive.file), before + 1, 'cache hit: no second download');
  });

  it('a checksum mismatch fails clearly and caches nothing', async () => {
    const { tools, agentTemp } = freshAgent();
    await assert.rejects(installHelm({ version: '3.18.0', downloadBase: `${base}/corrupt` }), (err: Error) => {
      assert.match(err.message, new RegExp(`^The download of helm 3\\.18\\.0 from ${base}/corrupt/${archive.file.replace(/\./g, '\\.')} does not match its published SHA-256 \\(expected 0{64}, got [0-9a-f]{64}\\); the download or the mirror is corrupt, so nothing was installed\\.$`));
      return true;
    });
    assert.deepEqual(fs.readdirSync(tools), []);
    assert.deepEqual(leftovers(agentTemp), [], 'the rejected download is deleted');
  });

  it('a version the mirror does not have is a clear error', async () => {
    freshAgent();
    await assert.rejects(installHelm({ version: '3.99.0', downloadBase: `${base}/good` }), {
      message: `helm 3.99.0 is not available from ${base}/good: ${base}/good/${helmArchive('3.99.0').file} answered HTTP 404.`,
    });
  });

  it("'latest' reads helm-latest-version; a mirror without it says to pin a version", async () => {
    const { tools } = freshAgent();
    const binary = await installHelm({ version: 'latest', downloadBase: `${base}/good` });
    assert.equal(binary, path.join(tools, 'helm', '3.18.0', 'x64', 'helm'));
    await assert.rejects(installHelm({ version: 'latest', downloadBase: `${base}/corrupt` }), {
      message: `Cannot resolve helm version 'latest' from ${base}/corrupt; set an exact version (e.g. 3.18.0) if the mirror does not publish helm-latest-version: ${base}/corrupt/helm-latest-version answered HTTP 404.`,
    });
  });

  it('refuses an http download site without a checksum from the pipeline, downloading nothing', async () => {
    const { tools } = freshAgent();
    for (const version of ['3.18.0', 'latest']) {
      await assert.rejects(installHelm({ version, downloadBase: `${httpBase}/good` }), {
        message: `helm is downloaded only over https: ${httpBase}/good is http, so the archive and its checksum would both come from an unverified server. Use an https mirror, give the archive's SHA-256 in helmChecksum, or set the helm version to 'path' to use the helm on the agent; nothing was installed.`,
      });
    }
    assert.deepEqual([...hits.keys()].filter((url) => url.startsWith('http:')), [], 'no request to the http site');
    assert.deepEqual(fs.readdirSync(tools), []);
  });

  it('an http site with the checksum given installs after checking against it (not the site\'s .sha256sum)', async () => {
    const { tools } = freshAgent();
    const binary = await installHelm({ version: '3.18.0', downloadBase: `${httpBase}/good`, checksum: digest.toUpperCase() });
    assert.equal(binary, path.join(tools, 'helm', '3.18.0', 'x64', 'helm'));
    assert.equal(hits.get(`http:/good/${archive.file}`), 1);
    assert.equal(hits.get(`http:/good/${archive.file}.sha256sum`), undefined, 'the given checksum is the one trusted');
  });

  it('a download that does not match the given checksum fails clearly and caches nothing', async () => {
    const { tools } = freshAgent();
    await assert.rejects(installHelm({ version: '3.18.0', downloadBase: `${httpBase}/good`, checksum: 'a'.repeat(64) }), (err: Error) => {
      assert.match(err.message, /^The download of helm 3\.18\.0 from http:\/\/127\.0\.0\.1:\d+\/good\/\S+ does not match the SHA-256 given in helmChecksum \(expected a{64}, got [0-9a-f]{64}\); the download, the mirror or the checksum is wrong, so nothing was installed\.$/);
      return true;
    });
    assert.deepEqual(fs.readdirSync(tools), []);
  });

  it("'path' uses helm from PATH, and says what to do when there is none", async () => {
    freshAgent();
    const bin = fs.mkdtempSync(path.join(temp, 'bin-'));
    fs.symlinkSync(helmBinary('v4'), path.join(bin, 'helm'));
    process.env.PATH = `${bin}${path.delimiter}${saved.PATH ?? ''}`;
    assert.equal(await installHelm({ version: 'path', downloadBase: '' }), path.join(bin, 'helm'));
    process.env.PATH = fs.mkdtempSync(path.join(temp, 'empty-'));
    await assert.rejects(installHelm({ version: 'path', downloadBase: '' }), /helm is not on the agent's PATH: install it on the agent, or set the helm version/);
  });
});

describe('helm versions and archive names', () => {
  it('accepts exact helm 3/4 versions only', () => {
    assert.equal(exactHelmVersion('v4.1.4'), '4.1.4');
    assert.throws(() => exactHelmVersion('3.18'), /Helm version '3\.18' is not valid: use 'path'.*'latest', or an exact version such as 3\.18\.0\./);
    assert.throws(() => exactHelmVersion('2.17.0'), /Helm 2\.17\.0 is not supported: use helm 3 or helm 4\./);
  });

  it('names the archive per platform and architecture as get.helm.sh does', () => {
    assert.deepEqual(helmArchive('3.18.0', 'linux', 'x64'), { file: 'helm-v3.18.0-linux-amd64.tar.gz', folder: 'linux-amd64', binary: 'helm', zip: false });
    assert.equal(helmArchive('4.1.4', 'darwin', 'arm64').file, 'helm-v4.1.4-darwin-arm64.tar.gz');
    assert.deepEqual(helmArchive('4.1.4', 'win32', 'x64'), { file: 'helm-v4.1.4-windows-amd64.zip', folder: 'windows-amd64', binary: 'helm.exe', zip: true });
    assert.throws(() => helmArchive('3.18.0', 'aix', 'ppc64'), /helm is not published for aix\/ppc64/);
  });
});
