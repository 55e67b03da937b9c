/** The Namespace controller: any change inside a terminating namespace re-checks it. */
import { RESOURCES } from '../../api/registry.ts';
import type { Namespace } from '../../api/types/core.ts';
import type { Located } from '../gc/reconcile.ts';
import { NOTHING_TO_DO } from '../runtime/actions.ts';
import { NAMESPACES, type ResourceRef } from '../runtime/client.ts';
import type { ControllerDefinition } from '../runtime/controller.ts';
import { splitKey } from '../runtime/objects.ts';
import { reconcileNamespace } from './reconcile.ts';

/** Every namespaced resource the registry serves. */
export const NAMESPACED: readonly ResourceRef[] = RESOURCES.filter((r) => r.namespaced).map((r) => ({
  group: r.group,
  resource: r.resource,
}));

export function namespaceController(): ControllerDefinition {
  return {
    name: 'namespace-controller',
    primary: NAMESPACES,
    watches: NAMESPACED.map((ref) => ({
      ref,
      keys: (o, _old, view) => {
        const ns = view.get(NAMESPACES, '', o.metadata.namespace ?? '');
        return ns?.metadata.deletionTimestamp !== undefined ? [`/${o.metadata.namespace ?? ''}`] : [];
      },
    })),
    reconcile(key, view) {
      const { name } = splitKey(key);
      const namespace = view.get(NAMESPACES, '', name) as Namespace | undefined;
      if (namespace === undefined || namespace.metadata.deletionTimestamp === undefined) return NOTHING_TO_DO;
      const contents: Located[] = [];
      for (const ref of NAMESPACED) for (const object of view.list(ref, name)) contents.push({ ref, object });
      return reconcileNamespace({ namespace, contents });
    },
  };
}
