// The Helm runner with the real helm 3.18.0 and 4.1.4 binaries: argument arrays (no shell), the task's
// kubeconfig and isolated caches, helm's own reason on failure, JSON output, and a repository added by an
// earlier pipeline step still being visible.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { Helm, HelmError, helmReason } from '../../shared/helm/cli';
import { HELM_VERSIONS, helmBinary, type HelmMajor } from '../../scripts/fetch-helm';
import { closedPort, restoreEnv } from './connection-helpers';
import { captureStdout } from './capture';

const INDEX = YAML.stringify({
  apiVersion: 'v1',
  entries: { web: [{ apiVersion: 'v2', name: 'web', version: '1.2.3', appVersion: '2.0.0', description: 'demo chart', urls: ['web-1.2.3.tgz'], created: '2025-01-01T00:00:00Z', digest: 'x' }] },
  generated: '2025-01-01T00:00:00Z',
});


for (const major of Object.keys(HELM_VERSIONS) as HelmMajor[]) {
  describe(`Helm runner, helm ${HELM_VERSIONS[major]}`, function () {
    this.timeout(60_000);
    const saved = { ...process.env };
    let temp: string;
    let helm: Helm;
    let workDir: string;
    let server: http.Server;
    let deadPort: number;

    before(async () => {
      temp = fs.mkdtempSync(path.join(os.tmpdir(), `bg-helm-${major}-`));
      // If this suite is the first to load task-lib, its vault key file goes here rather than into the repo.
      process.env.AGENT_TEMPDIRECTORY = temp;
      require('azure-pipelines-task-lib/task');
      workDir = fs.mkdtempSync(path.join(temp, 'work-'));
      deadPort = await closedPort();
      const kubeconfig = path.join(temp, 'kubeconfig');
      fs.writeFileSync(kubeconfig, YAML.stringify({
        apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
        clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${deadPort}` } }],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
      }), { mode: 0o600 });
      server = http.createServer((req, res) => (req.url === '/charts/index.yaml' ? res.writeHead(200).end(INDEX) : res.writeHead(404).end()));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      // The job's default helm homes, as an earlier step would have used them.
      process.env.HELM_CONFIG_HOME = path.join(temp, 'config');
      process.env.HELM_CACHE_HOME = path.join(temp, 'default-cache');
      process.env.HELM_DATA_HOME = path.join(temp, 'data');
      process.env.HELM_KUBECONTEXT = 'somewhere-else';
      helm = new Helm(helmBinary(major), { kubeconfig, workDir });
    });

    after(async () => {
      restoreEnv(saved);
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(temp, { recursive: true, force: true });
    });

    it('reports its version and major', async () => {
      assert.equal(await helm.version(), HELM_VERSIONS[major]);
      assert.equal(await helm.major(), Number(HELM_VERSIONS[major][0]));
    });

    it('runs with isolated caches, the default config home, and no HELM_KUBE* overrides', async () => {
      const { stdout } = await helm.run(['env'], { silent: true });
      const env = Object.fromEntries(stdout.trim().split('\n').map((l) => l.match(/^(\w+)="(.*)"$/)?.slice(1, 3) ?? []));
      assert.equal(env.HELM_CACHE_HOME, path.join(workDir, 'helm-cache'));
      assert.equal(env.HELM_REPOSITORY_CACHE, path.join(temp, 'default-cache', 'repository'));
      assert.equal(env.HELM_CONFIG_HOME, path.join(temp, 'config'));
      assert.equal(env.HELM_KUBECONTEXT, '');
      assert.ok(fs.existsSync(path.join(workDir, 'kube-cache')));
    });

    it('passes arguments as an array (no shell) and logs the command line', async () => {
      const chart = path.join(temp, 'chart');
      fs.mkdirSync(path.join(chart, 'templates'), { recursive: true });
      fs.writeFileSync(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.1.0\n');
      fs.writeFileSync(path.join(chart, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: demo}\ndata: {msg: {{ .Values.msg | quote }}}\n');
      const hostile = '$(touch pwned); echo `id` > x';
      const { value, out } = await captureStdout(() => helm.run(['template', 'rel', chart, '--set-string', `msg=${hostile}`]));
      assert.match(value.stdout, /msg: "\$\(touch pwned\); echo `id` > x"/);
      assert.ok(out.includes(`[command]${helmBinary(major)} template rel ${chart} --set-string msg=${hostile}`), out);
      assert.ok(out.includes('kind: ConfigMap'), 'helm output is logged');
      assert.ok(!fs.existsSync('pwned') && !fs.existsSync(path.join(chart, 'pwned')));
    });

    it("fails with helm's own reason, naming the task's cluster", async () => {
      await assert.rejects(helm.run(['list', '-n', 'web']), (err: unknown) => {
        assert.ok(err instanceof HelmError);
        assert.match(err.message, new RegExp(`^helm list failed: [Kk]ubernetes cluster unreachable: Get "http://127\\.0\\.0\\.1:${deadPort}/version": dial tcp 127\\.0\\.0\\.1:${deadPort}: connect: connection refused$`));
        assert.equal(err.result.code, 1);
        assert.deepEqual(err.args, ['list', '-n', 'web']);
        return true;
      });
      const tolerated = await helm.run(['list', '-n', 'web'], { silent: true, allowFailure: true });
      assert.equal(tolerated.code, 1);
    });

    it('parses JSON output; a repository added by an earlier step is visible', async () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/charts`;
      // An earlier step of the job, with helm's default homes (async: the index is served from this process).
      await promisify(execFile)(helmBinary(major), ['repo', 'add', 'demo', url], { env: process.env, timeout: 20_000 });
      const found = await helm.json<Array<{ name: string; version: string; app_version: string }>>(['search', 'repo', 'demo/', '-o', 'json']);
      assert.deepEqual(found.map((c) => [c.name, c.version, c.app_version]), [['demo/web', '1.2.3', '2.0.0']]);
      await assert.rejects(helm.json(['search', 'repo', 'demo/']), /^HelmError: helm search printed output that is not JSON: NAME/);
    });
  });
}

describe('helmReason', () => {
  it("joins helm's Error: lines, else the last stderr line", () => {
    assert.equal(helmReason('WARNING: group-readable\nError: UPGRADE FAILED: timed out\n'), 'UPGRADE FAILED: timed out');
    assert.equal(helmReason('level=WARN msg=x\nsomething broke\n'), 'something broke');
    assert.equal(helmReason(''), '');
  });
});
