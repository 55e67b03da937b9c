/**
 * Node lifecycle timing. Kubernetes' defaults (40 s without a heartbeat, then 300 s of default
 * toleration) take about six minutes to replace the pods of a dead machine; an edge cluster wants
 * seconds when a box is really dead, yet no churn when a flaky uplink drops for a few seconds.
 * kedge therefore tells the two apart: gossip's failure detector (which probes the box from
 * several peers and only declares it dead after its suspicion timeout) is strong evidence, a
 * missed heartbeat alone is weak evidence.
 */
export interface NodeLifecycleConfig {
  /**
   * No heartbeat (node Lease renewal or the Ready condition's lastHeartbeatTime) for this long:
   * the node is Unknown and tainted unreachable. Default 10 s: five missed 2 s Lease renewals.
   */
  readonly heartbeatGraceSeconds: number;
  /**
   * Pods that do not tolerate `unreachable` are evicted this long after the taint. Default 30 s:
   * a blip shorter than grace + this (40 s) moves nothing, and the node keeps running its pods.
   */
  readonly unreachableEvictionSeconds: number;
  /**
   * Pods that do not tolerate `not-ready` (the kubelet is alive but reports NotReady: runtime
   * down, disk pressure) are evicted this long after the taint. Default 30 s.
   */
  readonly notReadyEvictionSeconds: number;
  /**
   * When gossip declares the node dead, pods that do not tolerate `unreachable` are evicted this
   * long after that verdict. Default 1 s: the detector already waited out its suspicion, and the
   * target is replacement pods running within 5 s of the machine dying.
   */
  readonly deadEvictionSeconds: number;
  /**
   * Pods evicted from a node that gossip declares dead are force-deleted (grace 0): nobody is left
   * to confirm their termination, and a returning kubelet removes containers of pods that no longer
   * exist. On merely unreachable or NotReady nodes eviction is graceful. Default true.
   */
  readonly forceDeleteOnDead: boolean;
}

export const DEFAULT_NODE_LIFECYCLE: NodeLifecycleConfig = {
  heartbeatGraceSeconds: 10,
  unreachableEvictionSeconds: 30,
  notReadyEvictionSeconds: 30,
  deadEvictionSeconds: 1,
  forceDeleteOnDead: true,
};

export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** Gossip's view of a node, when it has one. */
export type GossipHealth = 'alive' | 'suspect' | 'dead';

/** Failure detection from outside the store (gossip membership). */
export interface NodeHealthSource {
  health(node: string): GossipHealth | undefined;
  /** Calls `listener` with a node's name whenever its health changes; returns an unsubscribe. */
  subscribe(listener: (node: string) => void): () => void;
}
