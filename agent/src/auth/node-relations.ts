/**
 * Where the node rules (node-rules.ts) find the pods bound to a node, at request time:
 *
 *   replicated store (the default)  storeRelations: a field-selected list of this voter's own
 *                                   ObjectStore, synchronous and as fresh as the watch that told
 *                                   the kubelet about the pod
 *   external etcd                   PodsByNode: an Informer over the API backend, indexed by
 *                                   spec.nodeName (run() until the signal aborts)
 */
import type { Pod } from '../api/types/pod.ts';
import type { ObjectBackend } from '../apiserver/backend.ts';
import { BackendClusterClient } from '../control/backend-cluster-client.ts';
import { PODS } from '../controllers/runtime/client.ts';
import { systemClock } from '../controllers/runtime/clock.ts';
import { Informer } from '../controllers/runtime/informer.ts';
import type { ObjectStore } from '../store/object-store.ts';
import type { NodeRelations } from './node-rules.ts';

/** Reads the current store each time: a snapshot restore swaps the ObjectStore. */
export function storeRelations(store: () => ObjectStore): NodeRelations {
  return {
    podsOn(nodeName) {
      const list = store().list(PODS, { fieldSelector: `spec.nodeName=${nodeName}` });
      // A store that cannot list answers no relationship: the request is denied, never widened.
      return list instanceof Error ? [] : (list.items as Pod[]);
    },
  };
}

const NODE_INDEX = 'spec.nodeName';

export class PodsByNode implements NodeRelations {
  readonly #pods: Informer;

  constructor(backend: ObjectBackend, onError: (message: string) => void) {
    this.#pods = new Informer(new BackendClusterClient(backend), PODS, {
      clock: systemClock,
      onError: (error, what) => onError(`node authorizer: ${what}: ${error.message}`),
    });
    this.#pods.addIndex(NODE_INDEX, (o) => {
      const node = (o as Pod).spec?.nodeName;
      return node ? [node] : [];
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return this.#pods.run(signal);
  }

  podsOn(nodeName: string): readonly Pod[] {
    return this.#pods.byIndex(NODE_INDEX, nodeName) as Pod[];
  }
}
