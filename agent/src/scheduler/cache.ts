/**
 * The scheduler's view of the cluster, updated incrementally from watch events and from its own
 * decisions. A pod placed by a cycle is *assumed* onto its node at once (so the next cycle sees the
 * room it takes) while the binding is still being committed; the watch later confirms it, or a
 * failed binding forgets it. This is kube-scheduler's cache, with the snapshot being the cache
 * itself (see snapshot.ts for why no copy is taken).
 *
 *   Node ADDED/MODIFIED ──> NodeInfo.setNode          Node DELETED ──> drop (kept while pods remain)
 *   Pod bound, running  ──> NodeInfo.addPod           Pod DELETED or finished ──> removePod
 *   assumePod ──> addPod (assumed) ──> watch shows it bound ──> confirmed
 *                                 └──> forgetPod (binding failed) ──> removePod
 */

import type { Selector } from '../api/label-selector.ts';
import type { Namespace, Node, PersistentVolume, PersistentVolumeClaim } from '../api/types/core.ts';
import type { Pod } from '../api/types/pod.ts';
import { type ClusterEvent, isAssigned, isTerminal } from './cluster-events.ts';
import { antiAffinityKeys, LabelIndex } from './label-index.ts';
import { describeNodeInfo, NodeInfo, type NodeUtilisation } from './node-info.ts';
import { compilePod, type PodInfo, podKey } from './pod-info.ts';
import type { Snapshot } from './snapshot.ts';

interface PodState {
  info: PodInfo;
  nodeName: string;
  /** Placed by this scheduler and not yet seen bound in the store. */
  assumed: boolean;
}

/** An operation the cache refuses, with what to do about it. */
export interface CacheError {
  readonly kind: 'Conflict' | 'NotFound';
  readonly message: string;
}

const byName = (a: NodeInfo, b: NodeInfo): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export class SchedulerCache implements Snapshot {
  private readonly infos = new Map<string, NodeInfo>();
  /** Nodes with a Node object, sorted by name so that results do not depend on event order. */
  private sortedNodes: NodeInfo[] = [];
  private readonly podStates = new Map<string, PodState>();
  private readonly claims = new Map<string, PersistentVolumeClaim>();
  private readonly volumes = new Map<string, PersistentVolume>();
  private readonly namespaces = new Map<string, Readonly<Record<string, string>>>();
  private antiAffinityPods = 0;
  private readonly podsByLabel = new LabelIndex();
  private readonly antiAffinityIndex = new LabelIndex();

  /** A cache holding exactly these objects (what a fresh list would build). */
  static fromObjects(objects: {
    nodes?: readonly Node[];
    pods?: readonly Pod[];
    claims?: readonly PersistentVolumeClaim[];
    volumes?: readonly PersistentVolume[];
    namespaces?: readonly Namespace[];
  }): SchedulerCache {
    const c = new SchedulerCache();
    for (const object of objects.nodes ?? []) c.apply({ kind: 'Node', type: 'ADDED', object });
    for (const object of objects.pods ?? []) c.apply({ kind: 'Pod', type: 'ADDED', object });
    for (const object of objects.claims ?? [])
      c.apply({ kind: 'PersistentVolumeClaim', type: 'ADDED', object });
    for (const object of objects.volumes ?? []) c.apply({ kind: 'PersistentVolume', type: 'ADDED', object });
    for (const object of objects.namespaces ?? []) c.apply({ kind: 'Namespace', type: 'ADDED', object });
    return c;
  }

  // Snapshot

  get nodes(): readonly NodeInfo[] {
    return this.sortedNodes;
  }
  nodeInfo(name: string): NodeInfo | undefined {
    const info = this.infos.get(name);
    return info?.node === undefined ? undefined : info;
  }
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined {
    return this.claims.get(`${namespace}/${name}`);
  }
  volume(name: string): PersistentVolume | undefined {
    return this.volumes.get(name);
  }
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined {
    return this.namespaces.get(namespace);
  }
  get podsWithRequiredAntiAffinity(): number {
    return this.antiAffinityPods;
  }
  podsSelectableBy(selector: Selector): Iterable<PodInfo> {
    return this.podsByLabel.candidatesFor(selector) ?? [...this.podStates.values()].map((s) => s.info);
  }
  antiAffinityPodsFor(labels: Readonly<Record<string, string>>): Iterable<PodInfo> {
    return this.antiAffinityIndex.underAnyOf(labels);
  }
  nodeOfPod(key: string): NodeInfo | undefined {
    const st = this.podStates.get(key);
    return st === undefined ? undefined : this.infos.get(st.nodeName);
  }

  // Watch events

  apply(e: ClusterEvent): void {
    switch (e.kind) {
      case 'Node':
        if (e.type === 'DELETED') this.removeNode(e.object.metadata.name ?? '');
        else this.upsertNode(e.object);
        return;
      case 'Pod':
        if (e.type === 'DELETED') this.removePod(podKey(e.object));
        else this.observePod(e.object);
        return;
      case 'PersistentVolumeClaim': {
        const key = `${e.object.metadata.namespace ?? 'default'}/${e.object.metadata.name ?? ''}`;
        if (e.type === 'DELETED') this.claims.delete(key);
        else this.claims.set(key, e.object);
        return;
      }
      case 'PersistentVolume':
        if (e.type === 'DELETED') this.volumes.delete(e.object.metadata.name ?? '');
        else this.volumes.set(e.object.metadata.name ?? '', e.object);
        return;
      case 'Namespace':
        if (e.type === 'DELETED') this.namespaces.delete(e.object.metadata.name ?? '');
        else this.namespaces.set(e.object.metadata.name ?? '', e.object.metadata.labels ?? {});
        return;
      case 'NodeUtilisation':
        this.setUtilisation(e.nodeName, e.utilisation);
        return;
    }
  }

  private upsertNode(node: Node): void {
    const name = node.metadata.name ?? '';
    let info = this.infos.get(name);
    if (info === undefined) {
      info = new NodeInfo(name);
      this.infos.set(name, info);
    }
    const wasListed = info.node !== undefined;
    info.setNode(node);
    if (!wasListed) {
      this.sortedNodes.push(info);
      this.sortedNodes.sort(byName);
    }
  }

  private removeNode(name: string): void {
    const info = this.infos.get(name);
    if (info === undefined || info.node === undefined) return;
    info.setNode(undefined);
    info.utilisation = undefined;
    this.sortedNodes = this.sortedNodes.filter((n) => n !== info);
    // Pods may still point at it until their own deletions arrive; keep their accounting until then.
    if (info.pods.size === 0) this.infos.delete(name);
  }

  private setUtilisation(nodeName: string, u: NodeUtilisation | undefined): void {
    const info = this.infos.get(nodeName);
    if (info?.node !== undefined) info.utilisation = u;
  }

  /** An added or modified pod: bound and running pods occupy their node; others do not. */
  private observePod(pod: Pod): void {
    const key = podKey(pod);
    const known = this.podStates.get(key);
    if (isTerminal(pod)) {
      this.removePod(key);
      return;
    }
    if (!isAssigned(pod)) {
      // An assumed pod is unbound in the store until its binding commits: keep the assumption.
      if (known !== undefined && !known.assumed) this.removePod(key);
      return;
    }
    this.place(compilePod(pod), pod.spec.nodeName ?? '', false);
  }

  private place(info: PodInfo, nodeName: string, assumed: boolean): void {
    this.removePod(info.key);
    let node = this.infos.get(nodeName);
    if (node === undefined) {
      node = new NodeInfo(nodeName);
      this.infos.set(nodeName, node);
    }
    node.addPod(info);
    this.podsByLabel.add(info);
    if (info.requiredAntiAffinity.length > 0) {
      this.antiAffinityPods++;
      this.antiAffinityIndex.add(info, antiAffinityKeys(info));
    }
    this.podStates.set(info.key, { info, nodeName, assumed });
  }

  private removePod(key: string): void {
    const st = this.podStates.get(key);
    if (st === undefined) return;
    this.podStates.delete(key);
    this.podsByLabel.remove(st.info);
    if (st.info.requiredAntiAffinity.length > 0) {
      this.antiAffinityPods--;
      this.antiAffinityIndex.remove(st.info, antiAffinityKeys(st.info));
    }
    const node = this.infos.get(st.nodeName);
    if (node === undefined) return;
    node.removePod(key);
    if (node.node === undefined && node.pods.size === 0) this.infos.delete(st.nodeName);
  }

  // The scheduler's own decisions

  /** Places a pod optimistically before its binding commits. */
  assumePod(info: PodInfo, nodeName: string): CacheError | undefined {
    if (this.podStates.has(info.key))
      return {
        kind: 'Conflict',
        message: `pod ${info.namespace}/${info.name} is already in the scheduler cache; it was bound or assumed before, do not schedule it again`,
      };
    this.place(info, nodeName, true);
    return undefined;
  }

  /** The binding failed: undo the assumption so the room it took is free again. */
  forgetPod(key: string): CacheError | undefined {
    const st = this.podStates.get(key);
    if (st === undefined || !st.assumed)
      return {
        kind: 'NotFound',
        message: `pod ${key} is not assumed in the scheduler cache (already confirmed or removed); nothing to forget`,
      };
    this.removePod(key);
    return undefined;
  }

  isAssumed(key: string): boolean {
    return this.podStates.get(key)?.assumed === true;
  }

  /** Is the pod (bound or assumed) in the cache? */
  has(key: string): boolean {
    return this.podStates.has(key);
  }

  podInfo(key: string): PodInfo | undefined {
    return this.podStates.get(key)?.info;
  }

  nodeOf(key: string): string | undefined {
    return this.podStates.get(key)?.nodeName;
  }

  /** Pods in the cache, bound or assumed. */
  podCount(): number {
    return this.podStates.size;
  }

  /** A canonical description of everything the cache holds, for equality checks. */
  describe(): unknown {
    const infos = [...this.infos.values()].sort(byName).map(describeNodeInfo);
    const pods = [...this.podStates.entries()]
      .map(([k, s]) => [k, s.nodeName, s.assumed] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      nodes: infos,
      listed: this.sortedNodes.map((n) => n.name),
      pods,
      claims: [...this.claims.keys()].sort(),
      volumes: [...this.volumes.keys()].sort(),
      namespaces: [...this.namespaces.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      antiAffinityPods: this.antiAffinityPods,
    };
  }
}
