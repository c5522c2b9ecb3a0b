// Agent emulator: runs a task folder the way the Azure Pipelines agent runs a Node handler, and reads back
// what the agent would: the result, output variables, issues, summaries, registered secrets and the log.
//
// Modelled on the agent (Handler.cs / NodeHandler.cs) and task-lib (task.js, internal.js, taskcommand.js):
// - `node <taskDir>/index.js`, working directory the sources directory, a new process group;
// - inputs as INPUT_<NAME> (upper case, `.` and ` ` -> `_`), task.json defaults for missing inputs, `$(var)`
//   macros expanded, filePath inputs made absolute (an empty one becomes the sources directory);
// - endpoints as ENDPOINT_URL_<id>, ENDPOINT_AUTH_<id> (JSON {parameters, scheme}), ENDPOINT_AUTH_SCHEME_<id>,
//   ENDPOINT_AUTH_PARAMETER_<id>_<KEY>, ENDPOINT_DATA_<id>_<KEY>;
// - variables as env vars (VSTS_PUBLIC_VARIABLES lists them), secret variables as SECRET_<NAME> plus
//   VSTS_SECRET_VARIABLES; Agent.*/System.*/Build.* variables with fresh per-run directories;
// - `##vso[...]` commands parsed line by line (task-lib's own parser); the log masks every secret known
//   at the time a line is read (secret variables, endpoint auth parameters, task.setsecret, issecret
//   variables), shows issues as ##[error]/##[warning] and debug lines only with System.Debug.
// Not modelled: the SystemVssConnection endpoint and REST calls back to the server, secure files,
// task.prependpath/addattachment/uploadfile side effects, the secret masker's encoded variants other than
// JSON escaping, container jobs, and the agent's handling of output beyond the task's exit.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandFromString } from 'azure-pipelines-task-lib/taskcommand';

export type TaskResult = 'Succeeded' | 'SucceededWithIssues' | 'Failed';

export interface AgentEndpoint {
  url: string;
  scheme: string;
  parameters: Record<string, string>;
  data?: Record<string, string>;
}

export interface RunTaskOptions {
  inputs: Record<string, string>;
  /** Service connections by id (the value an input of type connectedService:* holds). */
  endpoints?: Record<string, AgentEndpoint>;
  /** Pipeline variables (override the emulator's Agent.*, System.*, Build.* defaults). */
  variables?: Record<string, string>;
  /** Secret pipeline variables. */
  secrets?: Record<string, string>;
  /** Extra raw environment variables. */
  env?: Record<string, string>;
  /** Kill the task (its whole process group) after this long; default 120 s. */
  timeoutMs?: number;
  onSpawn?(child: ChildProcess): void;
  /** Share the tool cache between runs (the agent keeps it across jobs); default: fresh per run. */
  toolsDirectory?: string;
  /** Use this folder as the sources directory instead of an empty one (it is not removed). */
  sourcesDirectory?: string;
  /** Keep the per-run agent directories for inspection. */
  keepDirectories?: boolean;
  nodePath?: string;
}

export interface TaskRun {
  /** What the task reported with task.complete (worst of several), undefined if it never did. */
  result: TaskResult | undefined;
  /** What the agent records for the step: the task's result, Failed on a non-zero exit or a timeout. */
  outcome: TaskResult;
  /** Message of the task.complete that set the result. */
  message: string;
  /** Milliseconds from the first task.complete to the process's exit (the agent waits for the exit). */
  exitAfterResultMs?: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Output variables (task.setvariable isOutput=true). */
  outputs: Record<string, string>;
  /** Every variable the task set (outputs included). */
  variables: Record<string, string>;
  issues: Array<{ type: string; message: string }>;
  /** Contents of each summary (##vso[task.uploadsummary], or task.addattachment of type Distributedtask.Core.Summary), read when the command arrived. */
  summaries: string[];
  /** The name each summary is shown under (an uploadsummary's is its file name). */
  summaryNames: string[];
  secretsRegistered: string[];
  /** stdout and stderr as the agent's log shows them, secrets masked as ***. */
  log: string;
  rawStdout: string;
  rawStderr: string;
  /** The per-run directories (removed after the run unless keepDirectories). */
  directories: AgentDirectories;
}

export interface AgentDirectories {
  root: string;
  work: string;
  temp: string;
  tools: string;
  sources: string;
  staging: string;
  home: string;
}

export interface RunningTask {
  child: ChildProcess;
  /** Kill the task and everything it started (helm...), as the agent does on cancel or timeout. */
  kill(signal?: NodeJS.Signals): void;
  done: Promise<TaskRun>;
}

const RESULT_RANK: Record<TaskResult, number> = { Succeeded: 0, SucceededWithIssues: 1, Failed: 2 };
const worst = (a: TaskResult | undefined, b: TaskResult): TaskResult => (a && RESULT_RANK[a] >= RESULT_RANK[b] ? a : b);

/** The agent's VarUtil.ConvertToEnvVariableFormat. */
export const envName = (name: string): string => name.replace(/[. ]/g, '_').toUpperCase();

const PASSED_THROUGH_ENV = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'SystemRoot', 'SYSTEMROOT', 'ComSpec', 'PATHEXT', 'WINDIR'];

interface TaskJsonInput {
  name: string;
  type: string;
  defaultValue?: string;
}

function taskJsonInputs(taskDir: string): TaskJsonInput[] {
  const file = path.join(taskDir, 'task.json');
  if (!fs.existsSync(file)) return [];
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { inputs?: TaskJsonInput[] }).inputs ?? [];
}

function makeDirectories(options: RunTaskOptions): AgentDirectories {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-'));
  const work = path.join(root, '_work');
  const dirs: AgentDirectories = {
    root,
    work,
    temp: path.join(work, '_temp'),
    tools: options.toolsDirectory ?? path.join(work, '_tool'),
    sources: options.sourcesDirectory ?? path.join(work, '1', 's'),
    staging: path.join(work, '1', 'a'),
    home: path.join(root, 'home'),
  };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
  return dirs;
}

function defaultVariables(dirs: AgentDirectories): Record<string, string> {
  const platform: Record<string, string> = { linux: 'Linux', darwin: 'Darwin', win32: 'Windows_NT' };
  return {
    'Agent.Version': '4.266.2',
    'Agent.Name': 'emulated-agent',
    'Agent.MachineName': os.hostname(),
    'Agent.OS': platform[process.platform] ?? process.platform,
    'Agent.OSArchitecture': process.arch === 'arm64' ? 'ARM64' : 'X64',
    'Agent.JobStatus': 'Succeeded',
    'Agent.HomeDirectory': dirs.root,
    'Agent.WorkFolder': dirs.work,
    'Agent.RootDirectory': dirs.work,
    'Agent.BuildDirectory': path.dirname(dirs.staging),
    'Agent.TempDirectory': dirs.temp,
    'Agent.ToolsDirectory': dirs.tools,
    'System.DefaultWorkingDirectory': dirs.sources,
    'System.TeamFoundationCollectionUri': 'https://dev.azure.com/emulated/',
    'System.TeamProject': 'emulated',
    'System.TeamProjectId': '6f3c5d52-8c4e-4d9e-9a51-0c2b2f1e4a77',
    'System.HostType': 'build',
    'System.JobAttempt': '1',
    'System.JobId': '0b8a2b4e-5f67-4bb1-9a0f-1f2e3d4c5b6a',
    'System.Culture': 'en-US',
    'System.Debug': 'false',
    'Build.BuildId': '1',
    'Build.BuildNumber': '20260101.1',
    'Build.DefinitionName': 'emulated-pipeline',
    'Build.SourcesDirectory': dirs.sources,
    'Build.ArtifactStagingDirectory': dirs.staging,
    'Build.Repository.LocalPath': dirs.sources,
  };
}

/** `$(name)` macros, as the agent expands them in inputs before the task starts; unknown ones stay. */
function expandMacros(value: string, variables: Map<string, string>): string {
  return value.replace(/\$\(([^()\s]+)\)/g, (macro, name: string) => variables.get(name.toLowerCase()) ?? macro);
}

function buildEnvironment(taskDir: string, options: RunTaskOptions, dirs: AgentDirectories): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of PASSED_THROUGH_ENV) if (process.env[key] !== undefined) env[key] = process.env[key] as string;
  env.HOME = dirs.home;
  env.TMPDIR = dirs.temp;

  const variables = { ...defaultVariables(dirs), ...options.variables };
  const secrets = options.secrets ?? {};
  for (const [name, value] of Object.entries(variables)) env[envName(name)] = value;
  env.VSTS_PUBLIC_VARIABLES = JSON.stringify(Object.keys(variables));
  for (const [name, value] of Object.entries(secrets)) env[`SECRET_${envName(name)}`] = value;
  env.VSTS_SECRET_VARIABLES = JSON.stringify(Object.keys(secrets));

  const macroValues = new Map<string, string>();
  for (const [name, value] of [...Object.entries(variables), ...Object.entries(secrets)]) macroValues.set(name.toLowerCase(), value);
  const inputs: Record<string, string> = {};
  for (const input of taskJsonInputs(taskDir)) if (input.defaultValue) inputs[input.name] = input.defaultValue;
  Object.assign(inputs, options.inputs);
  const filePathInputs = new Set(taskJsonInputs(taskDir).filter((i) => i.type === 'filePath').map((i) => i.name));
  for (const input of filePathInputs) inputs[input] ??= '';
  for (const [name, raw] of Object.entries(inputs)) {
    let value = expandMacros(raw, macroValues);
    if (filePathInputs.has(name)) value = path.resolve(dirs.sources, value);
    env[`INPUT_${envName(name)}`] = value;
  }

  for (const [id, endpoint] of Object.entries(options.endpoints ?? {})) {
    env[`ENDPOINT_URL_${id}`] = endpoint.url;
    env[`ENDPOINT_AUTH_${id}`] = JSON.stringify({ parameters: endpoint.parameters, scheme: endpoint.scheme });
    env[`ENDPOINT_AUTH_SCHEME_${id}`] = endpoint.scheme;
    for (const [key, value] of Object.entries(endpoint.parameters)) env[`ENDPOINT_AUTH_PARAMETER_${id}_${envName(key)}`] = value;
    for (const [key, value] of Object.entries(endpoint.data ?? {})) env[`ENDPOINT_DATA_${id}_${envName(key)}`] = value;
  }
  return { ...env, ...options.env };
}

/** The agent's secret masker: every registered value (and its JSON-escaped form) becomes ***. */
class SecretMasker {
  private readonly values = new Set<string>();

  add(value: string): void {
    if (!value) return;
    this.values.add(value);
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) this.values.add(escaped);
  }

  mask(line: string): string {
    // Longest first, so a secret that contains another is masked whole.
    let masked = line;
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) masked = masked.split(value).join('***');
    return masked;
  }
}

export function startTask(taskDir: string, options: RunTaskOptions): RunningTask {
  const dirs = makeDirectories(options);
  const env = buildEnvironment(taskDir, options, dirs);
  const masker = new SecretMasker();
  for (const value of Object.values(options.secrets ?? {})) masker.add(value);
  for (const endpoint of Object.values(options.endpoints ?? {})) for (const value of Object.values(endpoint.parameters)) masker.add(value);
  const debug = (options.variables?.['System.Debug'] ?? '').toLowerCase() === 'true';

  let completedAt: number | undefined;
  const run: TaskRun = {
    result: undefined,
    outcome: 'Succeeded',
    message: '',
    exitCode: null,
    signal: null,
    timedOut: false,
    outputs: {},
    variables: {},
    issues: [],
    summaries: [],
    summaryNames: [],
    secretsRegistered: [],
    log: '',
    rawStdout: '',
    rawStderr: '',
    directories: dirs,
  };
  const logLines: string[] = [];

  const onCommandLine = (line: string): boolean => {
    const at = line.indexOf('##vso[');
    if (at < 0) return false;
    let cmd: ReturnType<typeof commandFromString>;
    try {
      cmd = commandFromString(line.slice(at));
    } catch {
      return false;
    }
    const props = cmd.properties as Record<string, string | undefined>;
    const message = cmd.message ?? '';
    switch (cmd.command) {
      case 'task.setsecret':
        run.secretsRegistered.push(message);
        masker.add(message);
        break;
      case 'task.setvariable': {
        const name = props.variable ?? '';
        if (props.issecret === 'true') masker.add(message);
        run.variables[name] = message;
        if (props.isOutput === 'true' || props.isoutput === 'true') run.outputs[name] = message;
        break;
      }
      case 'task.issue':
      case 'task.logissue':
        run.issues.push({ type: props.type ?? 'error', message });
        logLines.push(masker.mask(`##[${props.type ?? 'error'}]${message}`));
        break;
      case 'task.complete': {
        completedAt ??= Date.now();
        const result = (props.result ?? 'Succeeded') as TaskResult;
        if (!run.result || RESULT_RANK[result] >= RESULT_RANK[run.result]) run.message = message;
        run.result = worst(run.result, result);
        break;
      }
      case 'task.addattachment':
      case 'task.uploadsummary':
        if (cmd.command === 'task.addattachment' && props.type !== 'Distributedtask.Core.Summary') break;
        try {
          run.summaries.push(fs.readFileSync(message, 'utf8'));
          run.summaryNames.push(props.name ?? path.basename(message));
        } catch {
          logLines.push(`##[warning]Summary file ${message} was gone before the agent could read it.`);
        }
        break;
      case 'task.debug':
        if (debug) logLines.push(masker.mask(`##[debug]${message}`));
        break;
      default:
        break;
    }
    return true;
  };

  const lineReader = (onLine: (line: string) => void): { push(chunk: string): void; flush(): void } => {
    let pending = '';
    return {
      push(chunk) {
        pending += chunk;
        const lines = pending.split(/\r?\n/);
        pending = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      },
      flush() {
        if (pending) onLine(pending);
        pending = '';
      },
    };
  };
  const stdout = lineReader((line) => {
    if (!onCommandLine(line)) logLines.push(masker.mask(line));
  });
  const stderr = lineReader((line) => logLines.push(masker.mask(line)));

  const child = spawn(options.nodePath ?? process.execPath, [path.join(taskDir, 'index.js')], {
    cwd: dirs.sources,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = (signal: NodeJS.Signals = 'SIGKILL'): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // the group is already gone
    }
  };
  options.onSpawn?.(child);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    run.rawStdout += chunk;
    stdout.push(chunk);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    run.rawStderr += chunk;
    stderr.push(chunk);
  });
  const timer = setTimeout(() => {
    run.timedOut = true;
    kill('SIGKILL');
  }, options.timeoutMs ?? 120_000);

  const done = new Promise<TaskRun>((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      stdout.flush();
      stderr.flush();
      run.exitCode = code;
      run.signal = signal;
      if (completedAt !== undefined) run.exitAfterResultMs = Date.now() - completedAt;
      run.outcome = run.result ?? 'Succeeded';
      if (code !== 0 || run.timedOut) {
        run.outcome = 'Failed';
        logLines.push(run.timedOut ? '##[error]The task has timed out.' : `##[error]Exit code ${code ?? signal} returned from process.`);
      }
      run.log = logLines.join('\n');
      if (!options.keepDirectories) fs.rmSync(dirs.root, { recursive: true, force: true });
      resolve(run);
    });
  });
  return { child, kill, done };
}

/** Runs a task to the end (or its timeout) and returns what the agent saw. */
export function runTask(taskDir: string, options: RunTaskOptions): Promise<TaskRun> {
  return startTask(taskDir, options).done;
}
