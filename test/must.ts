/**
 * An indexed read in a test or in the emulated cluster that must hit: the value, or an Error naming what was
 * missing (so a test fails with that sentence rather than a TypeError further on). With
 * noUncheckedIndexedAccess, `list[0]` is `T | undefined`; `must(list[0], 'the first pod')` is `T`.
 */
export function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`expected ${what}, found none`);
  return value;
}
