// Import this first in a program that reuses shared/ in-process (the demo, the benchmark). Loading
// azure-pipelines-task-lib prints `##vso[task.debug]` lines to stdout (the agent hides them; a terminal
// does not) and installs process-wide handlers that turn any uncaught exception into a "task failed"
// line instead of a crash. Neither belongs in a command-line tool: silence the load, drop the handlers.

// task-lib's own switch: no debug lines unless System.Debug is true (it reads it after its first lines).
process.env.DISTRIBUTEDTASK_TASKS_NODE_SKIPDEBUGLOGSWHENDEBUGMODEOFF = 'true';

const uncaught = new Set(process.listeners('uncaughtException'));
const unhandled = new Set(process.listeners('unhandledRejection'));
const write = process.stdout.write;
process.stdout.write = (() => true) as typeof process.stdout.write;
try {
  require('azure-pipelines-task-lib/task');
} finally {
  process.stdout.write = write;
  for (const listener of process.listeners('uncaughtException')) if (!uncaught.has(listener)) process.off('uncaughtException', listener);
  for (const listener of process.listeners('unhandledRejection')) if (!unhandled.has(listener)) process.off('unhandledRejection', listener);
}

export {};
