import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTask, startTask } from './agent';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const taskLib = path.join(repoRoot, 'node_modules', 'azure-pipelines-task-lib', 'task.js');

/** Whether a process is gone (or a zombie nobody reaped yet) within the time limit. */
async function diesWithin(pid: number, ms: number): Promise<boolean> {
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    const stat = `/proc/${pid}/stat`;
    return !(fs.existsSync(stat) && / Z /.test(fs.readFileSync(stat, 'utf8')));
  };
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    if (!alive()) return true;
  }
  return !alive();
}

/** A task folder whose index.js is the given script (it may require task-lib by absolute path). */
function syntheticTask(dir: string, script: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.js'), script);
  fs.writeFileSync(
    path.join(dir, 'task.json'),
    JSON.stringify({ inputs: [
      { name: 'greeting', type: 'string', defaultValue: 'hello' },
      { name: 'valuesFile', type: 'filePath', defaultValue: '' },
    ] }),
  );
  return dir;
}

describe('agent emulator', () => {
  let scratch: string;
  before(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-test-'));
  });
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('passes inputs, endpoints and variables the way task-lib reads them', async () => {
    const task = syntheticTask(
      path.join(scratch, 'env'),
      `const tl = require(${JSON.stringify(taskLib)});
       const report = {
         greeting: tl.getInput('greeting'), tag: tl.getInput('image.tag'), valuesFile: tl.getInput('valuesFile'),
         url: tl.getEndpointUrl('ep-1', false), scheme: tl.getEndpointAuthorizationScheme('ep-1', false),
         token: tl.getEndpointAuthorizationParameter('ep-1', 'apitoken', false), auth: tl.getEndpointAuthorization('ep-1', false),
         cluster: tl.getEndpointDataParameter('ep-1', 'clusterName', false), password: tl.getVariable('db.password'),
         buildId: tl.getVariable('Build.BuildId'), temp: tl.getVariable('Agent.TempDirectory'), cwd: process.cwd(),
         sources: tl.getVariable('System.DefaultWorkingDirectory'), home: process.env.HOME,
       };
       require('fs').writeFileSync(require('path').join(tl.getVariable('Agent.TempDirectory'), 'report.json'), JSON.stringify(report));
       tl.setResult(tl.TaskResult.Succeeded, 'ok');`,
    );
    const run = await runTask(task, {
      inputs: { 'image.tag': '1.4.$(Build.BuildId)' },
      endpoints: { 'ep-1': { url: 'https://10.0.0.1:6443', scheme: 'Token', parameters: { apitoken: 't0ken' }, data: { clusterName: 'aks-1' } } },
      variables: { 'Build.BuildId': '379' },
      secrets: { 'db.password': 'p@ssw0rd' },
      keepDirectories: true,
    });
    try {
      assert.equal(run.outcome, 'Succeeded', run.log);
      const report = JSON.parse(fs.readFileSync(path.join(run.directories.temp, 'report.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(report, {
        greeting: 'hello',
        tag: '1.4.379',
        valuesFile: run.directories.sources,
        url: 'https://10.0.0.1:6443',
        scheme: 'Token',
        token: 't0ken',
        auth: { parameters: { apitoken: 't0ken' }, scheme: 'Token' },
        cluster: 'aks-1',
        password: 'p@ssw0rd',
        buildId: '379',
        temp: run.directories.temp,
        cwd: run.directories.sources,
        sources: run.directories.sources,
        home: run.directories.home,
      });
    } finally {
      fs.rmSync(run.directories.root, { recursive: true, force: true });
    }
  });

  it('parses results, outputs, issues, summaries and masks secrets in the log', async () => {
    const summary = path.join(scratch, 'summary.md');
    fs.writeFileSync(summary, '# Deployed green\n');
    const task = syntheticTask(
      path.join(scratch, 'commands'),
      `const out = (line) => process.stdout.write(line + '\\n');
       out('connecting with p@ssw0rd and t0ken');
       out('##vso[task.setsecret]kube-s3cret');
       out('kubeconfig token: kube-s3cret');
       out('##vso[task.setvariable variable=slot;isOutput=true;issecret=false;]green');
       out('##vso[task.setvariable variable=internal;isOutput=false;]x;y');
       out('##vso[task.setvariable variable=token;isOutput=true;issecret=true;]out-s3cret');
       out('echo out-s3cret');
       out('##vso[task.issue type=warning;]staging slot had a failed release%0Areplaced it');
       out('##vso[task.debug]not shown without System.Debug');
       out('##vso[task.uploadsummary]${summary.replace(/\\/g, '\\\\')}');
       process.stderr.write('warning on stderr with kube-s3cret\\n');
       out('##vso[task.complete result=SucceededWithIssues;]done with kube-s3cret');`,
    );
    const run = await runTask(task, {
      inputs: {},
      secrets: { dbPassword: 'p@ssw0rd' },
      endpoints: { k8s: { url: 'https://k8s', scheme: 'Token', parameters: { apitoken: 't0ken' } } },
    });
    assert.equal(run.result, 'SucceededWithIssues');
    assert.equal(run.outcome, 'SucceededWithIssues');
    assert.equal(run.message, 'done with kube-s3cret');
    assert.equal(run.exitCode, 0);
    assert.deepEqual(run.outputs, { slot: 'green', token: 'out-s3cret' });
    assert.deepEqual(run.variables, { slot: 'green', internal: 'x;y', token: 'out-s3cret' });
    assert.deepEqual(run.issues, [{ type: 'warning', message: 'staging slot had a failed release\nreplaced it' }]);
    assert.deepEqual(run.summaries, ['# Deployed green\n']);
    assert.deepEqual(run.secretsRegistered, ['kube-s3cret']);
    for (const secret of ['p@ssw0rd', 't0ken', 'kube-s3cret', 'out-s3cret']) assert.ok(!run.log.includes(secret), `${secret} is masked:\n${run.log}`);
    assert.match(run.log, /connecting with \*\*\* and \*\*\*/);
    assert.match(run.log, /kubeconfig token: \*\*\*/);
    assert.match(run.log, /##\[warning\]staging slot had a failed release/);
    assert.match(run.log, /warning on stderr with \*\*\*/);
    assert.doesNotMatch(run.log, /##vso\[|not shown/);
    assert.ok(run.rawStdout.includes('kube-s3cret'), 'raw output is kept unmasked for debugging');
  });

  it('fails a step whose process exits non-zero even if it reported success', async () => {
    const task = syntheticTask(path.join(scratch, 'exit'), `console.log('##vso[task.complete result=Succeeded;]fine'); process.exit(3);`);
    const run = await runTask(task, { inputs: {} });
    assert.equal(run.result, 'Succeeded');
    assert.equal(run.outcome, 'Failed');
    assert.equal(run.exitCode, 3);
    assert.match(run.log, /Exit code 3/);
  });

  it('kills the task with everything it started, and on timeout', async () => {
    const task = syntheticTask(
      path.join(scratch, 'hang'),
      `const child = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
       console.log('grandchild ' + child.pid);
       setInterval(() => {}, 1000);`,
    );
    let grandchild = 0;
    const running = startTask(task, { inputs: {} });
    await new Promise<void>((resolve) => {
      running.child.stdout?.on('data', (chunk: Buffer) => {
        const match = /grandchild (\d+)/.exec(chunk.toString());
        if (match) {
          grandchild = Number(match[1]);
          resolve();
        }
      });
    });
    running.kill();
    const killed = await running.done;
    assert.equal(killed.outcome, 'Failed');
    assert.equal(killed.signal, 'SIGKILL');
    assert.ok(await diesWithin(grandchild, 5000), 'the grandchild died with the process group');

    const timedOut = await runTask(task, { inputs: {}, timeoutMs: 300 });
    assert.equal(timedOut.timedOut, true);
    assert.equal(timedOut.outcome, 'Failed');
    assert.match(timedOut.log, /timed out/);
  });

  describe('with the bundled Deploy task', () => {
    const deployTask = path.join(repoRoot, 'build', 'tasks', 'Deploy');
    before(() => {
      assert.ok(fs.existsSync(path.join(deployTask, 'index.js')), 'build/tasks/Deploy is missing: run `npm run build` first');
    });

    it('fails with a readable message when inputs are missing', async () => {
      const run = await runTask(deployTask, { inputs: {} });
      assert.equal(run.outcome, 'Failed', run.log);
      assert.equal(run.result, 'Failed');
      assert.match(run.message, /Input 'name' \(app name\) is required/);
      assert.doesNotMatch(run.message, /\n|\bat .*\.js:\d+/);
      assert.deepEqual(run.issues.map((i) => i.type), ['error']);
    });

    it('fails naming the input when the app name is invalid', async () => {
      const run = await runTask(deployTask, {
        inputs: { kubernetesServiceEndpoint: 'k8s', name: 'My_App', namespace: 'calc', host: 'calc.contoso.com', chart: 'oci://r.io/c' },
        endpoints: { k8s: { url: 'https://127.0.0.1:1', scheme: 'Token', parameters: { apitoken: 'sa-token-value', serviceAccountCertificate: 'ca-certificate-pem' } } },
      });
      assert.equal(run.outcome, 'Failed', run.log);
      assert.match(run.message, /^Input 'name' is 'My_App'/);
      assert.match(run.log, /##\[error\]Input 'name' is 'My_App'/);
    });

    it('registers secret values before anything could log them, even in debug mode', async () => {
      const run = await runTask(deployTask, {
        inputs: {
          kubernetesServiceEndpoint: 'k8s', name: 'calc', namespace: 'calc', host: 'calc.contoso.com', chart: 'oci://r.io/c',
          secretValues: 'db.password=hunter2-secret\napi.key=$(apiKey)', timeout: 'soon',
        },
        variables: { 'System.Debug': 'true' },
        secrets: { apiKey: 'k3y-from-variable' },
      });
      assert.equal(run.outcome, 'Failed', run.log);
      assert.match(run.message, /Input 'timeout' is 'soon'/);
      assert.deepEqual(run.secretsRegistered, ['hunter2-secret', 'k3y-from-variable']);
      const leaks = run.rawStdout.split('\n').filter((line) => line.includes('hunter2-secret') && !line.startsWith('##vso[task.setsecret]'));
      assert.deepEqual(leaks, [], 'the secret value appears only in its setsecret command');
      assert.ok(!run.log.includes('hunter2-secret') && !run.log.includes('k3y-from-variable'));
      assert.match(run.log, /##\[debug\]/, 'debug lines are in the log');
    });
  });
});
