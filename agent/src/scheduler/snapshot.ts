/**
 * The read-only view a scheduling cycle works on. The cache implements it; a cycle is synchronous
 * (filter, score, assume happen without yielding), so the view cannot change under a cycle in
 * single-threaded JavaScript and no copy is needed (kube-scheduler copies because it is concurrent).
 */

import type { Selector } from '../api/label-selector.ts';
import type { PersistentVolume, PersistentVolumeClaim } from '../api/types/core.ts';
import type { NodeInfo } from './node-info.ts';
import type { PodInfo } from './pod-info.ts';

export interface Snapshot {
  /** Nodes that exist (a Node object is known), in a stable order. */
  readonly nodes: readonly NodeInfo[];
  nodeInfo(name: string): NodeInfo | undefined;
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  /** Labels of a namespace, for affinity terms with a namespaceSelector. */
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  /** How many pods carry required anti-affinity (0 lets a cycle skip the scan for them). */
  readonly podsWithRequiredAntiAffinity: number;
  /** Placed pods that may match `selector` (a superset; all pods when it cannot be narrowed). */
  podsSelectableBy(selector: Selector): Iterable<PodInfo>;
  /** Placed pods with required anti-affinity whose terms may select a pod with these labels (a superset). */
  antiAffinityPodsFor(labels: Readonly<Record<string, string>>): Iterable<PodInfo>;
  /** The node a placed pod is on. */
  nodeOfPod(key: string): NodeInfo | undefined;
}
