/** nodeSelector and required node affinity: both must hold (one reason for either, as Kubernetes). */

import type { NodeInfo } from '../node-info.ts';
import { matchesAnyNodeSelectorTerm, matchesNodeSelectorMap } from '../node-selector.ts';
import type { PodInfo } from '../pod-info.ts';
import { NODE_AFFINITY_MISMATCH, type Reasons } from '../reasons.ts';

export function nodeAffinity(pod: PodInfo, node: NodeInfo): Reasons | undefined {
  const n = node.node;
  if (n === undefined) return NODE_AFFINITY_MISMATCH;
  if (pod.nodeSelector !== undefined && !matchesNodeSelectorMap(pod.nodeSelector, n))
    return NODE_AFFINITY_MISMATCH;
  const required = pod.pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required !== undefined && !matchesAnyNodeSelectorTerm(required.nodeSelectorTerms, n))
    return NODE_AFFINITY_MISMATCH;
  return undefined;
}
