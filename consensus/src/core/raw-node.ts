import {
  type ConfChange,
  type ConfState,
  ConsensusError,
  type Entry,
  type HardState,
  type Message,
  type MessageType,
  NONE,
  type NodeId,
  type Ready,
  type Role,
  type SoftState,
} from '../types.ts';
import { confChangeRefusal, encodeConfChange } from './conf-change.ts';
import type { RaftConfig } from './config.ts';
import type { ProgressState } from './progress.ts';
import { Raft } from './raft.ts';

/** The leader's view of one member, as reported by status(). */
export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly recentActive: boolean;
  readonly isLearner: boolean;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly lead: NodeId;
  readonly role: Role;
  readonly confState: ConfState;
  /** Every member's progress when this node is the leader; empty otherwise. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus>;
  readonly leadTransferee: NodeId;
}

/**
 * The public face of the core (etcd's RawNode): synchronous, single-threaded, no I/O. The driver
 * feeds ticks, messages and requests in, then drains Ready: persist, send, apply, advance.
 */
export interface RawNode {
  /** One logical clock tick. */
  tick(): void;
  /** A message from the network. Stale or foreign messages are ignored; never throws for bad peers. */
  step(message: Message): void;
  /** Starts an election now (a pre-election first with PreVote). */
  campaign(): void;
  /** Proposes a normal entry. Throws ConsensusError 'ProposalDropped' or 'NotLeader'. */
  propose(data: Uint8Array): void;
  /** Proposes a membership change. Throws 'ConfChangePending' while the previous one is unapplied. */
  proposeConfChange(change: ConfChange): void;
  /** The driver calls this when it applies a confChange entry; returns the new membership. */
  applyConfChange(change: ConfChange): ConfState;
  /** Requests a linearizable read point; the answer arrives in Ready.readStates. */
  readIndex(requestCtx: Uint8Array): void;
  /** Asks the leader to hand leadership to `to` (catching it up first). */
  transferLeadership(to: NodeId): void;
  /** Fast-failover hint from the transport: if `leader` is ours, pre-vote now. */
  leaderConnectionLost(leader: NodeId): void;
  reportUnreachable(id: NodeId): void;
  reportSnapshot(id: NodeId, status: 'finish' | 'failure'): void;
  hasReady(): boolean;
  ready(): Ready;
  advance(ready: Ready): void;
  status(): RaftStatus;
}

/** Creates a member from its storage (empty for a new member, the recovered log on restart). */
export function createRawNode(config: RaftConfig): RawNode {
  return new RawNodeImpl(new Raft(config));
}

/** Messages that legitimately carry no term: requests forwarded from a follower. */
const TERMLESS: ReadonlySet<MessageType> = new Set<MessageType>(['prop', 'readIndex', 'transferLeader']);

interface Outstanding {
  readonly ready: Ready;
  /** Acks to ourselves, valid once this Ready is persisted. */
  readonly steps: readonly Message[];
}

class RawNodeImpl implements RawNode {
  private readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private readonly outstanding: Outstanding[] = [];

  constructor(raft: Raft) {
    this.raft = raft;
    this.prevSoftState = { leader: raft.lead, role: raft.role };
    this.prevHardState = { term: raft.term, vote: raft.vote, commit: raft.log.committed };
  }

  tick(): void {
    this.raft.tick();
  }

  step(message: Message): void {
    if (message.to !== this.raft.id) return;
    if (message.term === 0 && !TERMLESS.has(message.type)) return;
    // A forwarded request that cannot be served is dropped: its proposer times out and retries.
    this.raft.step(message);
  }

  campaign(): void {
    this.raft.hup(false);
  }

  propose(data: Uint8Array): void {
    this.proposeEntry({ term: 0, index: 0, type: 'normal', data });
  }

  proposeConfChange(change: ConfChange): void {
    const r = this.raft;
    if (r.role === 'leader' && r.pendingConfIndex > r.log.applied) {
      throw new ConsensusError(
        'ConfChangePending',
        `the membership change at index ${r.pendingConfIndex} is not applied yet (applied ${r.log.applied}); retry after it is`,
        r.id,
      );
    }
    const refusal = confChangeRefusal(r.tracker.confState(), change, r.removed);
    if (refusal !== undefined) throw new ConsensusError('InvalidConfChange', refusal, r.lead);
    this.proposeEntry({ term: 0, index: 0, type: 'confChange', data: encodeConfChange(change) });
  }

  private proposeEntry(entry: Entry): void {
    const id = this.raft.id;
    const err = this.raft.step({ type: 'prop', from: id, to: id, term: 0, entries: [entry] });
    if (err !== undefined) throw err;
  }

  applyConfChange(change: ConfChange): ConfState {
    return this.raft.applyConfChange(change);
  }

  readIndex(requestCtx: Uint8Array): void {
    if (requestCtx.byteLength === 0) {
      throw new Error('readIndex needs a non-empty, unique requestCtx: it identifies the read in readStates');
    }
    const id = this.raft.id;
    const err = this.raft.step({ type: 'readIndex', from: id, to: id, term: 0, context: requestCtx });
    if (err !== undefined) throw err;
  }

  transferLeadership(to: NodeId): void {
    // No leader known: nothing to transfer; the caller sees no change in status() and may retry.
    this.raft.step({ type: 'transferLeader', from: to, to: this.raft.id, term: 0 });
  }

  leaderConnectionLost(leader: NodeId): void {
    this.raft.leaderConnectionLost(leader);
  }

  reportUnreachable(id: NodeId): void {
    this.raft.reportUnreachable(id);
  }

  reportSnapshot(id: NodeId, status: 'finish' | 'failure'): void {
    this.raft.reportSnapshot(id, status);
  }

  hasReady(): boolean {
    const r = this.raft;
    const soft = this.prevSoftState;
    const hard = this.prevHardState;
    if (r.lead !== soft.leader || r.role !== soft.role) return true;
    if (r.term !== hard.term || r.vote !== hard.vote || r.log.committed !== hard.commit) return true;
    if (r.msgs.length > 0 || r.msgsAfterAppend.length > 0 || r.readStates.length > 0) return true;
    const unstable = r.log.unstable;
    if (unstable.hasNextEntries() || unstable.nextSnapshot() !== undefined) return true;
    return r.log.hasNextCommittedEnts();
  }

  ready(): Ready {
    const r = this.raft;
    const entries = r.log.unstable.nextEntries();
    const snapshot = r.log.unstable.nextSnapshot();
    const committedEntries = r.log.nextCommittedEnts(r.cfg.maxCommittedSizePerReady);
    const prevHard = this.prevHardState;
    const hardChanged =
      r.term !== prevHard.term || r.vote !== prevHard.vote || r.log.committed !== prevHard.commit;
    const termOrVoteChanged = r.term !== prevHard.term || r.vote !== prevHard.vote;
    const softChanged = r.lead !== this.prevSoftState.leader || r.role !== this.prevSoftState.role;
    const rd: {
      -readonly [K in keyof Ready]: Ready[K];
    } = {
      entries,
      messages: r.msgs,
      committedEntries,
      readStates: r.readStates,
      mustSync: entries.length > 0 || termOrVoteChanged,
    };
    if (softChanged) {
      this.prevSoftState = { leader: r.lead, role: r.role };
      rd.softState = this.prevSoftState;
    }
    if (hardChanged) {
      this.prevHardState = { term: r.term, vote: r.vote, commit: r.log.committed };
      rd.hardState = this.prevHardState;
    }
    if (snapshot !== undefined) rd.snapshot = snapshot;

    // Everything in this Ready now belongs to the driver.
    r.msgs = [];
    r.readStates = [];
    const steps = r.msgsAfterAppend;
    r.msgsAfterAppend = [];
    r.log.unstable.acceptInProgress();
    const lastCommitted = committedEntries[committedEntries.length - 1];
    if (lastCommitted !== undefined) {
      r.log.applying = lastCommitted.index;
      r.reduceUncommittedSize(committedEntries);
    }
    this.outstanding.push({ ready: rd, steps });
    return rd;
  }

  advance(ready: Ready): void {
    const head = this.outstanding[0];
    if (head === undefined || head.ready !== ready) {
      throw new Error('advance: pass the oldest Ready not yet advanced (Readies are advanced in order)');
    }
    this.outstanding.shift();
    const log = this.raft.log;
    if (ready.snapshot !== undefined) {
      log.unstable.stableSnapTo(ready.snapshot.metadata.index);
      log.appliedTo(ready.snapshot.metadata.index);
    }
    const lastEntry = ready.entries[ready.entries.length - 1];
    if (lastEntry !== undefined) log.unstable.stableTo(lastEntry.index, lastEntry.term);
    const lastCommitted = ready.committedEntries[ready.committedEntries.length - 1];
    if (lastCommitted !== undefined) log.appliedTo(lastCommitted.index);
    for (const m of head.steps) this.raft.step(m);
  }

  status(): RaftStatus {
    const r = this.raft;
    const progress = new Map<NodeId, ProgressStatus>();
    if (r.role === 'leader') {
      for (const [id, pr] of r.tracker.progress) {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          recentActive: pr.recentActive,
          isLearner: pr.isLearner,
        });
      }
    }
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      commit: r.log.committed,
      applied: r.log.applied,
      lead: r.lead,
      role: r.role,
      confState: r.tracker.confState(),
      progress,
      leadTransferee: r.role === 'leader' ? r.leadTransferee : NONE,
    };
  }
}
