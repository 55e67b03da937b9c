import { cloneJson, isJsonObject, type JsonObject, type JsonValue } from './json.ts';

/**
 * RFC 7386 JSON merge patch (`application/merge-patch+json`), as `kubectl label`, `annotate` and
 * `scale` send it: objects merge key by key, `null` deletes a key, anything else replaces.
 * Pure: returns a new value.
 */
export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const result: JsonObject = isJsonObject(target) ? cloneJson(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}
