/** Node readiness and cordon: a node that is NotReady or `spec.unschedulable` takes no new pods. */
import type { NodeInfo } from '../node-info.ts';
import type { PodInfo } from '../pod-info.ts';
import { NODE_NOT_READY, NODE_UNSCHEDULABLE, type Reasons } from '../reasons.ts';
import { TAINT_NOT_READY, TAINT_UNSCHEDULABLE, toleratesAny } from '../tolerations.ts';

const UNSCHEDULABLE_TAINT = { key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' } as const;
const NOT_READY_TAINT = { key: TAINT_NOT_READY, effect: 'NoSchedule' } as const;

/** Pods that tolerate the unschedulable taint (DaemonSet pods) may still land on a cordoned node. */
export function nodeUnschedulable(pod: PodInfo, node: NodeInfo): Reasons | undefined {
  if (!node.unschedulable) return undefined;
  return toleratesAny(pod.tolerations, UNSCHEDULABLE_TAINT) ? undefined : NODE_UNSCHEDULABLE;
}

/**
 * The Ready condition must be True. A pod that tolerates `node.kubernetes.io/not-ready:NoSchedule`
 * asked to run on such nodes, as it would with Kubernetes' TaintNodesByCondition.
 */
export function nodeReady(pod: PodInfo, node: NodeInfo): Reasons | undefined {
  if (node.ready) return undefined;
  return toleratesAny(pod.tolerations, NOT_READY_TAINT) ? undefined : NODE_NOT_READY;
}
