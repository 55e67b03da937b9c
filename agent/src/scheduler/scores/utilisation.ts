/**
 * Real utilisation: requests are promises, not load. A node whose measured cpu or memory use is high
 * gets a lower score even when its requests look light, so a busy box gets less new work. The score
 * is 100 × (1 − the busier of the projected cpu and memory fractions), projecting the pod's non-zero
 * request onto the measured usage. A node with no measurement falls back to its summed requests, so
 * nodes with and without metrics stay comparable.
 */
import type { NodeInfo } from '../node-info.ts';
import type { PodInfo } from '../pod-info.ts';

function projected(used: number, add: number, allocatable: number): number {
  if (allocatable <= 0) return 1;
  return Math.min(1, (used + add) / allocatable);
}

export function utilisationScore(pod: PodInfo, node: NodeInfo): number {
  const u = node.utilisation;
  const cpuUsed = u?.cpuMilli ?? node.nonZeroCpu;
  const memoryUsed = u?.memoryBytes ?? node.nonZeroMemory;
  const cpu = projected(cpuUsed, pod.nonZeroCpu, node.allocatable.cpu);
  const memory = projected(memoryUsed, pod.nonZeroMemory, node.allocatable.memory);
  return (1 - Math.max(cpu, memory)) * 100;
}
