/**
 * The `kubectl.kubernetes.io/last-applied-configuration` annotation: the file as applied, stored on
 * the object so the next apply knows what it owns (and so what to delete). Pure.
 */
import type { KubeObject } from '../api.ts';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The object to send: the file's object carrying its own last-applied annotation. */
export function withLastApplied(object: KubeObject): KubeObject {
  const annotations = { ...(object.metadata.annotations ?? {}) };
  delete annotations[LAST_APPLIED];
  const clean: KubeObject = {
    ...object,
    metadata: { ...object.metadata, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
  };
  if (Object.keys(annotations).length === 0) delete clean.metadata.annotations;
  // kubectl stores compact JSON followed by a newline.
  const text = `${JSON.stringify(clean)}\n`;
  return { ...clean, metadata: { ...clean.metadata, annotations: { ...annotations, [LAST_APPLIED]: text } } };
}

/** The configuration last applied to a live object, if it was ever applied. */
export function lastAppliedOf(live: KubeObject): Record<string, unknown> | undefined {
  const text = live.metadata.annotations?.[LAST_APPLIED];
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    // A hand-edited, broken annotation: apply then behaves as for an object never applied.
    return undefined;
  }
}
