import {
  compareVersions,
  type EndpointEntry,
  type EndpointView,
  type OriginState,
  type OriginVersion,
  type ServiceEndpoint,
  serviceKey,
} from '@kedge/proxy';

/** What merging one origin's announcement did to the table. */
export type MergeOutcome = 'applied' | 'stale' | 'dead-origin' | 'self';

/**
 * The cluster's service endpoint table as one agent sees it: pure state, no I/O, no clock.
 *
 * Each origin node owns its entries and versions them (incarnation, sequence); a newer
 * announcement from an origin replaces that origin's whole entry set, so messages may be lost,
 * repeated or reordered and every agent still converges on each origin's latest announcement.
 * An origin declared dead by membership is dropped and its old announcements are refused until it
 * is seen alive again.
 */
export class EndpointTable {
  readonly selfNodeId: string;
  #local: OriginState;
  readonly #remote = new Map<string, OriginState>();
  /** Origins declared dead, with the last version we held, so that late copies do not resurrect them. */
  readonly #dead = new Map<string, OriginVersion>();

  /**
   * `incarnation` is this agent's boot incarnation (its start time in ms); a persisted table whose
   * own entry is as new or newer moves it past that, so a restarted agent always supersedes itself.
   */
  constructor(selfNodeId: string, incarnation: number, persisted: readonly OriginState[] = []) {
    this.selfNodeId = selfNodeId;
    const ownOld = persisted.find((s) => s.nodeId === selfNodeId);
    const inc = ownOld && ownOld.incarnation >= incarnation ? ownOld.incarnation + 1 : incarnation;
    // Our pods usually outlive an agent restart: keep announcing the old entries until the kubelet
    // computes them afresh.
    this.#local = { nodeId: selfNodeId, incarnation: inc, sequence: 0, entries: ownOld?.entries ?? [] };
    for (const state of persisted) if (state.nodeId !== selfNodeId) this.#remote.set(state.nodeId, state);
  }

  /** This agent's own announcement. */
  localState(): OriginState {
    return this.#local;
  }

  /**
   * Replaces this agent's own entries. Returns the new announcement to gossip, or undefined when
   * nothing changed (so a kubelet may call this on every sync without flooding the cluster).
   */
  setLocalEntries(entries: readonly EndpointEntry[]): OriginState | undefined {
    const sorted = [...entries].sort(compareEntries);
    if (sameEntries(sorted, this.#local.entries)) return undefined;
    this.#local = { ...this.#local, sequence: this.#local.sequence + 1, entries: sorted };
    return this.#local;
  }

  /** Merges one origin's announcement (a delta or part of a full-state exchange). */
  merge(state: OriginState): MergeOutcome {
    if (state.nodeId === this.selfNodeId) return 'self';
    const deadAt = this.#dead.get(state.nodeId);
    if (deadAt && compareVersions(state, deadAt) <= 0) return 'dead-origin';
    const held = this.#remote.get(state.nodeId);
    if (held && compareVersions(state, held) <= 0) return 'stale';
    // A strictly newer version than the one it died with means the origin restarted or refuted.
    this.#dead.delete(state.nodeId);
    this.#remote.set(state.nodeId, { ...state, entries: [...state.entries].sort(compareEntries) });
    return 'applied';
  }

  /** Drops a dead origin's entries. Returns whether the view changed. */
  markDead(nodeId: string): boolean {
    if (nodeId === this.selfNodeId) return false;
    const held = this.#remote.get(nodeId);
    const prior = this.#dead.get(nodeId);
    const floor = held ?? prior ?? { incarnation: -1, sequence: -1 };
    this.#dead.set(nodeId, { incarnation: floor.incarnation, sequence: floor.sequence });
    this.#remote.delete(nodeId);
    return (held?.entries.length ?? 0) > 0;
  }

  /**
   * The origin was seen alive again (it refuted its death): its next announcement is admitted
   * even if it carries the version it died with, so an unchanged node comes back on its next digest.
   */
  markAlive(nodeId: string): void {
    this.#dead.delete(nodeId);
  }

  /** The version held for each origin (ours included): what a digest advertises. */
  versions(): Map<string, OriginVersion> {
    const out = new Map<string, OriginVersion>();
    out.set(this.selfNodeId, { incarnation: this.#local.incarnation, sequence: this.#local.sequence });
    for (const [id, s] of this.#remote) out.set(id, { incarnation: s.incarnation, sequence: s.sequence });
    return out;
  }

  /** Every origin's announcement, ours first: what is persisted and what anti-entropy carries. */
  states(): OriginState[] {
    return [this.#local, ...[...this.#remote.values()].sort((a, b) => a.nodeId.localeCompare(b.nodeId))];
  }

  /** The merged view per Service, in a deterministic order. */
  view(): EndpointView {
    const byService = new Map<string, ServiceEndpoint[]>();
    for (const state of this.states()) {
      const local = state.nodeId === this.selfNodeId;
      for (const e of state.entries) {
        const key = serviceKey(e.namespace, e.service);
        let list = byService.get(key);
        if (!list) {
          list = [];
          byService.set(key, list);
        }
        list.push(toServiceEndpoint(e, state.nodeId, local));
      }
    }
    for (const list of byService.values()) list.sort(compareServiceEndpoints);
    return byService;
  }
}

function toServiceEndpoint(e: EndpointEntry, nodeId: string, local: boolean): ServiceEndpoint {
  const out: {
    -readonly [K in keyof ServiceEndpoint]: ServiceEndpoint[K];
  } = { portName: e.portName, ip: e.ip, port: e.port, protocol: e.protocol, ready: e.ready, nodeId, local };
  if (e.podName !== undefined) out.podName = e.podName;
  if (e.hostname !== undefined) out.hostname = e.hostname;
  if (e.subdomain !== undefined) out.subdomain = e.subdomain;
  return out;
}

function entryKey(e: EndpointEntry): string {
  return `${e.namespace}/${e.service}/${e.portName}/${e.protocol}/${e.ip}/${e.port}`;
}

function compareEntries(a: EndpointEntry, b: EndpointEntry): number {
  const ka = entryKey(a);
  const kb = entryKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function compareServiceEndpoints(a: ServiceEndpoint, b: ServiceEndpoint): number {
  const ka = `${a.portName}/${a.protocol}/${a.ip}/${a.port}/${a.nodeId}`;
  const kb = `${b.portName}/${b.protocol}/${b.ip}/${b.port}/${b.nodeId}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function sameEntries(a: readonly EndpointEntry[], b: readonly EndpointEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (
      entryKey(x) !== entryKey(y) ||
      x.ready !== y.ready ||
      x.podName !== y.podName ||
      x.hostname !== y.hostname ||
      x.subdomain !== y.subdomain
    ) {
      return false;
    }
  }
  return true;
}
