// One simulated member process: a RawNode driven by the Ready contract of types.ts, a simulated
// disk, and the key/value state machine. It can crash (memory gone, unsynced writes maybe lost)
// and restart from what its disk kept, as a real process would.
//
// Per Ready, exactly as types.ts orders it:
//   1. write snapshot, entries, hard state to the disk; fsync when mustSync (or a snapshot);
//   2. once durable: append to MemoryStorage, send the messages;
//   3. install the snapshot, apply committedEntries (confChange entries go to applyConfChange);
//   4. advance(ready).
// Ticks and incoming messages keep reaching the RawNode while an fsync is in flight, as in
// etcd's node loop; the next Ready is taken only after advance.

import { createRawNode, decodeConfChange, MemoryStorage } from '../../../consensus/src/core/index.ts';
import {
  type ConfChange,
  type ConfState,
  ConsensusError,
  type Message,
  type NodeId,
  type Ready,
  type Role,
} from '../../../consensus/src/types.ts';
import type { KvOutput } from '../../support/linearizability/index.ts';
import type { Prng } from '../../support/prng.ts';
import type { InvariantChecker, LogView } from './invariants.ts';
import { encodeCommand, type KvCommand, KvStateMachine } from './kv-state-machine.ts';
import type { SimDisk } from './sim-disk.ts';

export type RawNode = ReturnType<typeof createRawNode>;

export interface RaftTuning {
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly maxSizePerMsg?: number;
  readonly maxInflightMsgs?: number;
}

export interface SimNodeEnvironment {
  readonly disk: SimDisk;
  readonly prng: Prng;
  readonly invariants: InvariantChecker;
  readonly raft: RaftTuning;
  /** The membership of the cluster's index-0 snapshot: every member, founder or joiner, starts from it. */
  readonly bootstrap: ConfState;
  /** Applied entries between state machine snapshots (and log compactions). */
  readonly snapshotEvery: number;
  /** Entries kept in the log behind a snapshot, for followers that are only a little behind. */
  readonly keepBehindSnapshot: number;
  /**
   * A deliberately broken driver for the harness's self-test: never fsync, so acknowledged votes
   * and entries can vanish in a crash. The simulator must catch this; never set it otherwise.
   */
  readonly unsafeSkipFsync?: boolean;
  /** Another broken driver for the self-test: answer reads from local state, skipping ReadIndex. */
  readonly unsafeLocalReads?: boolean;
  send(message: Message): void;
  confChangeApplied(nodeId: NodeId, index: number, change: ConfChange, confState: ConfState): void;
}

interface PendingRead {
  readonly key: string;
  readonly reply: (value: string | null) => void;
  index: number | undefined;
}

const encoder = new TextEncoder();

export class SimNode {
  readonly id: NodeId;
  readonly #env: SimNodeEnvironment;
  #incarnation = 0;
  #raw: RawNode | undefined;
  #storage: MemoryStorage | undefined;
  #kv = new KvStateMachine();
  #applied = 0;
  #snapshotIndex = 0;
  #confState: ConfState;
  /** The Ready whose fsync is in flight; no new Ready until it is advanced. */
  #inFlight: Ready | undefined;
  readonly #proposals = new Map<string, (output: KvOutput) => void>();
  readonly #reads = new Map<string, PendingRead>();
  #readSeq = 0;
  #pumping = false;
  /** From the last Ready's softState / hardState: cheap to read on every event. */
  role: Role = 'follower';
  term = 0;

  constructor(id: NodeId, env: SimNodeEnvironment) {
    this.id = id;
    this.#env = env;
    this.#confState = env.bootstrap;
  }

  get alive(): boolean {
    return this.#raw !== undefined;
  }

  get incarnation(): number {
    return this.#incarnation;
  }

  get raw(): RawNode {
    if (this.#raw === undefined) throw new Error(`sim: node ${this.id} is not running`);
    return this.#raw;
  }

  get disk(): SimDisk {
    return this.#env.disk;
  }

  get applied(): number {
    return this.#applied;
  }

  /** Starts (or restarts) the process from what its disk holds. */
  start(): void {
    if (this.alive) throw new Error(`sim: node ${this.id} is already running`);
    this.#incarnation++;
    const durable = this.#env.disk.durableState();
    const storage = new MemoryStorage(this.#env.bootstrap);
    const snapshot = durable.snapshot;
    if (snapshot !== undefined && snapshot.metadata.index > 0) storage.applySnapshot(snapshot);
    storage.setHardState(durable.hardState);
    storage.append(durable.entries);
    this.#storage = storage;
    this.#kv = snapshot === undefined ? new KvStateMachine() : KvStateMachine.restore(snapshot.data);
    this.#applied = snapshot?.metadata.index ?? 0;
    this.#snapshotIndex = this.#applied;
    this.#confState = snapshot?.metadata.confState ?? this.#env.bootstrap;
    this.#env.invariants.observeRestart(this.id, this.#incarnation, this.#applied);
    this.term = durable.hardState.term;
    const random = this.#env.prng.fork(`raft-${this.id}-${this.#incarnation}`);
    this.#raw = createRawNode({
      id: this.id,
      storage,
      applied: this.#applied,
      electionTick: this.#env.raft.electionTick,
      heartbeatTick: this.#env.raft.heartbeatTick,
      checkQuorum: this.#env.raft.checkQuorum,
      preVote: this.#env.raft.preVote,
      ...(this.#env.raft.maxSizePerMsg === undefined ? {} : { maxSizePerMsg: this.#env.raft.maxSizePerMsg }),
      ...(this.#env.raft.maxInflightMsgs === undefined
        ? {}
        : { maxInflightMsgs: this.#env.raft.maxInflightMsgs }),
      random: () => random.float(),
    });
    this.#pump();
  }

  /** The process dies: memory, waiting clients and unsynced writes go (some writes may survive). */
  crash(): void {
    this.#raw = undefined;
    this.role = 'follower';
    this.#storage = undefined;
    this.#inFlight = undefined;
    this.#proposals.clear();
    this.#reads.clear();
    this.#env.disk.crash();
  }

  tick(): void {
    this.#raw?.tick();
    this.#pump();
  }

  receive(message: Message): void {
    if (this.#raw === undefined) return;
    this.#raw.step(message);
    this.#pump();
  }

  /** Proposes a client command; `reply` runs when this node applies it. Throws ConsensusError. */
  submit(command: KvCommand, reply: (output: KvOutput) => void): void {
    this.raw.propose(encodeCommand(command));
    this.#proposals.set(`${command.client}:${command.seq}`, reply);
    this.#pump();
  }

  /** A linearizable read through ReadIndex; `reply` runs once this node has applied up to the read index. */
  read(key: string, reply: (value: string | null) => void): void {
    if (this.#env.unsafeLocalReads === true) {
      reply(this.#kv.get(key));
      return;
    }
    const context = encoder.encode(`read:${this.id}:${this.#incarnation}:${++this.#readSeq}`);
    this.raw.readIndex(context);
    this.#reads.set(new TextDecoder().decode(context), { key, reply, index: undefined });
    this.#pump();
  }

  /** The durable log (MemoryStorage) for the invariant scan. */
  logView(): LogView | undefined {
    const storage = this.#storage;
    if (storage === undefined || this.#raw === undefined) return undefined;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    return {
      nodeId: this.id,
      entries: last >= first ? storage.entries(first, last + 1) : [],
      // The durable commit, persisted with the entries it covers. The in-memory one can run ahead
      // of storage: a conflicting suffix is replaced in the unstable log before it is persisted.
      commit: storage.initialState().hardState.commit,
    };
  }

  /** Handles whatever Ready a call from outside (reportSnapshot, leaderConnectionLost, ...) produced. */
  flush(): void {
    this.#pump();
  }

  #pump(): void {
    // Re-entry (a callback inside Ready handling that feeds the node) would take a second Ready
    // before the first is advanced; the outer loop picks up whatever it produced instead.
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#raw !== undefined && this.#inFlight === undefined && this.#raw.hasReady()) {
        this.#persist(this.#raw.ready());
      }
    } finally {
      this.#pumping = false;
    }
  }

  #persist(ready: Ready): void {
    if (ready.hardState !== undefined) {
      this.term = ready.hardState.term;
      this.#env.invariants.observeCommit(this.id, this.#incarnation, ready.hardState.commit);
    }
    if (ready.softState !== undefined) {
      this.role = ready.softState.role;
      if (this.role === 'leader') this.#env.invariants.observeLeader(this.id, this.term);
    }
    const hasWrite =
      ready.snapshot !== undefined || ready.entries.length > 0 || ready.hardState !== undefined;
    if (hasWrite) {
      this.#env.disk.write({
        entries: ready.entries,
        ...(ready.hardState === undefined ? {} : { hardState: ready.hardState }),
        ...(ready.snapshot === undefined ? {} : { snapshot: ready.snapshot }),
      });
    }
    const mustSync = ready.mustSync || ready.snapshot !== undefined;
    if (mustSync && this.#env.unsafeSkipFsync !== true) {
      this.#inFlight = ready;
      const incarnation = this.#incarnation;
      this.#env.disk.fsync(() => {
        if (incarnation !== this.#incarnation || this.#raw === undefined) return;
        this.#inFlight = undefined;
        this.#afterPersist(ready);
        this.#pump();
      });
    } else {
      this.#afterPersist(ready);
    }
  }

  #afterPersist(ready: Ready): void {
    const raw = this.#raw as RawNode;
    const storage = this.#storage as MemoryStorage;
    if (ready.snapshot !== undefined) storage.applySnapshot(ready.snapshot);
    if (ready.hardState !== undefined) storage.setHardState(ready.hardState);
    storage.append(ready.entries);
    this.#env.invariants.observePersisted(this.id, ready.entries);
    for (const message of ready.messages) this.#env.send(message);

    if (ready.snapshot !== undefined) {
      const { metadata, data } = ready.snapshot;
      this.#env.invariants.observeSnapshotApplied(this.id, this.#incarnation, metadata.index, metadata.term);
      this.#kv = KvStateMachine.restore(data);
      this.#applied = metadata.index;
      this.#snapshotIndex = metadata.index;
      this.#confState = metadata.confState;
    }
    this.#env.invariants.observeApplied(this.id, this.#incarnation, ready.committedEntries);
    for (const entry of ready.committedEntries) {
      if (entry.type === 'confChange') {
        const change = decodeConfChange(entry.data);
        this.#confState = raw.applyConfChange(change);
        storage.setConfState(this.#confState);
        this.#env.confChangeApplied(this.id, entry.index, change, this.#confState);
      } else {
        const result = this.#kv.apply(entry);
        if (result !== undefined) {
          const reply = this.#proposals.get(result.id);
          this.#proposals.delete(result.id);
          reply?.(result.output);
        }
      }
      this.#applied = entry.index;
    }
    for (const state of ready.readStates) {
      const pending = this.#reads.get(new TextDecoder().decode(state.requestCtx));
      if (pending !== undefined) pending.index = state.index;
    }
    this.#serveReads();
    raw.advance(ready);
    this.#maybeSnapshot();
  }

  #serveReads(): void {
    for (const [context, read] of this.#reads) {
      if (read.index !== undefined && read.index <= this.#applied) {
        this.#reads.delete(context);
        read.reply(this.#kv.get(read.key));
      }
    }
  }

  /** Snapshots the state machine and compacts the log, so that lagging members need 'snap'. */
  #maybeSnapshot(): void {
    if (this.#applied - this.#snapshotIndex < this.#env.snapshotEvery) return;
    const storage = this.#storage as MemoryStorage;
    const snapshot = storage.createSnapshot(this.#applied, this.#confState, this.#kv.snapshot());
    this.#env.disk.saveSnapshot(snapshot);
    this.#snapshotIndex = this.#applied;
    const compactTo = this.#applied - this.#env.keepBehindSnapshot;
    if (compactTo > storage.firstIndex()) {
      try {
        storage.compact(compactTo);
      } catch (error) {
        if (!(error instanceof ConsensusError && error.kind === 'Compacted')) throw error;
      }
    }
  }
}
