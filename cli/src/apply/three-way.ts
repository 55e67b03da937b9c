/**
 * kubectl's client-side apply patch: a three-way strategic merge patch from the last-applied
 * configuration (original), the file (modified) and the live object (current).
 *
 *   deletions: what original had and modified dropped        -> null / {$patch: delete}
 *   changes:   what modified has that current lacks or differs -> the new value
 *
 * Fields only the server set (status, defaults, other writers' labels) are left alone because
 * they are in neither original nor modified. Lists with a merge key (containers by name, ports
 * by containerPort, ...; merge-keys.ts) are patched item by item with `$setElementOrder`; other
 * lists are replaced whole when they differ. Pure.
 */
import type { FieldStrategy, PatchType } from '../api.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonMap = { [k: string]: Json };

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** The patch taking `current` to `modified`, deleting what `original` had and `modified` dropped. */
export function threeWayMergePatch(
  original: JsonMap | undefined,
  modified: JsonMap,
  current: JsonMap,
  type: PatchType | undefined,
): JsonMap {
  return diffMaps(original, modified, current, type);
}

function diffMaps(
  original: JsonMap | undefined,
  modified: JsonMap,
  current: JsonMap,
  type: PatchType | undefined,
): JsonMap {
  const patch: JsonMap = {};
  for (const key of Object.keys(original ?? {})) {
    if (key in modified) continue;
    // Dropped from the file: delete it, unless it is already gone.
    if (key in current) patch[key] = null;
  }
  for (const [key, m] of Object.entries(modified)) {
    const c = current[key];
    const o = original?.[key];
    const strategy: FieldStrategy | undefined = type?.[key];
    if (m === null) {
      if (c !== undefined && c !== null) patch[key] = null;
      continue;
    }
    if (isMap(m) && isMap(c)) {
      const sub = diffMaps(isMap(o) ? o : undefined, m, c, strategy?.type);
      if (Object.keys(sub).length > 0) patch[key] = sub;
      continue;
    }
    if (
      Array.isArray(m) &&
      Array.isArray(c) &&
      strategy?.mergeKey &&
      m.every((i) => isMap(i) && strategy.mergeKey! in i)
    ) {
      const list = diffKeyedList(
        Array.isArray(o) ? o : undefined,
        m as JsonMap[],
        c,
        strategy.mergeKey,
        strategy.type,
      );
      if (list.length > 0) {
        patch[`$setElementOrder/${key}`] = (m as JsonMap[]).map((i) => ({
          [strategy.mergeKey!]: i[strategy.mergeKey!] as Json,
        }));
        patch[key] = list;
      }
      continue;
    }
    if (Array.isArray(m) && Array.isArray(c) && strategy?.primitiveMerge) {
      const added = m.filter((x) => !c.some((y) => jsonEqual(x, y)));
      const dropped = (Array.isArray(o) ? o : []).filter(
        (x) => !m.some((y) => jsonEqual(x, y)) && c.some((y) => jsonEqual(x, y)),
      );
      if (added.length > 0) patch[key] = added;
      if (dropped.length > 0) patch[`$deleteFromPrimitiveList/${key}`] = dropped;
      continue;
    }
    if (!jsonEqual(m, c)) patch[key] = m;
  }
  return patch;
}

function diffKeyedList(
  original: Json[] | undefined,
  modified: JsonMap[],
  current: Json[],
  mergeKey: string,
  itemType: PatchType | undefined,
): Json[] {
  const find = (list: readonly Json[] | undefined, k: Json): JsonMap | undefined =>
    list?.find((i): i is JsonMap => isMap(i) && jsonEqual(i[mergeKey], k));
  const out: Json[] = [];
  for (const item of modified) {
    const k = item[mergeKey] as Json;
    const c = find(current, k);
    if (!c) {
      out.push(item);
      continue;
    }
    const sub = diffMaps(find(original, k), item, c, itemType);
    if (Object.keys(sub).length > 0) out.push({ [mergeKey]: k, ...sub });
  }
  for (const o of original ?? []) {
    if (!isMap(o) || !(mergeKey in o)) continue;
    const k = o[mergeKey] as Json;
    if (!modified.some((m) => jsonEqual(m[mergeKey], k)) && find(current, k))
      out.push({ [mergeKey]: k, $patch: 'delete' });
  }
  return out;
}
