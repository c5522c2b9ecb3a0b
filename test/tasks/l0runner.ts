// The script MockTestRunner runs in a child process: it loads one compiled (unbundled) task under
// task-lib's TaskMockRunner with the scenario the test put in BLUEGREEN_L0_SCENARIO.
import * as path from 'node:path';
import { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';

export interface L0Scenario {
  task: 'Deploy' | 'RouteTraffic' | 'OnSuccess' | 'OnFailure';
  inputs: Record<string, string>;
  /** task-lib keeps its vault key here (default: the working directory, i.e. the repository). */
  tempDirectory: string;
}

const scenario = JSON.parse(process.env.BLUEGREEN_L0_SCENARIO ?? '{}') as L0Scenario;
process.env.AGENT_TEMPDIRECTORY = scenario.tempDirectory;
const runner = new TaskMockRunner(path.join(__dirname, '..', '..', 'tasks', scenario.task, 'index.js'));
for (const [name, value] of Object.entries(scenario.inputs)) runner.setInput(name, value);
runner.run();
