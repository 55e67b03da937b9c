/**
 * Turns a meta.k8s.io Table (from the server, or built locally from the registry's columns when
 * a server sends a plain list) into kubectl's `get` rows: priority-1 columns only with -o wide,
 * NAMESPACE first with -A, LABELS last with --show-labels, `kind/name` when several types print.
 */
import { buildTable, type KubeObject, type ResourceInfo, type Table } from '../api.ts';
import { cellText } from './table.ts';

export interface TableView {
  readonly wide: boolean;
  readonly namespaceColumn: boolean;
  readonly showLabels: boolean;
  /** `pod` or `deployment.apps`: prefixes the NAME cell, as kubectl does for several types. */
  readonly kindPrefix?: string;
}

export interface Rows {
  readonly header: string[];
  readonly rows: string[][];
}

interface RowMeta {
  namespace?: string;
  labels?: Record<string, string>;
}

const metaOf = (row: { object?: unknown }): RowMeta =>
  ((row.object as { metadata?: RowMeta } | undefined)?.metadata ?? {}) as RowMeta;

/** Whether a reply is a Table (servers without Table support send the plain list). */
export const isTable = (x: unknown): x is Table => (x as { kind?: string } | null)?.kind === 'Table';

/** The Table the server would send, built from objects with the registry's columns. */
export function localTable(info: ResourceInfo, objects: readonly KubeObject[], now: number): Table {
  return buildTable(`${info.group}/${info.resource}`, objects, { now, includeObject: 'Object' });
}

export function tableRows(table: Table, view: TableView): Rows {
  const shown = table.columnDefinitions
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => view.wide || c.priority === 0);
  const nameIndex = table.columnDefinitions.findIndex((c) => c.format === 'name' || c.name === 'Name');
  const header = [
    ...(view.namespaceColumn ? ['NAMESPACE'] : []),
    ...shown.map(({ c }) => c.name.toUpperCase()),
    ...(view.showLabels ? ['LABELS'] : []),
  ];
  const rows = table.rows.map((row) => {
    const meta = metaOf(row);
    const cells = shown.map(({ i }) => {
      const text = cellText(row.cells[i]);
      return i === nameIndex && view.kindPrefix ? `${view.kindPrefix}/${text}` : text;
    });
    return [
      ...(view.namespaceColumn ? [meta.namespace ?? ''] : []),
      ...cells,
      ...(view.showLabels ? [labelsText(meta.labels)] : []),
    ];
  });
  return { header, rows };
}

export function labelsText(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}
