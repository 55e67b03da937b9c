/**
 * Tables for `kubectl get` (Accept `as=Table`), built by the API package's printers
 * (api/table.ts); this adapter only picks the Table version the client asked for.
 */
import type { ResourceInfo } from '../api/registry.ts';
import { buildTable } from '../api/table.ts';
import type { KubeObject, ListMeta, Table } from '../api/types/meta.ts';

export type TableVersion = 'v1' | 'v1beta1';

export function toTable(
  info: ResourceInfo,
  objects: readonly KubeObject[],
  listMeta: ListMeta,
  version: TableVersion,
  now: number,
): Table {
  const table = buildTable(`${info.group}/${info.resource}`, objects, {
    now,
    ...(listMeta.resourceVersion !== undefined ? { resourceVersion: listMeta.resourceVersion } : {}),
    ...(listMeta.continue !== undefined ? { continue: listMeta.continue } : {}),
  });
  if (version === 'v1beta1') {
    (table as { apiVersion: string }).apiVersion = 'meta.k8s.io/v1beta1';
    for (const row of table.rows) {
      if (row.object) (row.object as { apiVersion: string }).apiVersion = 'meta.k8s.io/v1beta1';
    }
  }
  return table;
}
