/** The ReplicaSet controller: wiring of the pure reconcile to informers. */

import { selectorFromLabelSelector } from '../../api/label-selector.ts';
import type { ReplicaSet } from '../../api/types/apps.ts';
import type { Pod } from '../../api/types/pod.ts';
import { NOTHING_TO_DO } from '../runtime/actions.ts';
import { PODS, REPLICASETS } from '../runtime/client.ts';
import type { ControllerDefinition } from '../runtime/controller.ts';
import { splitKey } from '../runtime/objects.ts';
import { ownerKeys } from '../shared/owner-keys.ts';
import { reconcileReplicaSet } from './reconcile.ts';

export interface ReplicaSetControllerOptions {
  /** Source of pod-name suffixes; inject a seeded one for replayable runs. */
  readonly random?: () => number;
}

export function replicaSetController(options: ReplicaSetControllerOptions = {}): ControllerDefinition {
  const random = options.random ?? Math.random;
  return {
    name: 'replicaset-controller',
    primary: REPLICASETS,
    watches: [
      {
        ref: PODS,
        keys: ownerKeys('ReplicaSet', REPLICASETS, (rs) =>
          selectorFromLabelSelector((rs as ReplicaSet).spec.selector),
        ),
      },
    ],
    reconcile(key, view, now) {
      const { namespace, name } = splitKey(key);
      const rs = view.get(REPLICASETS, namespace, name) as ReplicaSet | undefined;
      if (rs === undefined) return NOTHING_TO_DO;
      const pods = view.list(PODS, namespace) as Pod[];
      return reconcileReplicaSet({ rs, pods, now, random });
    },
  };
}
