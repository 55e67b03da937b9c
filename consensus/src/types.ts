// The contract between consensus' pure core, its storage, its driver and its transports.
// Everything here is plain data: it crosses the wire (transport codec) and the disk (WAL codec).

/** A member's id. Ids are unique for all time: a removed member's id is never given again. 0 means none. */
export type NodeId = number;
export const NONE: NodeId = 0;

export type EntryType = 'normal' | 'confChange';

/** One log entry. `data` of a confChange entry is an encoded ConfChange (see encodeConfChange). */
export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must be durable before a vote or an append is acknowledged. */
export interface HardState {
  readonly term: number;
  /** Whom this node voted for in `term` (NONE if nobody). */
  readonly vote: NodeId;
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: NONE, commit: 0 };

/** The membership. One change at a time (single-server changes), effective when applied. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export type ConfChangeType =
  /** Add a voter, or promote a learner to voter. */
  | 'addVoter'
  /** Add a learner, or demote a voter to learner. */
  | 'addLearner'
  /** Remove a member (voter or learner). Its id is never reused. */
  | 'removeNode';

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
  /** Opaque to consensus (e.g. the new member's address). */
  readonly context?: Uint8Array;
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** The user state machine's snapshot, opaque to consensus. */
  readonly data: Uint8Array;
}

export type MessageType =
  | 'app' // leader -> follower: append entries (index/logTerm = the entry before `entries`)
  | 'appResp' // follower -> leader: index = last matching index, or reject with rejectHint/logTerm
  | 'vote'
  | 'voteResp'
  | 'preVote'
  | 'preVoteResp'
  | 'heartbeat' // leader -> follower: commit (min of follower's match and leader's commit), context for ReadIndex
  | 'heartbeatResp'
  | 'snap' // leader -> follower: install `snapshot`
  | 'prop' // follower -> leader: forwarded proposal (`entries`)
  | 'readIndex' // follower -> leader: forwarded read request (`context`)
  | 'readIndexResp' // leader -> follower: index = read index for `context`
  | 'timeoutNow' // leader -> transferee: campaign now, ignoring leases
  | 'transferLeader'; // -> leader: transfer leadership to `from`

/**
 * One Raft message. Flat like etcd's raftpb.Message so that one codec covers all types;
 * fields a type does not use are left out.
 */
export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  /** app: term of the entry at `index`. appResp (reject): term of the follower's entry at rejectHint. vote: last log term. */
  readonly logTerm?: number;
  /** app: index of the entry before `entries`. appResp: last index. vote: last log index. readIndexResp: read index. */
  readonly index?: number;
  readonly entries?: readonly Entry[];
  readonly commit?: number;
  readonly reject?: boolean;
  /** appResp (reject): the follower's hint for fast backtracking (the index to probe from). */
  readonly rejectHint?: number;
  readonly snapshot?: Snapshot;
  /** readIndex/heartbeat: the read request's id. vote: 'transfer' campaign marker (see CAMPAIGN_TRANSFER). */
  readonly context?: Uint8Array;
}

/** Message.context of a 'vote' sent because of a leadership transfer: it overrides leader leases. */
export const CAMPAIGN_TRANSFER: Uint8Array = new TextEncoder().encode('CampaignTransfer');

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state the driver reports (not persisted). */
export interface SoftState {
  readonly leader: NodeId;
  readonly role: Role;
}

/** A ReadIndex result: once applied >= index, a read for requestCtx is linearizable. */
export interface ReadState {
  readonly index: number;
  readonly requestCtx: Uint8Array;
}

/**
 * What the core wants done, in this order (etcd's Ready contract):
 * 1. persist snapshot (if any), then entries and hardState, with one fdatasync when mustSync;
 * 2. send messages (a leader may send 'app' messages before its own append is durable);
 * 3. apply snapshot, then committedEntries, to the state machine;
 * 4. call advance(ready).
 */
export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
  readonly messages: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
  /** True when hardState's term/vote changed or entries are non-empty: an fsync is required. */
  readonly mustSync: boolean;
}

/** Errors that the core and driver return as values with a kind, as the rest of kedge does. */
export type ConsensusErrorKind =
  | 'NotLeader' // proposal/read on a node that cannot serve it; `leader` says whom to ask
  | 'ProposalDropped' // no leader known, leadership transfer under way, or uncommitted cap reached
  | 'ConfChangePending' // a membership change is already in flight
  | 'InvalidConfChange' // a membership change that must not be made (re-added removed id, last voter)
  | 'Compacted' // storage: the index was compacted away
  | 'Unavailable' // storage: the index is past the last entry
  | 'Timeout'
  | 'Stopped'
  | 'Corrupt'; // WAL/snapshot integrity failure

export class ConsensusError extends Error {
  readonly kind: ConsensusErrorKind;
  readonly leader: NodeId;

  constructor(kind: ConsensusErrorKind, message: string, leader: NodeId = NONE) {
    super(message);
    this.name = 'ConsensusError';
    this.kind = kind;
    this.leader = leader;
  }
}

/**
 * The log the core reads from: entries that are durable (the driver appends to it after the WAL
 * fsync). Synchronous, because the core is. MemoryStorage is the implementation.
 */
export interface LogStorage {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), at most maxBytes of data (but at least one entry). Throws Compacted/Unavailable. */
  entries(lo: number, hi: number, maxBytes?: number): Entry[];
  /** Term of the entry at index (the snapshot's index is allowed). Throws Compacted/Unavailable. */
  term(index: number): number;
  /** Index of the first entry still available (snapshot index + 1). */
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}

/** The user's state machine, driven by the driver (RaftNode). */
export interface StateMachine<Result = unknown> {
  /** Applies committed normal entries in order; returns one result per entry (resolves `propose`). */
  apply(entries: readonly Entry[]): Result[] | Promise<Result[]>;
  /** A consistent snapshot of everything applied so far. */
  snapshot(): Uint8Array | Promise<Uint8Array>;
  /** Replaces the state with a snapshot. */
  restore(data: Uint8Array): void | Promise<void>;
}

/** Moves messages between nodes. Implementations: in-memory (tests) and TCP/TLS (processes). */
export interface Transport {
  /** Sends best-effort: Raft tolerates loss; never throws for a dead peer. */
  send(messages: readonly Message[]): void;
  /** Registers the handler for incoming messages. */
  onMessage(handler: (message: Message) => void): void;
  /** Called when the connection to a peer drops (fast failover: the leader's process died). */
  onPeerDown(handler: (peer: NodeId) => void): void;
  addPeer(id: NodeId, address: string): void;
  removePeer(id: NodeId): void;
  close(): Promise<void>;
}

/** What the WAL gives back on open: everything needed to rebuild MemoryStorage and the core. */
export interface DurableState {
  readonly hardState: HardState;
  /** Entries after the snapshot, in order. */
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | undefined;
}

/** A torn tail found and truncated on open (a crash mid-write); reported, not fatal. */
export interface TornTail {
  readonly file: string;
  readonly offset: number;
  readonly bytesDropped: number;
}

/** The durable half of the log: WAL segments and snapshot files. */
export interface DurableLog {
  /**
   * Appends entries (first discarding any stored suffix from entries[0].index on, as Raft's log
   * truncation requires) and records hardState; resolves after one fdatasync covering all of it
   * when sync is true. Concurrent calls are serialised and may share one fsync (group commit).
   */
  save(hardState: HardState | undefined, entries: readonly Entry[], sync: boolean): Promise<void>;
  /** Writes the snapshot atomically (temp, fsync, rename, fsync dir), then drops segments below it. */
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  close(): Promise<void>;
}
