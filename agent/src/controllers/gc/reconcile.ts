/**
 * Garbage collection through ownerReferences, one object at a time, as Kubernetes' collector:
 *
 *   object being deleted with `foregroundDeletion` ─> delete its dependants (foreground too);
 *       once no dependant that blocks owner deletion remains, drop the finalizer
 *   object being deleted with `orphan` ─> remove its uid from every dependant's ownerReferences,
 *       then drop the finalizer
 *   object whose owners are all gone (absent, or a different uid) ─> delete it (background);
 *       some gone ─> remove just the dangling references
 *   an owner that is deleting in the foreground ─> delete this dependant in the foreground
 */
import type { KubeObject, OwnerReference } from '../../api/types/meta.ts';
import { type Action, mutable, type Reconciliation } from '../runtime/actions.ts';
import type { ResourceRef } from '../runtime/client.ts';
import { isDeleting } from '../runtime/objects.ts';

export const FOREGROUND = 'foregroundDeletion';
export const ORPHAN = 'orphan';

export interface Located {
  readonly ref: ResourceRef;
  readonly object: KubeObject;
}

/** What is known of one owner reference: present (with the object when cached) or gone. */
export type OwnerState =
  | { readonly present: true; readonly object?: KubeObject }
  | { readonly present: false };

export interface GcInput {
  readonly item: Located;
  /** Keyed by owner uid. Owners of kinds the collector does not track are reported present. */
  readonly owners: ReadonlyMap<string, OwnerState>;
  readonly dependants: readonly Located[];
}

const hasFinalizer = (o: KubeObject, f: string) => (o.metadata.finalizers ?? []).includes(f);

function deleteAction(x: Located, policy: 'Background' | 'Foreground'): Action {
  return {
    kind: 'delete',
    ref: x.ref,
    namespace: x.object.metadata.namespace ?? '',
    name: x.object.metadata.name ?? '',
    preconditions: { uid: x.object.metadata.uid ?? '' },
    propagationPolicy: policy,
  };
}

function withoutFinalizer(x: Located, f: string): Action {
  const next = mutable(x.object);
  next.metadata.finalizers = (x.object.metadata.finalizers ?? []).filter((y) => y !== f);
  return { kind: 'update', ref: x.ref, object: next };
}

export function reconcileGarbage(input: GcInput): Reconciliation {
  const { item } = input;
  const o = item.object;
  const uid = o.metadata.uid ?? '';
  const actions: Action[] = [];

  if (isDeleting(o) && hasFinalizer(o, ORPHAN)) {
    for (const d of input.dependants) {
      const next = mutable(d.object);
      const refs = (d.object.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      if (refs.length > 0) next.metadata.ownerReferences = refs;
      else delete next.metadata.ownerReferences;
      actions.push({ kind: 'update', ref: d.ref, object: next });
    }
    // Only once every dependant is free may the owner go; the updates above come first.
    if (input.dependants.length === 0) actions.push(withoutFinalizer(item, ORPHAN));
    return { actions };
  }

  if (isDeleting(o) && hasFinalizer(o, FOREGROUND)) {
    let blocking = 0;
    for (const d of input.dependants) {
      const ref = d.object.metadata.ownerReferences?.find((r) => r.uid === uid);
      if (ref?.blockOwnerDeletion === true) blocking++;
      if (!isDeleting(d.object)) actions.push(deleteAction(d, 'Foreground'));
    }
    if (blocking === 0) actions.push(withoutFinalizer(item, FOREGROUND));
    return { actions };
  }

  const refs = o.metadata.ownerReferences ?? [];
  if (refs.length === 0 || isDeleting(o)) return { actions };
  // Kubernetes' classifyReferences: solid owners keep the object; dangling ones are gone; owners
  // deleting in the foreground are waiting for it to go.
  const solid: OwnerReference[] = [];
  const loose: OwnerReference[] = [];
  let waiting = false;
  for (const r of refs) {
    const s = input.owners.get(r.uid);
    if (s === undefined || !s.present) loose.push(r);
    else if (s.object !== undefined && isDeleting(s.object) && hasFinalizer(s.object, FOREGROUND)) {
      loose.push(r);
      waiting = true;
    } else solid.push(r);
  }
  if (solid.length === 0)
    return {
      actions: [deleteAction(item, waiting && input.dependants.length > 0 ? 'Foreground' : 'Background')],
    };
  if (loose.length > 0) {
    const next = mutable(o);
    next.metadata.ownerReferences = solid;
    return { actions: [{ kind: 'update', ref: item.ref, object: next }] };
  }
  return { actions };
}
