/**
 * The node lifecycle controller's wiring. Heartbeats are judged by when this controller saw them
 * move, not by the timestamps written in them (edge boxes' clocks drift), so a new leader gives
 * every node a full grace period before judging it.
 */
import type { Lease } from '../../api/types/coordination.ts';
import type { Node } from '../../api/types/core.ts';
import type { Pod } from '../../api/types/pod.ts';
import { NOTHING_TO_DO } from '../runtime/actions.ts';
import { LEASES, NODES, PODS } from '../runtime/client.ts';
import type { ControllerDefinition } from '../runtime/controller.ts';
import { splitKey } from '../runtime/objects.ts';
import {
  DEFAULT_NODE_LIFECYCLE,
  NODE_LEASE_NAMESPACE,
  type NodeHealthSource,
  type NodeLifecycleConfig,
} from './config.ts';
import { readyCondition, reconcileNode } from './reconcile.ts';

export interface NodeLifecycleOptions {
  readonly config?: Partial<NodeLifecycleConfig>;
  readonly health?: NodeHealthSource;
}

export function nodeLifecycleController(options: NodeLifecycleOptions = {}): ControllerDefinition {
  const config = { ...DEFAULT_NODE_LIFECYCLE, ...options.config };
  const seen = new Map<string, { beat: string; at: number }>();
  const deadSince = new Map<string, number>();
  return {
    name: 'node-lifecycle-controller',
    primary: NODES,
    indexes: [{ ref: PODS, name: 'node', fn: (p) => [(p as Pod).spec.nodeName ?? ''] }],
    watches: [
      {
        ref: LEASES,
        keys: (l) => (l.metadata.namespace === NODE_LEASE_NAMESPACE ? [`/${l.metadata.name ?? ''}`] : []),
      },
      {
        ref: PODS,
        keys: (p, _old, view) => {
          const n = (p as Pod).spec.nodeName ?? '';
          if (n === '') return [];
          const node = view.get(NODES, '', n) as Node | undefined;
          return (node?.spec?.taints ?? []).some((t) => t.effect === 'NoExecute') ? [`/${n}`] : [];
        },
      },
    ],
    triggers: (enqueue, signal) => {
      if (options.health === undefined) return;
      const stop = options.health.subscribe((n) => enqueue(`/${n}`));
      signal.addEventListener('abort', stop, { once: true });
    },
    reconcile(key, view, now) {
      const { name } = splitKey(key);
      const node = view.get(NODES, '', name) as Node | undefined;
      if (node === undefined) {
        seen.delete(name);
        deadSince.delete(name);
        return NOTHING_TO_DO;
      }
      const lease = view.get(LEASES, NODE_LEASE_NAMESPACE, name) as Lease | undefined;
      const beat = `${lease?.spec?.renewTime ?? ''}|${readyCondition(node)?.lastHeartbeatTime ?? ''}`;
      const prev = seen.get(name);
      if (prev === undefined || prev.beat !== beat) seen.set(name, { beat, at: now });
      const gossip = options.health?.health(name);
      if (gossip === 'dead') {
        if (!deadSince.has(name)) deadSince.set(name, now);
      } else deadSince.delete(name);
      return reconcileNode({
        node,
        pods: view.byIndex(PODS, 'node', name) as Pod[],
        lastHeartbeatAt: seen.get(name)?.at ?? now,
        gossip,
        deadSince: deadSince.get(name),
        now,
        config,
      });
    },
  };
}
