/**
 * Kubernetes' ControllerRefManager: a controller owns the objects that carry its controller
 * ownerReference and still match its selector; it adopts matching orphans and releases owned
 * objects that stopped matching. Adoption and release are updates guarded by resourceVersion.
 */
import { matchesLabels, type Selector } from '../../api/label-selector.ts';
import type { KubeObject, OwnerReference } from '../../api/types/meta.ts';
import { type Action, mutable } from '../runtime/actions.ts';
import type { ResourceRef } from '../runtime/client.ts';
import { controllerOf, isDeleting } from '../runtime/objects.ts';

export interface Claim<T extends KubeObject> {
  /** Objects this owner controls after the claim (adopted ones included). */
  readonly owned: T[];
  /** Adoption and release updates. */
  readonly actions: Action[];
}

export function claimObjects<T extends KubeObject>(
  owner: KubeObject,
  ownerRef: OwnerReference,
  selector: Selector,
  candidates: readonly T[],
  ref: ResourceRef,
): Claim<T> {
  const owned: T[] = [];
  const actions: Action[] = [];
  const uid = owner.metadata.uid;
  const ownerGoing = isDeleting(owner);
  for (const o of candidates) {
    const c = controllerOf(o);
    const matches = matchesLabels(selector, o.metadata.labels);
    if (c !== undefined) {
      if (c.uid !== uid) continue;
      if (matches || ownerGoing) {
        owned.push(o);
        continue;
      }
      if (isDeleting(o)) continue;
      const released = mutable(o);
      released.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      if (released.metadata.ownerReferences.length === 0) delete released.metadata.ownerReferences;
      actions.push({ kind: 'update', ref, object: released });
      continue;
    }
    if (
      !matches ||
      ownerGoing ||
      isDeleting(o) ||
      (o.metadata.namespace ?? '') !== (owner.metadata.namespace ?? '')
    )
      continue;
    const adopted = mutable(o);
    adopted.metadata.ownerReferences = [...(o.metadata.ownerReferences ?? []), ownerRef];
    actions.push({ kind: 'update', ref, object: adopted });
    owned.push(adopted);
  }
  return { owned, actions };
}
