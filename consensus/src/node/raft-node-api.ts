// What a RaftNode offers its owner and what it needs to be created.

import type { ProgressStatus } from '../core/raw-node.ts';
import type { ConfChange, ConfState, NodeId, Role, StateMachine, Transport } from '../types.ts';
import type { Logger } from './logger.ts';
import type { RaftNodeEvents } from './node-events.ts';
import type { RestoreOptions } from './restore.ts';

export interface RaftNodeOptions<Result> {
  readonly id: NodeId;
  /** The founding members, id -> transport address, this node included. Used on the first start only (bootstrap). */
  readonly peers: ReadonlyMap<NodeId, string>;
  /** Where the WAL and snapshots live. */
  readonly dataDir: string;
  /** Owned by the node from now on: stop() closes it. */
  readonly transport: Transport;
  readonly stateMachine: StateMachine<Result>;
  /** One Raft tick. Default 100 ms. */
  readonly tickMs?: number;
  /** Election timeout in ticks (randomised to [n, 2n)). Default 5: elections start after 0.5-1 s. */
  readonly electionTick?: number;
  /** Heartbeat interval in ticks. Default 1. */
  readonly heartbeatTick?: number;
  /** Snapshot and compact the log after this many applied entries. Default 10,000. */
  readonly snapshotEntries?: number;
  /** Entries kept behind a snapshot so that a slightly slow follower needs no snapshot. Default 5,000. */
  readonly catchUpEntries?: number;
  /** How long propose/readIndex/proposeConfChange wait before failing with Timeout. Default 5 s. */
  readonly requestTimeoutMs?: number;
  /** Join an existing cluster (wait for the leader's snapshot) instead of bootstrapping from `peers`. */
  readonly join?: boolean;
  readonly logger?: Logger;
  /** Opens the durable log; the real WAL by default (tests wrap it to count fsyncs or fail writes). */
  readonly openLog?: RestoreOptions['openWal'];
}

export interface RaftNodeStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly leader: NodeId;
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
  readonly snapshotIndex: number;
  readonly confState: ConfState;
  readonly pendingProposals: number;
  /** The leader's view of every member (match index, recently heard from); empty on followers. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus>;
}

export interface RaftNode<Result> {
  start(): Promise<void>;
  /** Resolves with the state machine's result once the proposal is applied here. */
  propose(data: Uint8Array): Promise<Result>;
  /** Resolves with the new membership once the change is applied here. */
  proposeConfChange(change: ConfChange): Promise<ConfState>;
  /** Resolves once this node has applied everything committed before the call: a linearizable read barrier. */
  readIndex(): Promise<void>;
  /** Asks the leader to hand leadership to `to`; resolves when `to` leads. */
  transferLeadership(to: NodeId): Promise<void>;
  status(): RaftNodeStatus;
  on<K extends keyof RaftNodeEvents>(event: K, listener: (payload: RaftNodeEvents[K]) => void): () => void;
  stop(): Promise<void>;
}
