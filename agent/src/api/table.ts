/**
 * meta.k8s.io/v1 Tables for `kubectl get`: the resource's columns, one row per object, each row
 * carrying the object (or its PartialObjectMetadata) as kubectl asks with includeObject.
 */
import { COLUMNS, DEFAULT_COLUMNS } from './table-columns.ts';
import type { KubeObject, Table, TableRow } from './types/meta.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  /** Milliseconds since the epoch, for the AGE column; the caller owns the clock. */
  readonly now: number;
  readonly includeObject?: IncludeObject;
  readonly resourceVersion?: string;
  readonly continue?: string;
}

/** Builds the Table for objects of `resource` (`group/resource`, e.g. `apps/deployments`). */
export function buildTable(resource: string, objects: readonly KubeObject[], o: TableOptions): Table {
  const columns = COLUMNS[resource] ?? DEFAULT_COLUMNS;
  const include = o.includeObject ?? 'Metadata';
  const rows: TableRow[] = objects.map((obj) => {
    const row: TableRow = { cells: columns.map((c) => c.cell(obj, o.now)) };
    if (include === 'Object') row.object = obj;
    else if (include === 'Metadata')
      row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
    return row;
  });
  const table: Table = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: columns.map((c) => c.def),
    rows,
  };
  if (o.resourceVersion !== undefined) table.metadata.resourceVersion = o.resourceVersion;
  if (o.continue !== undefined) table.metadata.continue = o.continue;
  return table;
}
