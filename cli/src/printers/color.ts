/** ANSI colours, only when writing to a terminal and NO_COLOR is unset (https://no-color.org). */

export interface Palette {
  readonly green: (s: string) => string;
  readonly red: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly bold: (s: string) => string;
}

const wrap = (code: number) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;
const plain = (s: string) => s;

export const COLORS: Palette = { green: wrap(32), red: wrap(31), yellow: wrap(33), bold: wrap(1) };
export const NO_COLORS: Palette = { green: plain, red: plain, yellow: plain, bold: plain };

export function paletteFor(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv): Palette {
  const tty = (stream as { isTTY?: boolean }).isTTY === true;
  return tty && env.NO_COLOR === undefined && env.TERM !== 'dumb' ? COLORS : NO_COLORS;
}
