// Secret values the task knows (secretValues): registered with the agent, which masks them in the log,
// and remembered here, so that what the task writes itself (the run summary, output variables, the
// failure message), which the agent does not mask, can be masked the same way.
import type * as TaskLib from 'azure-pipelines-task-lib/task';

// task-lib loads on first use: loading it reads the environment into its vault and writes a key file, which
// a task wants and unit tests of the masking do not.
const tl = (): typeof TaskLib => require('azure-pipelines-task-lib/task');

const known = new Set<string>();

export const MASK = '***';

/** Registers a value as a secret with the agent (task.setsecret) and remembers it for maskSecrets. */
export function registerSecret(value: string): void {
  if (value === '') return;
  tl().setSecret(value);
  known.add(value);
}

/** The text with every registered secret replaced by ***, longest first (a secret may contain another). */
export function maskSecrets(text: string): string {
  if (known.size === 0) return text;
  const forms = new Set<string>();
  for (const value of known) {
    forms.add(value);
    // The agent masks the JSON-escaped form too (a secret with quotes or backslashes inside JSON text).
    forms.add(JSON.stringify(value).slice(1, -1));
  }
  let masked = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) masked = masked.split(form).join(MASK);
  return masked;
}
