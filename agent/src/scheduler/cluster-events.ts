/**
 * What the scheduler hears from the cluster: the store's watch events for the kinds it reads, plus
 * measured node usage from the metrics path. The lead wires a store watch (list then watch) to this
 * shape; nothing here knows about HTTP or Raft.
 */
import type { Namespace, Node, PersistentVolume, PersistentVolumeClaim } from '../api/types/core.ts';
import type { Pod } from '../api/types/pod.ts';
import type { NodeUtilisation } from './node-info.ts';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export type ClusterEvent =
  | { readonly kind: 'Node'; readonly type: ChangeType; readonly object: Node }
  | { readonly kind: 'Pod'; readonly type: ChangeType; readonly object: Pod }
  | {
      readonly kind: 'PersistentVolumeClaim';
      readonly type: ChangeType;
      readonly object: PersistentVolumeClaim;
    }
  | { readonly kind: 'PersistentVolume'; readonly type: ChangeType; readonly object: PersistentVolume }
  | { readonly kind: 'Namespace'; readonly type: ChangeType; readonly object: Namespace }
  | {
      readonly kind: 'NodeUtilisation';
      readonly nodeName: string;
      /** Undefined clears a stale measurement (scores fall back to requests). */
      readonly utilisation: NodeUtilisation | undefined;
    };

/** Delivers the current state as ADDED events, then live changes, until the signal aborts. */
export interface ClusterSource {
  subscribe(sink: (event: ClusterEvent) => void, signal: AbortSignal): void;
}

/** A pod that has finished no longer holds resources on its node. */
export function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function isAssigned(pod: Pod): boolean {
  return pod.spec.nodeName !== undefined && pod.spec.nodeName !== '';
}
