import { badRequest, unprocessablePatch } from '../status.ts';
import { cloneJson, isJsonObject, type JsonObject, type JsonValue, jsonEqual } from './json.ts';
import type { FieldStrategy, PatchType } from './merge-keys.ts';

/**
 * Kubernetes strategic merge patch (`application/strategic-merge-patch+json`), the subset that
 * kubectl apply, edit, scale, set image and rollout send:
 * - maps merge recursively and `null` deletes a key (as in RFC 7386);
 * - lists with a merge key (see merge-keys.ts) merge item by item; other lists are replaced;
 * - directives: `$patch: replace|delete|merge` (in maps and as list items), `$retainKeys`,
 *   `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`.
 * A malformed directive is BadRequest; a patch that contradicts its own `$retainKeys` is Invalid,
 * as in the Kubernetes API server. Pure: the original is not modified.
 */
export function applyStrategicMergePatch(
  original: JsonObject,
  patch: JsonValue,
  type: PatchType,
): JsonObject {
  if (!isJsonObject(patch)) {
    throw badRequest('a strategic merge patch must be a JSON object, like {"spec":{"replicas":3}}');
  }
  return mergeMap(cloneJson(original), patch, type, '') ?? {};
}

const directive = {
  patch: '$patch',
  retainKeys: '$retainKeys',
  setElementOrder: '$setElementOrder/',
  deleteFromPrimitiveList: '$deleteFromPrimitiveList/',
} as const;

function isDirective(key: string): boolean {
  return (
    key === directive.patch ||
    key === directive.retainKeys ||
    key.startsWith(directive.setElementOrder) ||
    key.startsWith(directive.deleteFromPrimitiveList)
  );
}

/** Merges `patch` into `original` (which it owns and may modify); undefined means "delete this map". */
function mergeMap(
  original: JsonObject,
  patch: JsonObject,
  type: PatchType | undefined,
  path: string,
): JsonObject | undefined {
  const mode = patch[directive.patch];
  if (mode === 'delete') return undefined;
  if (mode === 'replace') {
    const rest: JsonObject = { ...patch };
    delete rest[directive.patch];
    return mergeMap({}, rest, type, path);
  }
  if (mode !== undefined && mode !== 'merge') {
    throw badRequest(
      `${where(path)}: unknown "$patch" directive ${JSON.stringify(mode)}; use merge, replace or delete`,
    );
  }

  // Shallow snapshot: `$setElementOrder` interleaves by the server's order before this patch.
  const before: JsonObject = { ...original };
  let result = original;
  const retain = patch[directive.retainKeys];
  if (retain !== undefined) result = retainKeys(result, patch, retain, path);

  for (const [key, list] of Object.entries(patch)) {
    if (!key.startsWith(directive.deleteFromPrimitiveList)) continue;
    const field = key.slice(directive.deleteFromPrimitiveList.length);
    if (!Array.isArray(list)) throw badRequest(`${where(path)}: ${key} must be a list`);
    const current = result[field];
    if (Array.isArray(current))
      result[field] = current.filter((item) => !list.some((d) => jsonEqual(d, item)));
  }

  for (const [key, value] of Object.entries(patch)) {
    if (isDirective(key)) continue;
    const fieldPath = path ? `${path}.${key}` : key;
    if (value === null) {
      delete result[key];
      continue;
    }
    const strategy = type?.[key];
    const current = result[key];
    if (isJsonObject(value)) {
      const merged = mergeMap(isJsonObject(current) ? current : {}, value, strategy?.type, fieldPath);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else if (Array.isArray(value)) {
      result[key] = mergeList(Array.isArray(current) ? current : [], value, strategy, fieldPath);
    } else {
      result[key] = value;
    }
  }

  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(directive.setElementOrder)) continue;
    const field = key.slice(directive.setElementOrder.length);
    if (!Array.isArray(order)) throw badRequest(`${where(path)}: ${key} must be a list`);
    const current = result[field];
    if (Array.isArray(current)) {
      const previous = before[field];
      const serverOrder = Array.isArray(previous) ? previous : [];
      result[field] = orderList(
        current,
        order,
        type?.[field]?.mergeKey,
        serverOrder,
        `${where(path)}: ${key}`,
      );
    }
  }
  return result;
}

/** `$retainKeys`: keys of the original that the list does not name are cleared before merging. */
function retainKeys(original: JsonObject, patch: JsonObject, retain: JsonValue, path: string): JsonObject {
  if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string')) {
    throw badRequest(`${where(path)}: $retainKeys must be a list of field names`);
  }
  const keep = new Set(retain as string[]);
  for (const key of Object.keys(patch)) {
    if (!isDirective(key) && patch[key] !== null && !keep.has(key)) {
      throw unprocessablePatch(
        `${where(path)}: the patch sets "${key}" but its $retainKeys list [${retain.join(', ')}] does not include it`,
      );
    }
  }
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(original)) if (keep.has(key)) result[key] = value;
  return result;
}

function mergeList(
  original: JsonValue[],
  patch: JsonValue[],
  strategy: FieldStrategy | undefined,
  path: string,
): JsonValue[] {
  if (strategy?.primitiveMerge) {
    const result = [...original];
    for (const item of patch) if (!result.some((o) => jsonEqual(o, item))) result.push(item);
    return result;
  }
  const mergeKey = strategy?.mergeKey;
  if (mergeKey === undefined) return patch.map((item) => cleanItem(item, strategy?.type, path));

  const replaceMarker = patch.findIndex((item) => isJsonObject(item) && item[directive.patch] === 'replace');
  if (replaceMarker >= 0) {
    return patch.filter((_, i) => i !== replaceMarker).map((item) => cleanItem(item, strategy?.type, path));
  }

  let result = [...original];
  for (const item of patch) {
    if (!isJsonObject(item)) {
      throw badRequest(`${where(path)}: list items must be objects with the merge key "${mergeKey}"`);
    }
    if (!Object.hasOwn(item, mergeKey)) {
      throw badRequest(
        `${where(path)}: a list item does not contain the merge key "${mergeKey}": ${JSON.stringify(item)}`,
      );
    }
    const key = item[mergeKey];
    const index = result.findIndex((o) => isJsonObject(o) && jsonEqual(o[mergeKey], key));
    if (item[directive.patch] === 'delete') {
      result = result.filter((o) => !(isJsonObject(o) && jsonEqual(o[mergeKey], key)));
      continue;
    }
    const existing = index >= 0 ? result[index] : undefined;
    const merged = mergeMap(
      isJsonObject(existing) ? existing : {},
      item,
      strategy?.type,
      `${path}[${mergeKey}=${JSON.stringify(key)}]`,
    );
    if (merged === undefined) continue;
    if (index >= 0) result[index] = merged;
    else result.push(merged);
  }
  return result;
}

/** New values go through mergeMap too, so that directives and nulls inside them are resolved. */
function cleanItem(item: JsonValue, type: PatchType | undefined, path: string): JsonValue {
  return isJsonObject(item) ? (mergeMap({}, item, type, path) ?? {}) : item;
}

/**
 * `$setElementOrder`: the items the order names come in that order; items only the server had
 * keep their place relative to the others (Kubernetes' normalizeElementOrder + mergeSortedSlice).
 */
function orderList(
  list: JsonValue[],
  order: JsonValue[],
  mergeKey: string | undefined,
  serverOrder: JsonValue[],
  where: string,
): JsonValue[] {
  const keyOf = (item: JsonValue): JsonValue | undefined => {
    if (mergeKey === undefined) return item;
    return isJsonObject(item) ? item[mergeKey] : undefined;
  };
  const orderKeys = order.map((entry) => {
    const key = keyOf(entry);
    if (key === undefined) throw badRequest(`${where}: every entry must carry the merge key "${mergeKey}"`);
    return key;
  });
  const indexIn = (keys: readonly (JsonValue | undefined)[], item: JsonValue): number =>
    keys.findIndex((k) => k !== undefined && jsonEqual(k, keyOf(item)));

  const named = list.filter((item) => indexIn(orderKeys, item) >= 0);
  named.sort((a, b) => indexIn(orderKeys, a) - indexIn(orderKeys, b));
  const serverOnly = list.filter((item) => indexIn(orderKeys, item) < 0);

  const serverKeys = serverOrder.map(keyOf);
  const result: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < named.length) {
    if (j >= named.length) result.push(serverOnly[i++]!);
    else if (i >= serverOnly.length) result.push(named[j++]!);
    else {
      const left = indexIn(serverKeys, serverOnly[i]!);
      const right = indexIn(serverKeys, named[j]!);
      if (left >= 0 && right >= 0 && left < right) result.push(serverOnly[i++]!);
      else result.push(named[j++]!);
    }
  }
  return result;
}

function where(path: string): string {
  return path ? `strategic merge patch at ${path}` : 'strategic merge patch';
}
