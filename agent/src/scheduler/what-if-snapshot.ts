/**
 * The snapshot as it would be with some pods gone from one node: preemption's what-if. Node
 * `replaced` stands in for its original (a NodeInfo clone whose pods are being tried), and the pods
 * in `removed` vanish from every index, so per-pod state (inter-pod affinity counts, spread counts)
 * prepared over this view sees the node without its victims.
 */
import type { Selector } from '../api/label-selector.ts';
import type { PersistentVolume, PersistentVolumeClaim } from '../api/types/core.ts';
import type { NodeInfo } from './node-info.ts';
import type { PodInfo } from './pod-info.ts';
import type { Snapshot } from './snapshot.ts';

export class WhatIfSnapshot implements Snapshot {
  private readonly base: Snapshot;
  private readonly replaced: NodeInfo;
  private readonly removed: ReadonlySet<string>;
  readonly nodes: readonly NodeInfo[];

  constructor(base: Snapshot, replaced: NodeInfo, removed: ReadonlySet<string>) {
    this.base = base;
    this.replaced = replaced;
    this.removed = removed;
    this.nodes = base.nodes.map((n) => (n.name === replaced.name ? replaced : n));
  }

  nodeInfo(name: string): NodeInfo | undefined {
    return name === this.replaced.name ? this.replaced : this.base.nodeInfo(name);
  }
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined {
    return this.base.claim(namespace, name);
  }
  volume(name: string): PersistentVolume | undefined {
    return this.base.volume(name);
  }
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined {
    return this.base.namespaceLabels(namespace);
  }
  /** An upper bound: a gate that only decides whether the scan runs. */
  get podsWithRequiredAntiAffinity(): number {
    return this.base.podsWithRequiredAntiAffinity;
  }
  *podsSelectableBy(selector: Selector): Iterable<PodInfo> {
    for (const p of this.base.podsSelectableBy(selector)) if (!this.removed.has(p.key)) yield p;
  }
  *antiAffinityPodsFor(labels: Readonly<Record<string, string>>): Iterable<PodInfo> {
    for (const p of this.base.antiAffinityPodsFor(labels)) if (!this.removed.has(p.key)) yield p;
  }
  nodeOfPod(key: string): NodeInfo | undefined {
    if (this.removed.has(key)) return undefined;
    const n = this.base.nodeOfPod(key);
    return n !== undefined && n.name === this.replaced.name ? this.replaced : n;
  }
}
