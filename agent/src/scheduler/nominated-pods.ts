/**
 * Pods that preempted others and wait for the room they freed (status.nominatedNodeName). While
 * they wait, a cycle for any pod of lower or equal priority filters each node as if its nominated
 * pods were already there, so the room is not taken by someone less important (kube-scheduler's
 * nominator). A nomination ends when the pod is placed, deleted or nominated elsewhere.
 */
import type { PodInfo } from './pod-info.ts';

export class NominatedPods {
  private readonly byNode = new Map<string, Map<string, PodInfo>>();
  private readonly nodeByPod = new Map<string, string>();

  add(pod: PodInfo, nodeName: string): void {
    this.remove(pod.key);
    let pods = this.byNode.get(nodeName);
    if (pods === undefined) {
      pods = new Map();
      this.byNode.set(nodeName, pods);
    }
    pods.set(pod.key, pod);
    this.nodeByPod.set(pod.key, nodeName);
  }

  remove(key: string): void {
    const nodeName = this.nodeByPod.get(key);
    if (nodeName === undefined) return;
    this.nodeByPod.delete(key);
    const pods = this.byNode.get(nodeName);
    pods?.delete(key);
    if (pods?.size === 0) this.byNode.delete(nodeName);
  }

  nodeOf(key: string): string | undefined {
    return this.nodeByPod.get(key);
  }

  /** Pods nominated to `nodeName` that `pod` must leave room for: priority ≥ its own, not itself. */
  reservedFor(nodeName: string, pod: PodInfo): PodInfo[] {
    const pods = this.byNode.get(nodeName);
    if (pods === undefined) return [];
    const out: PodInfo[] = [];
    for (const p of pods.values()) if (p.key !== pod.key && p.priority >= pod.priority) out.push(p);
    return out;
  }

  /** Pods nominated to `nodeName` with priority below `priority` (they lose the nomination to a preemptor). */
  lowerThan(nodeName: string, priority: number): PodInfo[] {
    const pods = this.byNode.get(nodeName);
    return pods === undefined ? [] : [...pods.values()].filter((p) => p.priority < priority);
  }

  get size(): number {
    return this.nodeByPod.size;
  }
}
