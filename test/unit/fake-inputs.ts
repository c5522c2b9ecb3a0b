// An InputSource over plain maps for reader tests: records which inputs were read, and how, and which
// values were registered as secrets.
import type { InputSource } from '../../shared/inputs/read';

export interface FakeSource extends InputSource {
  /** Names read with input(). */
  readonly read: Set<string>;
  /** Names read with secretInput() (never echoed). */
  readonly readSecretly: Set<string>;
  readonly secrets: string[];
}

export function fakeSource(inputs: Record<string, string>, variables: Record<string, string> = {}): FakeSource {
  const read = new Set<string>();
  const readSecretly = new Set<string>();
  const secrets: string[] = [];
  const value = (v: string | undefined): string | undefined => v?.trim() || undefined;
  return {
    read,
    readSecretly,
    secrets,
    input(name) {
      read.add(name);
      return value(inputs[name]);
    },
    secretInput(name) {
      readSecretly.add(name);
      return value(inputs[name]);
    },
    variable: (name) => value(variables[name]),
    setSecret: (v) => secrets.push(v),
  };
}
