/**
 * Namespace deletion: a terminating namespace has everything in it deleted; once nothing is left
 * (pods gone after their grace, finalizers run), the `kubernetes` finalizer comes off its spec and
 * the store removes the namespace.
 */
import type { Namespace } from '../../api/types/core.ts';
import type { Located } from '../gc/reconcile.ts';
import { type Action, mutable, type Reconciliation } from '../runtime/actions.ts';
import { NAMESPACES } from '../runtime/client.ts';
import { isDeleting } from '../runtime/objects.ts';

export const KUBERNETES_FINALIZER = 'kubernetes';

export interface NamespaceInput {
  readonly namespace: Namespace;
  /** Every object still in the namespace, of every namespaced resource. */
  readonly contents: readonly Located[];
}

export function reconcileNamespace(input: NamespaceInput): Reconciliation {
  const ns = input.namespace;
  if (!isDeleting(ns)) return { actions: [] };
  const actions: Action[] = [];
  for (const x of input.contents) {
    if (isDeleting(x.object)) continue;
    actions.push({
      kind: 'delete',
      ref: x.ref,
      namespace: x.object.metadata.namespace ?? '',
      name: x.object.metadata.name ?? '',
      preconditions: { uid: x.object.metadata.uid ?? '' },
      propagationPolicy: 'Background',
    });
  }
  const finalizers = ns.spec?.finalizers ?? [];
  if (input.contents.length === 0 && finalizers.includes(KUBERNETES_FINALIZER)) {
    const next = mutable(ns);
    next.spec = { ...next.spec, finalizers: finalizers.filter((f) => f !== KUBERNETES_FINALIZER) };
    actions.push({ kind: 'update', ref: NAMESPACES, object: next });
  }
  return { actions };
}
