/** The Endpoints controller: a Service's key is queued when it, its Endpoints or a pod it selects (before or after) changes. */
import type { Endpoints, Service } from '../../api/types/core.ts';
import type { Pod } from '../../api/types/pod.ts';
import { ENDPOINTS, PODS, SERVICES } from '../runtime/client.ts';
import type { ControllerDefinition } from '../runtime/controller.ts';
import { keyOf, splitKey } from '../runtime/objects.ts';
import { reconcileEndpoints, selectsPod } from './reconcile.ts';

export function endpointsController(): ControllerDefinition {
  return {
    name: 'endpoint-controller',
    primary: SERVICES,
    watches: [
      { ref: ENDPOINTS, keys: (ep) => [keyOf(ep)] },
      {
        ref: PODS,
        keys: (pod, old, view) => {
          const keys = new Set<string>();
          for (const svc of view.list(SERVICES, pod.metadata.namespace ?? '') as Service[])
            if (selectsPod(svc, pod as Pod) || (old !== undefined && selectsPod(svc, old as Pod)))
              keys.add(keyOf(svc));
          return [...keys];
        },
      },
    ],
    reconcile(key, view) {
      const { namespace, name } = splitKey(key);
      return reconcileEndpoints({
        service: view.get(SERVICES, namespace, name) as Service | undefined,
        existing: view.get(ENDPOINTS, namespace, name) as Endpoints | undefined,
        pods: view.list(PODS, namespace) as Pod[],
        namespace,
        name,
      });
    },
  };
}
