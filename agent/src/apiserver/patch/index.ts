import { badRequest, unprocessablePatch, unsupportedMediaType } from '../status.ts';
import { isJsonObject, type JsonObject, type JsonValue } from './json.ts';
import { applyJsonPatch, decodeJsonPatch } from './json-patch.ts';
import { patchTypeFor } from './merge-keys.ts';
import { applyMergePatch } from './merge-patch.ts';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';

export type { JsonObject, JsonValue } from './json.ts';
export { applyJsonPatch, decodeJsonPatch } from './json-patch.ts';
export { patchTypeFor } from './merge-keys.ts';
export { applyMergePatch } from './merge-patch.ts';
export { applyStrategicMergePatch } from './strategic-merge-patch.ts';

export const patchContentTypes = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;

const supported: readonly string[] = Object.values(patchContentTypes);

const mediaTypeOf = (contentType: string): string => contentType.split(';')[0]!.trim().toLowerCase();

/** Whether kedge can apply a PATCH body of this Content-Type (server-side apply is not supported). */
export function isPatchContentType(contentType: string): boolean {
  return supported.includes(mediaTypeOf(contentType));
}

/**
 * Applies a PATCH body of the given Content-Type to an object of `group`/`kind`. The body is
 * already decoded from JSON. Unknown patch types (including server-side apply) are 415.
 */
export function applyPatch(
  contentType: string,
  original: JsonObject,
  body: JsonValue,
  group: string,
  kind: string,
): JsonObject {
  const mediaType = mediaTypeOf(contentType);
  let patched: JsonValue;
  switch (mediaType) {
    case patchContentTypes.json:
      patched = applyJsonPatch(original, decodeJsonPatch(body));
      break;
    case patchContentTypes.merge:
      if (!isJsonObject(body))
        throw badRequest('a merge patch must be a JSON object, like {"spec":{"replicas":3}}');
      patched = applyMergePatch(original, body);
      break;
    case patchContentTypes.strategic:
      patched = applyStrategicMergePatch(original, body, patchTypeFor(group, kind));
      break;
    default:
      throw unsupportedMediaType(contentType, supported);
  }
  if (!isJsonObject(patched)) {
    throw unprocessablePatch('the patched result must be a JSON object');
  }
  return patched;
}
