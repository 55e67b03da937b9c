/**
 * The layout of `kubectl describe`: `Key:  value` lines aligned per block, nested blocks indented
 * by two, multi-line values continuing under their first line, and tables (Events, Conditions)
 * in tabwriter style. Pure.
 */
import { formatTable } from '../printers/table.ts';

export type Value = string | Section | TableBlock;
export interface Section {
  readonly kind: 'section';
  readonly fields: readonly Field[];
}
export interface TableBlock {
  readonly kind: 'table';
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Text shown instead of an empty table (`<none>`). */
  readonly empty?: string;
}
export type Field = readonly [key: string, value: Value];

export const section = (fields: readonly (Field | undefined | false)[]): Section => ({
  kind: 'section',
  fields: fields.filter((f): f is Field => Array.isArray(f)),
});

export const table = (
  header: readonly string[],
  rows: readonly (readonly string[])[],
  empty = '<none>',
): TableBlock => ({
  kind: 'table',
  header,
  rows,
  empty,
});

/** Renders fields at an indent, aligning the values of the plain `Key: value` lines. */
export function render(fields: readonly Field[], indent = 0): string {
  const pad = ' '.repeat(indent);
  const width = Math.max(0, ...fields.filter(([, v]) => typeof v === 'string').map(([k]) => k.length + 1));
  let out = '';
  for (const [key, value] of fields) {
    if (typeof value === 'string') {
      const lines = value === '' ? [''] : value.split('\n');
      const lead = `${pad}${`${key}:`.padEnd(width)}  `;
      out += `${`${lead}${lines[0]}`.trimEnd()}\n`;
      for (const l of lines.slice(1)) out += `${`${' '.repeat(lead.length)}${l}`.trimEnd()}\n`;
    } else if (value.kind === 'section') {
      out += `${pad}${key}:\n${render(value.fields, indent + 2)}`;
    } else {
      if (value.rows.length === 0) {
        out += `${pad}${`${key}:`.padEnd(width)}  ${value.empty ?? '<none>'}\n`;
        continue;
      }
      out += `${pad}${key}:\n`;
      const dashes = value.header.map((h) => '-'.repeat(h.length));
      out += formatTable(undefined, [value.header, dashes, ...value.rows])
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => `${pad}  ${l}\n`)
        .join('');
    }
  }
  return out;
}

/** `k=v` lines, sorted, or <none>. */
export function mapLines(m: Record<string, string> | undefined, sep = '='): string {
  const entries = Object.entries(m ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}${sep}${v}`).join('\n');
}

/** kubectl's timestamps in describe: `Mon, 23 Nov 2026 14:12:28 +0000`. */
export function describeTime(ts: string | undefined | null): string {
  if (!ts) return '<unset>';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  return d.toUTCString().replace('GMT', '+0000');
}
