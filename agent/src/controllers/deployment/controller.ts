/** The Deployment controller: wiring of the pure reconcile to informers. */

import { selectorFromLabelSelector } from '../../api/label-selector.ts';
import type { Deployment, ReplicaSet } from '../../api/types/apps.ts';
import type { Pod } from '../../api/types/pod.ts';
import { NOTHING_TO_DO } from '../runtime/actions.ts';
import { DEPLOYMENTS, PODS, REPLICASETS } from '../runtime/client.ts';
import type { ControllerDefinition } from '../runtime/controller.ts';
import { controllerOf, splitKey } from '../runtime/objects.ts';
import { ownerKeys } from '../shared/owner-keys.ts';
import { reconcileDeployment } from './reconcile.ts';

export function deploymentController(): ControllerDefinition {
  return {
    name: 'deployment-controller',
    primary: DEPLOYMENTS,
    watches: [
      {
        ref: REPLICASETS,
        keys: ownerKeys('Deployment', DEPLOYMENTS, (d) =>
          selectorFromLabelSelector((d as Deployment).spec.selector),
        ),
      },
      {
        // Recreate waits for the old pods to be gone: a pod's deletion concerns its RS's Deployment.
        ref: PODS,
        keys: (pod, _old, view) => {
          const c = controllerOf(pod);
          if (c?.kind !== 'ReplicaSet') return [];
          const ns = pod.metadata.namespace ?? '';
          const rs = view.get(REPLICASETS, ns, c.name);
          const owner = rs === undefined ? undefined : controllerOf(rs);
          return owner?.kind === 'Deployment' ? [`${ns}/${owner.name}`] : [];
        },
      },
    ],
    reconcile(key, view, now) {
      const { namespace, name } = splitKey(key);
      const d = view.get(DEPLOYMENTS, namespace, name) as Deployment | undefined;
      if (d === undefined) return NOTHING_TO_DO;
      return reconcileDeployment({
        d,
        replicaSets: view.list(REPLICASETS, namespace) as ReplicaSet[],
        pods: view.list(PODS, namespace) as Pod[],
        now,
      });
    },
  };
}
