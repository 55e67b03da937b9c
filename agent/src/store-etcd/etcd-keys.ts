/**
 * Where objects live in etcd and how they are stored there. Keys are
 * `<prefix>/<group>/<resource>/<namespace>/<name>` (cluster-scoped: `<prefix>/<group>/<resource>/<name>`;
 * the core group is spelled `core`), so a resource and a namespace are each one key range, sorted
 * in the same `namespace/name` order as the embedded store and Kubernetes' own `/registry` keys.
 * Values are the object's JSON without `metadata.resourceVersion`: the version is etcd's
 * mod_revision of the key, put back on every read (as Kubernetes' etcd3 storage does).
 */
import type { KubeObject } from '../api/types/meta.ts';
import type { ResourceRef } from '../store/keys.ts';

export const DEFAULT_KEY_PREFIX = '/kedge';

/** The etcd key range [start, end) of one resource, or of one namespace in it. */
export interface KeyRange {
  readonly start: string;
  readonly end: string;
}

export class KeyLayout {
  readonly prefix: string;

  constructor(prefix = DEFAULT_KEY_PREFIX) {
    if (!prefix.startsWith('/') || prefix.endsWith('/'))
      throw new RangeError(`the etcd key prefix must start with "/" and not end with one, got "${prefix}"`);
    this.prefix = prefix;
  }

  /** `<prefix>/<group>/<resource>/`: every key of the resource starts with it. */
  resourcePrefix(ref: ResourceRef): string {
    return `${this.prefix}/${ref.group === '' ? 'core' : ref.group}/${ref.resource}/`;
  }

  /** The key of a store path (`namespace/name`, or `/name` when cluster-scoped; see store/keys.ts). */
  keyOfPath(ref: ResourceRef, path: string): string {
    return this.resourcePrefix(ref) + (path.startsWith('/') ? path.slice(1) : path);
  }

  /**
   * Where a write that removed the object by clearing its last finalizer leaves the object's final
   * state, in the same txn as the deletion: etcd's delete event carries only the state before, and
   * a watcher reads this key at the deletion's revision to send the final state, as the embedded
   * store does. Outside every resource range (no API group is named `_final`), so lists never see it.
   */
  finalStateKey(ref: ResourceRef, path: string): string {
    return `${this.prefix}/_final/${ref.group === '' ? 'core' : ref.group}/${ref.resource}/${path.startsWith('/') ? path.slice(1) : path}`;
  }

  /** The final-state key that belongs to an object key of this layout. */
  finalStateKeyOf(objectKey: string): string {
    return `${this.prefix}/_final/${objectKey.slice(this.prefix.length + 1)}`;
  }

  /** All of a resource, or one namespace of it: '0' follows '/', so `x0` is the end of every `x/...`. */
  range(ref: ResourceRef, namespace: string | undefined): KeyRange {
    const base = this.resourcePrefix(ref);
    if (namespace === undefined) return { start: base, end: `${base.slice(0, -1)}0` };
    return { start: `${base}${namespace}/`, end: `${base}${namespace}0` };
  }
}

/** The stored bytes: the object without its resourceVersion (that is the key's mod_revision). */
export function encodeValue(object: KubeObject): Buffer {
  const { resourceVersion: _rv, ...metadata } = object.metadata;
  return Buffer.from(JSON.stringify({ ...object, metadata }));
}

/** The object as the API serves it: the stored JSON with resourceVersion = `revision`. */
export function decodeValue(value: Buffer, revision: string, key: string): KubeObject {
  let object: KubeObject;
  try {
    object = JSON.parse(value.toString('utf8')) as KubeObject;
  } catch (e) {
    throw new Error(
      `etcd key ${key} does not hold a kedge object (${(e as Error).message}); is another program writing under this prefix?`,
    );
  }
  if (typeof object !== 'object' || object === null || typeof object.metadata !== 'object')
    throw new Error(
      `etcd key ${key} holds JSON without metadata; is another program writing under this prefix?`,
    );
  object.metadata.resourceVersion = revision;
  return object;
}
