/**
 * Local persistent volumes: a pod whose PVC is bound to a PV with `nodeAffinity.required` can only
 * run on nodes that PV's terms select (its data lives there). A claim that does not exist rejects
 * the pod on every node; an unbound claim does not constrain the node (the volume will be made on
 * the node the pod lands on, like WaitForFirstConsumer).
 */
import type { NodeSelectorTerm } from '../../api/types/pod.ts';
import type { NodeInfo } from '../node-info.ts';
import { matchesAnyNodeSelectorTerm } from '../node-selector.ts';
import type { PodInfo } from '../pod-info.ts';
import { type Reasons, VOLUME_NODE_AFFINITY_CONFLICT } from '../reasons.ts';
import type { Snapshot } from '../snapshot.ts';

/** Terms every candidate node must match (one list per bound PV), or a pod-wide rejection. */
export type VolumeConstraint =
  | { readonly ok: true; readonly terms: readonly (readonly NodeSelectorTerm[])[] }
  | { readonly ok: false; readonly message: string };

const NONE: VolumeConstraint = { ok: true, terms: [] };

export function volumeConstraint(pod: PodInfo, snapshot: Snapshot): VolumeConstraint {
  if (pod.claims.length === 0) return NONE;
  const terms: NodeSelectorTerm[][] = [];
  for (const name of pod.claims) {
    const pvc = snapshot.claim(pod.namespace, name);
    if (pvc === undefined) return { ok: false, message: `persistentvolumeclaim "${name}" not found` };
    if (pvc.metadata.deletionTimestamp !== undefined)
      return { ok: false, message: `persistentvolumeclaim "${name}" is being deleted` };
    const pvName = pvc.spec.volumeName;
    if (pvName === undefined || pvName === '') continue;
    const pv = snapshot.volume(pvName);
    if (pv === undefined)
      return {
        ok: false,
        message: `persistentvolumeclaim "${name}" is bound to persistentvolume "${pvName}", which does not exist`,
      };
    const required = pv.spec.nodeAffinity?.required?.nodeSelectorTerms;
    if (required !== undefined) terms.push(required);
  }
  return terms.length === 0 ? NONE : { ok: true, terms };
}

export function volumeNodeAffinity(
  terms: readonly (readonly NodeSelectorTerm[])[],
  node: NodeInfo,
): Reasons | undefined {
  const n = node.node;
  for (const t of terms) {
    if (n === undefined || !matchesAnyNodeSelectorTerm(t, n)) return VOLUME_NODE_AFFINITY_CONFLICT;
  }
  return undefined;
}
