/**
 * Soft node preferences: preferred node affinity (sum of the weights of matching terms) and
 * PreferNoSchedule taints (count of untolerated ones). Raw values are rescaled over the candidates,
 * as kube-scheduler's NodeAffinity and TaintToleration NormalizeScore do.
 */
import type { NodeInfo } from '../node-info.ts';
import { matchesNodeSelectorTerm } from '../node-selector.ts';
import type { PodInfo } from '../pod-info.ts';
import { toleratesAny } from '../tolerations.ts';

export function preferredNodeAffinity(pod: PodInfo, node: NodeInfo): number {
  const preferred = pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  if (preferred === undefined || node.node === undefined) return 0;
  let sum = 0;
  for (const p of preferred) if (matchesNodeSelectorTerm(p.preference, node.node)) sum += p.weight;
  return sum;
}

/** Toleration of PreferNoSchedule only counts if the toleration names that effect or all effects. */
export function untoleratedPreferNoSchedule(pod: PodInfo, node: NodeInfo): number {
  let n = 0;
  for (const taint of node.softTaints) if (!toleratesAny(pod.tolerations, taint)) n++;
  return n;
}

/** Scales raw scores so the largest becomes 100 (all zero stays zero). */
export function normalizeToMax(scores: Float64Array, count: number): void {
  let max = 0;
  for (let i = 0; i < count; i++) max = Math.max(max, scores[i] ?? 0);
  if (max === 0) return;
  for (let i = 0; i < count; i++) scores[i] = ((scores[i] ?? 0) * 100) / max;
}

/** Scales raw penalties so the largest becomes 0 and none becomes 100. */
export function normalizeReversed(scores: Float64Array, count: number): void {
  let max = 0;
  for (let i = 0; i < count; i++) max = Math.max(max, scores[i] ?? 0);
  for (let i = 0; i < count; i++) scores[i] = max === 0 ? 100 : 100 - ((scores[i] ?? 0) * 100) / max;
}
