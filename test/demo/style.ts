// Terminal styling for the demo and the benchmark: ANSI colours only when stdout is a terminal (and
// NO_COLOR is not set), so a piped or CI log stays plain text that diffs and pastes cleanly.

export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  cyan(text: string): string;
}

const wrap = (enabled: boolean, open: number, close: number) => (text: string) => (enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text);

export function makeStyle(enabled: boolean): Style {
  return {
    enabled,
    bold: wrap(enabled, 1, 22),
    dim: wrap(enabled, 2, 22),
    red: wrap(enabled, 31, 39),
    green: wrap(enabled, 32, 39),
    yellow: wrap(enabled, 33, 39),
    blue: wrap(enabled, 34, 39),
    cyan: wrap(enabled, 36, 39),
  };
}

/** Colour when stdout is a TTY, unless NO_COLOR asks otherwise (https://no-color.org). */
export function terminalStyle(stream: NodeJS.WriteStream = process.stdout): Style {
  return makeStyle(!!stream.isTTY && !process.env.NO_COLOR);
}

/** Length as shown on screen (ANSI sequences take no room). */
export const visibleLength = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '').length;

export const padEndVisible = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - visibleLength(text)));

/** A plain table: columns padded to their widest cell, the header underlined with dashes. */
export function table(header: string[], rows: string[][], style: Style, align: Array<'left' | 'right'> = []): string[] {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (align[i] === 'right' ? ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(c))) + c : padEndVisible(c, widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [style.bold(line(header)), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)];
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
