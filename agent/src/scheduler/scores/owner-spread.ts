/**
 * Spreading the pods of one owner (the controller in ownerReferences: a ReplicaSet, StatefulSet,
 * Job): fewer pods of the same owner on a node, and in its zone, scores higher. The node counts
 * come from NodeInfo.ownerCounts (O(1) per node); zones weigh 2/3 when nodes carry the zone label,
 * as kube-scheduler's SelectorSpread did.
 */
import type { NodeInfo } from '../node-info.ts';
import type { PodInfo } from '../pod-info.ts';

const ZONE_WEIGHT = 2 / 3;

export function ownerPodsOnNode(pod: PodInfo, node: NodeInfo): number {
  return pod.ownerUid === undefined ? 0 : (node.ownerCounts.get(pod.ownerUid) ?? 0);
}

/** Raw counts (in `scores`, parallel to `nodes`) -> 0..100, the emptiest node and zone scoring 100. */
export function normalizeOwnerSpread(nodes: readonly NodeInfo[], scores: Float64Array, count: number): void {
  let maxNode = 0;
  const zoneCounts = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const c = scores[i] ?? 0;
    maxNode = Math.max(maxNode, c);
    const zone = nodes[i]?.zone;
    if (zone !== undefined) zoneCounts.set(zone, (zoneCounts.get(zone) ?? 0) + c);
  }
  let maxZone = 0;
  for (const c of zoneCounts.values()) maxZone = Math.max(maxZone, c);
  for (let i = 0; i < count; i++) {
    const c = scores[i] ?? 0;
    let s = maxNode === 0 ? 100 : ((maxNode - c) * 100) / maxNode;
    const zone = nodes[i]?.zone;
    if (zone !== undefined && zoneCounts.size > 0) {
      const zc = zoneCounts.get(zone) ?? 0;
      const zs = maxZone === 0 ? 100 : ((maxZone - zc) * 100) / maxZone;
      s = s * (1 - ZONE_WEIGHT) + zs * ZONE_WEIGHT;
    }
    scores[i] = s;
  }
}
