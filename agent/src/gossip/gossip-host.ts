import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import type { EndpointEntry, EndpointView, OriginState } from '@kedge/proxy';
import { type GossipSub, gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Libp2p, PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { preSharedKey } from '@libp2p/pnet';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { ClusterGater } from './cluster-gater.ts';
import { EndpointTable } from './endpoint-table.ts';
import { EndpointTableFile } from './endpoint-table-file.ts';
import { GossipError } from './gossip-error.ts';
import { decodeMessage, encodeMessage, type GossipMessage } from './gossip-messages.ts';
import { defaultLocalHealth, LocalHealth } from './local-health.ts';
import { type MemberEvent, Membership, type MemberUpdate } from './membership.ts';
import type { NodeIdentity } from './node-identity.ts';
import { ProbeProtocol } from './probe-protocol.ts';
import { defaultProbeTiming, type ProbeTiming, SwimProber } from './swim-prober.ts';

export const ENDPOINTS_TOPIC = 'kedge/endpoints/1';
export const MEMBERS_TOPIC = 'kedge/members/1';

/** One entry of the cluster's member list: node name -> peer id (and where to reach it). */
export interface ClusterMember {
  readonly nodeId: string;
  readonly peerId: string;
  /** Multiaddrs without /p2p, e.g. /ip4/127.0.0.2/tcp/7946. */
  readonly addresses: readonly string[];
}

export interface GossipTiming extends ProbeTiming {
  /** gossipsub heartbeat: mesh upkeep; a short one forms the mesh fast. */
  readonly heartbeatMs: number;
  /** Anti-entropy: every agent re-announces its own entries and its membership view this often. */
  readonly fullStateIntervalMs: number;
  /** Members we are not connected to are dialled again this often (partitions heal, restarts return). */
  readonly reconnectIntervalMs: number;
  /** Suspicion timeout once enough members confirmed it (Lifeguard). */
  readonly suspicionMinMs: number;
  /** Suspicion timeout while only we suspect the member: time for a slow one to refute. */
  readonly suspicionMaxMs: number;
  /** Independent confirmations that bring the suspicion timeout down to the minimum. */
  readonly suspicionConfirmations: number;
  /** Local health score cap: probe period and timeouts stretch up to (score + 1) times. */
  readonly healthMaxScore: number;
  /** Timer drift beyond this counts as a lagging event loop (raises the local health score). */
  readonly lagThresholdMs: number;
}

export const defaultGossipTiming: GossipTiming = {
  ...defaultProbeTiming,
  heartbeatMs: 250,
  fullStateIntervalMs: 2000,
  reconnectIntervalMs: 1000,
  suspicionMinMs: 1000,
  suspicionMaxMs: 5000,
  suspicionConfirmations: 3,
  healthMaxScore: defaultLocalHealth.maxScore,
  lagThresholdMs: defaultLocalHealth.lagThresholdMs,
};

export interface GossipHostOptions {
  readonly nodeId: string;
  readonly identity: NodeIdentity;
  /** Where to listen, e.g. ['/ip4/127.0.0.2/tcp/7946']. */
  readonly listen: readonly string[];
  /** The cluster's member list (this node may be in it). */
  readonly members: readonly ClusterMember[];
  /** Where the endpoint table is persisted. */
  readonly dataDir: string;
  /** The cluster's pre-shared key (libp2p pnet "swarm.key" format) for a private network; optional. */
  readonly preSharedKey?: Uint8Array;
  readonly timing?: Partial<GossipTiming>;
  /** This boot's incarnation; defaults to the clock, which orders restarts. */
  readonly incarnation?: number;
}

export interface GossipHostEvents {
  /** A member's status changed: what the node lifecycle controller consumes. */
  member: CustomEvent<MemberEvent>;
  /** The merged endpoint view changed: what the proxy consumes. */
  endpoints: CustomEvent<EndpointView>;
}

type Services = { identify: unknown; pubsub: GossipSub };

/**
 * One agent's gossip: a libp2p host (TCP, Noise, yamux, identify, ping, gossipsub) admitting only
 * cluster members, SWIM membership over it, and the endpoint table kept in step by deltas and
 * periodic full-state announcements, persisted so that a restart serves traffic at once.
 */
export class GossipHost extends EventTarget {
  readonly nodeId: string;
  readonly table: EndpointTable;
  readonly membership: Membership;
  /** Lifeguard's Local Health Multiplier: how much this agent distrusts its own timing right now. */
  readonly health: LocalHealth;
  readonly gater: ClusterGater;
  readonly #o: GossipHostOptions;
  readonly #timing: GossipTiming;
  readonly #file: EndpointTableFile;
  #members = new Map<string, ClusterMember>();
  #nodeByPeer = new Map<string, string>();
  #libp2p: Libp2p<Services> | undefined;
  #prober: SwimProber | undefined;
  #timers: NodeJS.Timeout[] = [];
  #saving: Promise<void> = Promise.resolve();
  #saveQueued = false;
  #announceSoon: NodeJS.Timeout | undefined;

  private constructor(options: GossipHostOptions, persisted: readonly OriginState[]) {
    super();
    this.#o = options;
    this.nodeId = options.nodeId;
    this.#timing = { ...defaultGossipTiming, ...options.timing };
    this.#file = new EndpointTableFile(options.dataDir);
    const incarnation = options.incarnation ?? Date.now();
    this.table = new EndpointTable(options.nodeId, incarnation, persisted);
    this.membership = new Membership({
      selfNodeId: options.nodeId,
      selfIncarnation: this.table.localState().incarnation,
      members: options.members.map((m) => m.nodeId),
      suspicion: {
        minMs: this.#timing.suspicionMinMs,
        maxMs: this.#timing.suspicionMaxMs,
        confirmations: this.#timing.suspicionConfirmations,
      },
    });
    this.health = new LocalHealth({
      maxScore: this.#timing.healthMaxScore,
      lagThresholdMs: this.#timing.lagThresholdMs,
    });
    this.gater = new ClusterGater([]);
    this.#indexMembers(options.members);
  }

  /** Loads the persisted table and builds the host (not started). */
  static async create(options: GossipHostOptions): Promise<GossipHost | GossipError> {
    const persisted = await new EndpointTableFile(options.dataDir).load();
    if (persisted instanceof GossipError) return persisted;
    return new GossipHost(options, persisted);
  }

  /** The multiaddrs this host listens on (with /p2p), once started. */
  addresses(): string[] {
    return this.#libp2p?.getMultiaddrs().map((a) => a.toString()) ?? [];
  }

  view(): EndpointView {
    return this.table.view();
  }

  connectedNodes(): string[] {
    const out = new Set<string>();
    for (const c of this.#libp2p?.getConnections() ?? []) {
      const node = this.#nodeByPeer.get(c.remotePeer.toString());
      if (node) out.add(node);
    }
    return [...out].sort();
  }

  async start(): Promise<void> {
    const t = this.#timing;
    const libp2p = await createLibp2p({
      privateKey: this.#o.identity.privateKey,
      addresses: { listen: [...this.#o.listen] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: this.gater,
      ...(this.#o.preSharedKey ? { connectionProtector: preSharedKey({ psk: this.#o.preSharedKey }) } : {}),
      connectionManager: { dialTimeout: 2000 },
      services: {
        identify: identify(),
        pubsub: gossipsub({
          heartbeatInterval: t.heartbeatMs,
          floodPublish: true,
          allowPublishToZeroTopicPeers: true,
          emitSelf: false,
        }),
      },
    });
    this.#libp2p = libp2p;
    await this.#rememberAddresses();
    const pubsub = libp2p.services.pubsub;
    pubsub.subscribe(ENDPOINTS_TOPIC);
    pubsub.subscribe(MEMBERS_TOPIC);
    pubsub.addEventListener('message', (evt) => {
      const msg = evt.detail;
      if (msg.type !== 'signed') return;
      this.#receive(msg.from.toString(), msg.data);
    });
    // A peer that (re)subscribes has just joined or restarted: give it our state without waiting.
    pubsub.addEventListener('subscription-change', () => this.#scheduleAnnounce());
    libp2p.addEventListener('peer:disconnect', (evt) => {
      const node = this.#nodeByPeer.get(evt.detail.toString());
      if (node && this.membership.status(node) !== 'dead') void this.#prober?.probe(node);
    });
    const probes = new ProbeProtocol({
      libp2p,
      peerOf: (nodeId) => this.#peerOf(nodeId),
      onPinged: (suspectedAt) => this.#prober?.pinged(suspectedAt) ?? this.membership.selfIncarnation,
    });
    await probes.handle();

    this.#prober = new SwimProber({
      membership: this.membership,
      timing: t,
      health: this.health,
      transport: probes,
      gossip: (updates) => this.#publishMembers(updates),
      report: (events) => this.#onMemberEvents(events),
    });
    await libp2p.start();
    this.#prober.start();
    this.#dialMissing();
    this.#timers.push(setInterval(() => this.#dialMissing(), t.reconnectIntervalMs));
    this.#timers.push(setInterval(() => this.#announceFullState(), t.fullStateIntervalMs));
    this.#announceFullState();
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    clearTimeout(this.#announceSoon);
    this.#prober?.stop();
    await this.#libp2p?.stop();
    await this.#saving;
  }

  /** The kubelet's report of this node's endpoints; gossiped at once if they changed. */
  setLocalEndpoints(entries: readonly EndpointEntry[]): void {
    const delta = this.table.setLocalEntries(entries);
    if (!delta) return;
    this.#publish(ENDPOINTS_TOPIC, { type: 'endpoints', full: false, state: delta });
    this.#tableChanged();
  }

  /** A member as the member list has it (its gossip addresses), or undefined if it is not on it. */
  member(nodeId: string): ClusterMember | undefined {
    return this.#members.get(nodeId);
  }

  /** Replaces the cluster's member list (admission and probing follow it). */
  async setMembers(members: readonly ClusterMember[]): Promise<void> {
    this.#indexMembers(members);
    this.membership.setMembers(members.map((m) => m.nodeId));
    await this.#rememberAddresses();
    for (const c of this.#libp2p?.getConnections() ?? []) {
      if (!this.gater.isAllowed(c.remotePeer)) await c.close();
    }
  }

  #indexMembers(members: readonly ClusterMember[]): void {
    this.#members = new Map(members.map((m) => [m.nodeId, m]));
    this.#nodeByPeer = new Map(members.map((m) => [m.peerId, m.nodeId]));
    this.gater.setAllowed(members.map((m) => m.peerId));
  }

  async #rememberAddresses(): Promise<void> {
    const libp2p = this.#libp2p;
    if (!libp2p) return;
    for (const m of this.#members.values()) {
      if (m.nodeId === this.nodeId || m.addresses.length === 0) continue;
      await libp2p.peerStore.merge(peerIdFromString(m.peerId), {
        multiaddrs: m.addresses.map((a) => multiaddr(a)),
      });
    }
  }

  #peerOf(nodeId: string): PeerId | GossipError {
    const m = this.#members.get(nodeId);
    if (!m) return new GossipError('NotFound', `node ${nodeId} is not in the cluster member list`);
    return peerIdFromString(m.peerId);
  }

  #dialMissing(): void {
    const libp2p = this.#libp2p;
    if (!libp2p) return;
    const connected = new Set(libp2p.getConnections().map((c) => c.remotePeer.toString()));
    for (const m of this.#members.values()) {
      if (m.nodeId === this.nodeId || connected.has(m.peerId) || m.addresses.length === 0) continue;
      libp2p.dial(peerIdFromString(m.peerId), { signal: AbortSignal.timeout(2000) }).catch(() => {
        // Unreachable members are membership's business (probes decide); we simply retry next round.
      });
    }
  }

  #receive(fromPeer: string, data: Uint8Array): void {
    const from = this.#nodeByPeer.get(fromPeer);
    if (!from) return; // the gater admits members only; a relayed foreign message is dropped
    const msg = decodeMessage(data);
    if (msg instanceof GossipError) {
      console.warn(`kedge gossip: dropped a message from ${from}: ${msg.message}`);
      return;
    }
    if (msg.type === 'members') {
      // A non-digest message is the signer's own observation (its suspicion, its refutation):
      // gossipsub relays keep the original signer, so it counts once as a Lifeguard confirmation.
      this.#prober?.hear(msg.updates, from, !msg.digest);
      return;
    }
    // Signed by the sender: an origin may only announce its own entries.
    if (msg.state.nodeId !== from) return;
    if (this.membership.status(from) === 'dead') return;
    if (this.table.merge(msg.state) === 'applied') this.#tableChanged();
  }

  #onMemberEvents(events: MemberEvent[]): void {
    let changed = false;
    for (const e of events) {
      if (e.status === 'dead') changed = this.table.markDead(e.nodeId) || changed;
      if (e.status === 'alive') this.table.markAlive(e.nodeId);
      this.dispatchEvent(new CustomEvent('member', { detail: e }));
    }
    if (changed) this.#tableChanged();
  }

  #tableChanged(): void {
    this.dispatchEvent(new CustomEvent('endpoints', { detail: this.table.view() }));
    this.#queueSave();
  }

  /** Saves are serialized and coalesced: at most one write in flight and one queued. */
  #queueSave(): void {
    if (this.#saveQueued) return;
    this.#saveQueued = true;
    this.#saving = this.#saving.then(async () => {
      this.#saveQueued = false;
      try {
        await this.#file.save(this.table.states());
      } catch (err) {
        console.error(
          `kedge gossip: cannot persist the endpoint table to ${this.#file.path}: ${String(err)}`,
        );
      }
    });
  }

  #scheduleAnnounce(): void {
    if (this.#announceSoon) return;
    this.#announceSoon = setTimeout(() => {
      this.#announceSoon = undefined;
      this.#announceFullState();
    }, 20);
  }

  #announceFullState(): void {
    this.#publish(ENDPOINTS_TOPIC, { type: 'endpoints', full: true, state: this.table.localState() });
    this.#publish(MEMBERS_TOPIC, { type: 'members', digest: true, updates: this.membership.digest() });
  }

  #publishMembers(updates: MemberUpdate[]): void {
    this.#publish(MEMBERS_TOPIC, { type: 'members', digest: false, updates });
  }

  #publish(topic: string, message: GossipMessage): void {
    const pubsub = this.#libp2p?.services.pubsub;
    if (!pubsub || this.#libp2p?.status !== 'started') return;
    pubsub.publish(topic, encodeMessage(message)).catch((err: unknown) => {
      console.warn(
        `kedge gossip: publish on ${topic} failed (${String(err)}); the next full-state round repeats it`,
      );
    });
  }
}
