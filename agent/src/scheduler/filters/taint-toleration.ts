/** Taints with NoSchedule or NoExecute must each be tolerated; PreferNoSchedule only scores. */
import type { NodeInfo } from '../node-info.ts';
import type { PodInfo } from '../pod-info.ts';
import { type Reasons, untoleratedTaint } from '../reasons.ts';
import { firstUntoleratedTaint } from '../tolerations.ts';

const HARD = ['NoSchedule', 'NoExecute'] as const;

export function taintToleration(pod: PodInfo, node: NodeInfo): Reasons | undefined {
  if (node.hardTaints.length === 0) return undefined;
  const taint = firstUntoleratedTaint(node.hardTaints, pod.tolerations, HARD);
  return taint === undefined ? undefined : [untoleratedTaint(taint.key, taint.value)];
}
