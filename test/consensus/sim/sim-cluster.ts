// A whole simulated cluster: member processes, their disks, the network between them, one clock,
// and the invariant checker watching every step. Faults are methods (crash, restart, partition
// through `network`, slow disks through each node's disk); the nemesis in simulation.ts decides
// when to call them.

import {
  type ConfChange,
  type ConfState,
  ConsensusError,
  type Message,
  type NodeId,
} from '../../../consensus/src/types.ts';
import type { Prng } from '../../support/prng.ts';
import { InvariantChecker, type LogView } from './invariants.ts';
import { type DiskLatency, FAST_DISK, SimDisk } from './sim-disk.ts';
import { type NetworkConditions, SimNetwork } from './sim-network.ts';
import { type RaftTuning, SimNode } from './sim-node.ts';
import { SimQueue } from './sim-queue.ts';

export interface ClusterOptions {
  readonly voters: number;
  readonly learners: number;
  /** Simulated milliseconds per Raft tick. */
  readonly tickMs: number;
  /** Clock drift: each process's tick period is tickMs x (1 ± up to tickSkew). */
  readonly tickSkew?: number;
  readonly raft: RaftTuning;
  readonly network: NetworkConditions;
  readonly disk?: DiskLatency;
  readonly snapshotEvery: number;
  readonly keepBehindSnapshot: number;
  /** Run the full log scan every this many events (it is the one check that is not incremental). */
  readonly logScanEvery: number;
  /** A run that needs more events than this is a message storm or a livelock: it fails. */
  readonly maxEvents?: number;
  /** The self-test's broken driver (see SimNodeEnvironment.unsafeSkipFsync). */
  readonly unsafeSkipFsync?: boolean;
  /** The self-test's stale-read driver (see SimNodeEnvironment.unsafeLocalReads). */
  readonly unsafeLocalReads?: boolean;
}

/** One line of what happened, for the replay of a failing seed. */
export type TraceLine = string;

export class SimCluster {
  readonly queue = new SimQueue();
  readonly invariants = new InvariantChecker();
  readonly network: SimNetwork;
  readonly #prng: Prng;
  readonly #options: ClusterOptions;
  readonly #nodes = new Map<NodeId, SimNode>();
  /** Removed for good: their ids are never used again and their processes stay down. */
  readonly #retired = new Set<NodeId>();
  readonly #bootstrap: ConfState;
  #nextId: NodeId;
  #events = 0;
  /** The newest membership any node has applied, and the index of its entry. */
  confState: ConfState;
  #confIndex = 0;
  readonly trace: TraceLine[] = [];
  leaderChanges = 0;
  #lastLeader: NodeId = 0;

  constructor(prng: Prng, options: ClusterOptions) {
    this.#prng = prng;
    this.#options = options;
    const voters = Array.from({ length: options.voters }, (_, i) => i + 1);
    const learners = Array.from({ length: options.learners }, (_, i) => options.voters + i + 1);
    this.#bootstrap = { voters, learners };
    this.confState = this.#bootstrap;
    this.#nextId = options.voters + options.learners + 1;
    this.network = new SimNetwork(this.queue, prng.fork('network'), options.network, {
      deliver: (message) => this.#deliver(message),
      // A transport learns of a failed send later, never inside the send call. A lost packet of a
      // snapshot stream is a failed snapshot send too (the stream breaks); a lost 'app' is silent.
      dropped: (message, reason) => {
        if (reason === 'partition' || message.type === 'snap') {
          this.queue.at(this.queue.now(), () => this.#reportFailedSend(message));
        }
      },
    });
    for (const id of [...voters, ...learners]) this.#createNode(id);
  }

  get options(): ClusterOptions {
    return this.#options;
  }

  /** Every process ever created, running or not, except retired ones. */
  nodes(): SimNode[] {
    return [...this.#nodes.values()].filter((node) => !this.#retired.has(node.id));
  }

  node(id: NodeId): SimNode {
    const node = this.#nodes.get(id);
    if (node === undefined) throw new Error(`sim: no node ${id}`);
    return node;
  }

  running(): SimNode[] {
    return this.nodes().filter((node) => node.alive);
  }

  isRetired(id: NodeId): boolean {
    return this.#retired.has(id);
  }

  /** The leader of the highest term among running nodes, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    let bestTerm = -1;
    for (const node of this.running()) {
      if (node.role === 'leader' && node.term > bestTerm) {
        best = node;
        bestTerm = node.term;
      }
    }
    return best;
  }

  log(line: string): void {
    this.trace.push(`t=${this.queue.now().toFixed(1)} ${line}`);
  }

  /** Starts every process. */
  start(): void {
    for (const node of this.nodes()) this.#boot(node);
  }

  /** Kills a process. With `hint`, the others learn at once that their connection to it dropped. */
  crash(id: NodeId, hint = false): void {
    const node = this.node(id);
    if (!node.alive) return;
    node.crash();
    this.log(`crash ${id}${hint ? ' (peers notified)' : ''}`);
    if (hint) {
      // Each survivor's transport notices the dropped connection on its own, a few ms apart, and
      // only after the messages the dead process had already sent it (they share the stream).
      for (const other of this.running()) {
        const incarnation = other.incarnation;
        const noticed = Math.max(this.queue.now(), this.network.lastArrival(id, other.id));
        this.queue.at(noticed + this.#prng.float() * 5, () => {
          if (!other.alive || other.incarnation !== incarnation) return;
          other.raw.leaderConnectionLost(id);
          this.#afterInput(other);
        });
      }
    }
  }

  restart(id: NodeId): void {
    const node = this.node(id);
    if (node.alive || this.#retired.has(id)) return;
    this.log(`restart ${id}`);
    this.#boot(node);
  }

  /** Creates and starts a process for a new member id (never used before) with an empty disk. */
  spawnNode(): NodeId {
    const id = this.#nextId++;
    this.#boot(this.#createNode(id));
    this.log(`spawn ${id}`);
    return id;
  }

  /** Stops a process for good and never uses its id again (e.g. a joiner whose admission failed). */
  retire(id: NodeId): void {
    this.#retired.add(id);
    const node = this.node(id);
    if (node.alive) node.crash();
    this.log(`retire ${id}`);
  }

  /** Asks the current leader to change the membership; false when it refuses or there is none. */
  proposeConfChange(change: ConfChange): boolean {
    const leader = this.leader();
    if (leader === undefined) return false;
    try {
      leader.raw.proposeConfChange(change);
    } catch (error) {
      if (error instanceof ConsensusError) {
        this.log(`conf change ${change.type} ${change.nodeId} refused: ${error.kind}`);
        return false;
      }
      throw error;
    }
    this.log(`propose ${change.type} ${change.nodeId} at leader ${leader.id}`);
    this.#afterInput(leader);
    return true;
  }

  setDiskLatency(id: NodeId, latency: DiskLatency): void {
    this.node(id).disk.setLatency(latency);
  }

  /** Runs events until simulated time `until`; checks invariants after each. */
  runUntil(until: number, stop?: () => boolean): void {
    const maxEvents = this.#options.maxEvents ?? Number.POSITIVE_INFINITY;
    while (this.queue.runNext(until)) {
      if (++this.#events > maxEvents) {
        throw new Error(
          `runaway: more than ${maxEvents} events by t=${this.queue.now().toFixed(0)} ms (a message storm or a livelock)`,
        );
      }
      if (this.#events % this.#options.logScanEvery === 0) this.scanLogs();
      this.#trackLeader();
      if (stop?.()) return;
    }
    this.queue.advanceTo(until);
  }

  runFor(ms: number, stop?: () => boolean): void {
    this.runUntil(this.queue.now() + ms, stop);
  }

  get events(): number {
    return this.#events;
  }

  /** The full log scan of the invariant checker over every running node. */
  scanLogs(): void {
    const logs = this.running()
      .map((node) => node.logView())
      .filter((log): log is LogView => log !== undefined);
    this.invariants.checkLogs(logs);
  }

  #createNode(id: NodeId): SimNode {
    const disk = new SimDisk(this.queue, this.#prng.fork(`disk-${id}`), this.#options.disk ?? FAST_DISK);
    const node = new SimNode(id, {
      disk,
      prng: this.#prng.fork(`node-${id}`),
      invariants: this.invariants,
      raft: this.#options.raft,
      bootstrap: this.#bootstrap,
      snapshotEvery: this.#options.snapshotEvery,
      keepBehindSnapshot: this.#options.keepBehindSnapshot,
      unsafeSkipFsync: this.#options.unsafeSkipFsync === true,
      unsafeLocalReads: this.#options.unsafeLocalReads === true,
      send: (message) => this.network.send(message),
      confChangeApplied: (nodeId, index, change, confState) =>
        this.#confChangeApplied(nodeId, index, change, confState),
    });
    this.#nodes.set(id, node);
    return node;
  }

  #boot(node: SimNode): void {
    node.start();
    // Each process ticks on its own phase and at its own rate (clocks drift), so nodes do not
    // time out in lockstep.
    const incarnation = node.incarnation;
    const skew = this.#options.tickSkew ?? 0;
    const period = this.#options.tickMs * (1 + skew * (2 * this.#prng.float() - 1));
    const tick = () => {
      if (!node.alive || node.incarnation !== incarnation) return;
      node.tick();
      this.queue.at(this.queue.now() + period, tick);
    };
    this.queue.at(this.queue.now() + this.#prng.float() * this.#options.tickMs, tick);
  }

  #deliver(message: Message): void {
    const node = this.#nodes.get(message.to);
    if (node === undefined || !node.alive || this.#retired.has(message.to)) {
      this.queue.at(this.queue.now(), () => this.#reportFailedSend(message));
      return;
    }
    node.receive(message);
    if (message.type === 'snap') {
      const sender = this.#nodes.get(message.from);
      if (sender?.alive) {
        sender.raw.reportSnapshot(message.to, 'finish');
        this.#afterInput(sender);
      }
    }
  }

  /** What a transport tells its node when a send fails: the peer is unreachable, a snapshot failed. */
  #reportFailedSend(message: Message): void {
    const sender = this.#nodes.get(message.from);
    if (sender === undefined || !sender.alive) return;
    if (message.type === 'snap') sender.raw.reportSnapshot(message.to, 'failure');
    else if (message.type === 'app') sender.raw.reportUnreachable(message.to);
    else return;
    this.#afterInput(sender);
  }

  /** After a call into a RawNode from outside its own inputs, let the node handle the Ready. */
  #afterInput(node: SimNode): void {
    node.flush();
  }

  #confChangeApplied(nodeId: NodeId, index: number, change: ConfChange, confState: ConfState): void {
    if (index > this.#confIndex) {
      this.#confIndex = index;
      this.confState = confState;
      this.log(`membership at ${index}: voters ${confState.voters} learners ${confState.learners}`);
    }
    if (change.type === 'removeNode' && !this.#retired.has(change.nodeId)) {
      this.#retired.add(change.nodeId);
      this.log(`node ${change.nodeId} removed (applied on ${nodeId}); its process stops soon`);
      // Let it hear about its removal first, as an operator would shut it down afterwards.
      this.queue.at(this.queue.now() + 20 * this.#options.tickMs, () => {
        const node = this.#nodes.get(change.nodeId);
        if (node?.alive) node.crash();
      });
    }
  }

  #trackLeader(): void {
    const leader = this.leader();
    if (leader !== undefined && leader.id !== this.#lastLeader) {
      if (this.#lastLeader !== 0) this.leaderChanges++;
      this.#lastLeader = leader.id;
      this.log(`leader is ${leader.id} (term ${leader.term})`);
    }
  }
}
