/** The DaemonSet controller: every DaemonSet is looked at again when a node changes. */
import { selectorFromLabelSelector } from '../../api/label-selector.ts';
import type { DaemonSet } from '../../api/types/apps.ts';
import type { Node } from '../../api/types/core.ts';
import type { Pod } from '../../api/types/pod.ts';
import { NOTHING_TO_DO } from '../runtime/actions.ts';
import { DAEMONSETS, NODES, PODS } from '../runtime/client.ts';
import type { ControllerDefinition } from '../runtime/controller.ts';
import { keyOf, splitKey } from '../runtime/objects.ts';
import { ownerKeys } from '../shared/owner-keys.ts';
import { reconcileDaemonSet } from './reconcile.ts';

export function daemonSetController(options: { random?: () => number } = {}): ControllerDefinition {
  const random = options.random ?? Math.random;
  return {
    name: 'daemonset-controller',
    primary: DAEMONSETS,
    watches: [
      {
        ref: PODS,
        keys: ownerKeys('DaemonSet', DAEMONSETS, (d) =>
          selectorFromLabelSelector((d as DaemonSet).spec.selector),
        ),
      },
      { ref: NODES, keys: (_n, _old, view) => view.list(DAEMONSETS).map(keyOf) },
    ],
    reconcile(key, view, now) {
      const { namespace, name } = splitKey(key);
      const ds = view.get(DAEMONSETS, namespace, name) as DaemonSet | undefined;
      if (ds === undefined) return NOTHING_TO_DO;
      return reconcileDaemonSet({
        ds,
        nodes: view.list(NODES) as Node[],
        pods: view.list(PODS, namespace) as Pod[],
        now,
        random,
      });
    },
  };
}
