/**
 * What the scheduler knows about one node: the Node object, the pods bound (or assumed) to it, and
 * aggregates kept up to date as pods come and go, so that a filter or score is O(1) in the pods on
 * the node: summed requests, used host ports, pods per controlling owner, and the measured usage.
 */
import type { Node, Taint } from '../api/types/core.ts';
import type { PodInfo } from './pod-info.ts';
import {
  addInto,
  cloneResources,
  emptyResources,
  fromResourceList,
  PODS,
  type Resources,
} from './resources.ts';

/** Measured usage reported for the node (cpu in millicores, memory working set in bytes). */
export interface NodeUtilisation {
  readonly cpuMilli: number;
  readonly memoryBytes: number;
}

export const ZONE_LABEL = 'topology.kubernetes.io/zone';

function portKey(protocol: string, port: number): string {
  return `${protocol}/${port}`;
}

export class NodeInfo {
  readonly name: string;
  /** Undefined while the node is unknown or deleted but pods still reference it. */
  node: Node | undefined = undefined;
  allocatable: Resources = emptyResources();
  allowedPods = 0;
  ready = false;
  unschedulable = false;
  /** NoSchedule and NoExecute taints: these filter. */
  hardTaints: readonly Taint[] = [];
  /** PreferNoSchedule taints: these only lower the score. */
  softTaints: readonly Taint[] = [];
  zone: string | undefined = undefined;

  readonly pods = new Map<string, PodInfo>();
  requested: Resources = emptyResources();
  nonZeroCpu = 0;
  nonZeroMemory = 0;
  /** `protocol/port` -> host IP -> number of pods using it. */
  readonly usedPorts = new Map<string, Map<string, number>>();
  /** Controlling owner uid -> pods of that owner on this node. */
  readonly ownerCounts = new Map<string, number>();
  /** Pods here with required pod anti-affinity terms (these constrain every incoming pod). */
  readonly podsWithRequiredAntiAffinity = new Set<PodInfo>();
  utilisation: NodeUtilisation | undefined = undefined;

  constructor(name: string) {
    this.name = name;
  }

  setNode(node: Node | undefined): void {
    this.node = node;
    if (node === undefined) {
      // A deleted node offers nothing, even while its pods' deletions are still on the way.
      this.allocatable = emptyResources();
      this.allowedPods = 0;
      this.ready = false;
      this.unschedulable = false;
      this.hardTaints = [];
      this.softTaints = [];
      this.zone = undefined;
      return;
    }
    const alloc = node.status?.allocatable ?? node.status?.capacity;
    this.allocatable = fromResourceList(alloc);
    const pods = alloc?.[PODS];
    this.allowedPods = pods === undefined ? 0 : Number.parseInt(pods, 10) || 0;
    const readyCond = node.status?.conditions?.find((c) => c.type === 'Ready');
    this.ready = readyCond?.status === 'True';
    this.unschedulable = node.spec?.unschedulable === true;
    const taints = node.spec?.taints ?? [];
    this.hardTaints = taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
    this.softTaints = taints.filter((t) => t.effect === 'PreferNoSchedule');
    this.zone = node.metadata.labels?.[ZONE_LABEL];
  }

  get labels(): Readonly<Record<string, string>> {
    return this.node?.metadata.labels ?? {};
  }

  addPod(p: PodInfo): void {
    this.removePod(p.key);
    this.pods.set(p.key, p);
    this.account(p, 1);
  }

  /** Removes a pod by key; false if it was not here. */
  removePod(key: string): boolean {
    const p = this.pods.get(key);
    if (p === undefined) return false;
    this.pods.delete(key);
    this.account(p, -1);
    return true;
  }

  private account(p: PodInfo, sign: 1 | -1): void {
    addInto(this.requested, p.requests, sign);
    this.nonZeroCpu += sign * p.nonZeroCpu;
    this.nonZeroMemory += sign * p.nonZeroMemory;
    for (const hp of p.hostPorts) {
      const k = portKey(hp.protocol, hp.port);
      let ips = this.usedPorts.get(k);
      if (ips === undefined) {
        ips = new Map();
        this.usedPorts.set(k, ips);
      }
      const n = (ips.get(hp.ip) ?? 0) + sign;
      if (n > 0) ips.set(hp.ip, n);
      else ips.delete(hp.ip);
      if (ips.size === 0) this.usedPorts.delete(k);
    }
    if (p.ownerUid !== undefined) {
      const n = (this.ownerCounts.get(p.ownerUid) ?? 0) + sign;
      if (n > 0) this.ownerCounts.set(p.ownerUid, n);
      else this.ownerCounts.delete(p.ownerUid);
    }
    if (p.requiredAntiAffinity.length > 0) {
      if (sign > 0) this.podsWithRequiredAntiAffinity.add(p);
      else this.podsWithRequiredAntiAffinity.delete(p);
    }
  }

  /** Is this host port (with this IP) already taken? 0.0.0.0 conflicts with every address. */
  portInUse(protocol: string, port: number, ip: string): boolean {
    const ips = this.usedPorts.get(portKey(protocol, port));
    if (ips === undefined) return false;
    if (ip === '0.0.0.0') return true;
    return ips.has(ip) || ips.has('0.0.0.0');
  }

  /** A copy whose pod set can change without touching this one (preemption's what-if). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.setNode(this.node);
    c.allocatable = cloneResources(this.allocatable);
    c.allowedPods = this.allowedPods;
    for (const p of this.pods.values()) c.addPod(p);
    c.utilisation = this.utilisation;
    return c;
  }
}

/** A canonical, comparable description of a NodeInfo's aggregates (for tests and debugging). */
export function describeNodeInfo(n: NodeInfo): unknown {
  const sorted = <V>(m: Map<string, V>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    name: n.name,
    hasNode: n.node !== undefined,
    ready: n.ready,
    unschedulable: n.unschedulable,
    allocatable: { ...n.allocatable, scalars: sorted(n.allocatable.scalars) },
    allowedPods: n.allowedPods,
    pods: [...n.pods.keys()].sort(),
    requested: { ...n.requested, scalars: sorted(n.requested.scalars) },
    nonZero: [n.nonZeroCpu, n.nonZeroMemory],
    usedPorts: sorted(n.usedPorts).map(([k, ips]) => [k, sorted(ips)]),
    ownerCounts: sorted(n.ownerCounts),
    antiAffinityPods: [...n.podsWithRequiredAntiAffinity].map((p) => p.key).sort(),
    utilisation: n.utilisation,
  };
}
