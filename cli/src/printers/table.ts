/**
 * kubectl's table layout (a tabwriter with padding 3): left-aligned columns, upper-case headers,
 * the last column unpadded. Pure.
 */

/** Lays out a header and rows; cells are already text. */
export function formatTable(
  header: readonly string[] | undefined,
  rows: readonly (readonly string[])[],
  widths?: number[],
): string {
  const all = header ? [header, ...rows] : [...rows];
  const w = widths ?? columnWidths(all);
  return all.map((r) => formatRow(r, w)).join('');
}

/** The width of each column over these rows. */
export function columnWidths(rows: readonly (readonly string[])[]): number[] {
  const w: number[] = [];
  for (const r of rows) for (const [i, c] of r.entries()) w[i] = Math.max(w[i] ?? 0, displayWidth(c));
  return w;
}

/** One line, padded to `widths` (a row wider than a column pushes only its own line). */
export function formatRow(row: readonly string[], widths: readonly number[]): string {
  const cells = row.map((c, i) =>
    i === row.length - 1 ? c : c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - displayWidth(c)) + 3),
  );
  return `${cells.join('').trimEnd()}\n`;
}

// ANSI colour codes take no room on the screen.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const displayWidth = (s: string): number => s.replace(ANSI, '').length;

/** Cells as kubectl prints them: missing values become <none>. */
export function cellText(v: unknown): string {
  if (v === undefined || v === null) return '<none>';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
