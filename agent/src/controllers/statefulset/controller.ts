/** The StatefulSet controller's wiring. */
import { selectorFromLabelSelector } from '../../api/label-selector.ts';
import type { ControllerRevision, StatefulSet } from '../../api/types/apps.ts';
import type { PersistentVolumeClaim } from '../../api/types/core.ts';
import type { Pod } from '../../api/types/pod.ts';
import { NOTHING_TO_DO } from '../runtime/actions.ts';
import { CONTROLLERREVISIONS, PODS, PVCS, STATEFULSETS } from '../runtime/client.ts';
import type { ControllerDefinition } from '../runtime/controller.ts';
import { splitKey } from '../runtime/objects.ts';
import { ownerKeys } from '../shared/owner-keys.ts';
import { reconcileStatefulSet } from './reconcile.ts';

export function statefulSetController(): ControllerDefinition {
  return {
    name: 'statefulset-controller',
    primary: STATEFULSETS,
    reads: [PVCS, CONTROLLERREVISIONS],
    watches: [
      {
        ref: PODS,
        keys: ownerKeys('StatefulSet', STATEFULSETS, (s) =>
          selectorFromLabelSelector((s as StatefulSet).spec.selector),
        ),
      },
    ],
    reconcile(key, view, now) {
      const { namespace, name } = splitKey(key);
      const set = view.get(STATEFULSETS, namespace, name) as StatefulSet | undefined;
      if (set === undefined) return NOTHING_TO_DO;
      return reconcileStatefulSet({
        set,
        pods: view.list(PODS, namespace) as Pod[],
        claims: view.list(PVCS, namespace) as PersistentVolumeClaim[],
        revisions: view.owned(CONTROLLERREVISIONS, set.metadata.uid ?? '') as ControllerRevision[],
        now,
      });
    },
  };
}
