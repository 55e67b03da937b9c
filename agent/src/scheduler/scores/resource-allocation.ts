/**
 * Request-based scores. Least-allocated prefers the node with the most room left after the pod
 * (spreads load); balanced allocation prefers the node whose cpu and memory fractions stay closest
 * (avoids stranding one resource). Both 0..100, as kube-scheduler's NodeResourcesFit/BalancedAllocation.
 */
import type { NodeInfo } from '../node-info.ts';
import type { PodInfo } from '../pod-info.ts';

function freeShare(allocatable: number, requested: number): number {
  if (allocatable <= 0 || requested > allocatable) return 0;
  return ((allocatable - requested) * 100) / allocatable;
}

/** Mean over cpu and memory of the free share after placing the pod (non-zero requests). */
export function leastAllocated(pod: PodInfo, node: NodeInfo): number {
  const cpu = freeShare(node.allocatable.cpu, node.nonZeroCpu + pod.nonZeroCpu);
  const memory = freeShare(node.allocatable.memory, node.nonZeroMemory + pod.nonZeroMemory);
  return (cpu + memory) / 2;
}

function fraction(requested: number, allocatable: number): number {
  if (allocatable <= 0) return 1;
  return Math.min(1, requested / allocatable);
}

/** 100 × (1 − standard deviation of the cpu and memory fractions after placing the pod). */
export function balancedAllocation(pod: PodInfo, node: NodeInfo): number {
  const cpu = fraction(node.requested.cpu + pod.requests.cpu, node.allocatable.cpu);
  const memory = fraction(node.requested.memory + pod.requests.memory, node.allocatable.memory);
  // For two values the standard deviation is half their distance.
  return (1 - Math.abs(cpu - memory) / 2) * 100;
}
