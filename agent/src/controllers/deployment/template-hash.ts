/**
 * The pod-template-hash: Kubernetes' ComputeHash is FNV-32a over the template (plus the collision
 * count), printed in decimal and mapped through the safe alphabet. We hash canonical JSON of a
 * normalised template (nulls dropped, empty `resources`/`metadata` dropped, the hash label
 * removed), so that `kubectl rollout undo`'s patch, which carries `"creationTimestamp": null` and
 * `"resources": {}`, lands on the old ReplicaSet instead of creating a twin.
 */
import type { PodTemplateSpec } from '../../api/types/pod.ts';
import { canonicalStringify } from '../../store/canonical-json.ts';
import { safeEncode } from '../shared/names.ts';

export const POD_TEMPLATE_HASH = 'pod-template-hash';

const DROPPED_WHEN_EMPTY = new Set(['resources', 'metadata', 'labels', 'annotations', 'securityContext']);

function normalise(x: unknown, key = ''): unknown {
  if (Array.isArray(x)) return x.map((v) => normalise(v));
  if (typeof x !== 'object' || x === null) return x;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) {
    if (v === null || v === undefined) continue;
    if (key === 'metadata' && k === 'creationTimestamp') continue;
    const n = normalise(v, k);
    if (
      DROPPED_WHEN_EMPTY.has(k) &&
      typeof n === 'object' &&
      n !== null &&
      !Array.isArray(n) &&
      Object.keys(n).length === 0
    )
      continue;
    out[k] = n;
  }
  return out;
}

/** The template as compared and hashed: without the hash label and the noise of round trips. */
export function canonicalTemplate(t: PodTemplateSpec | undefined): string {
  const copy = structuredClone(t ?? { spec: { containers: [] } }) as PodTemplateSpec;
  if (copy.metadata?.labels !== undefined) delete copy.metadata.labels[POD_TEMPLATE_HASH];
  return canonicalStringify(normalise(copy));
}

/** Kubernetes' EqualIgnoreHash. */
export const equalIgnoringHash = (a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean =>
  canonicalTemplate(a) === canonicalTemplate(b);

export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** `<hash>` for `<deployment>-<hash>` and the pod-template-hash label. */
export function templateHash(t: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalTemplate(t)));
  if (collisionCount !== undefined) {
    const c = new Uint8Array(4);
    new DataView(c.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(c, h);
  }
  return safeEncode(String(h));
}
