import {
  type ConfChange,
  type ConfState,
  ConsensusError,
  type Entry,
  type Message,
  NONE,
  type NodeId,
  type ReadState,
  type Role,
  type Snapshot,
} from '../types.ts';
import { applyConfChangeToState } from './conf-change.ts';
import { type RaftConfig, type ResolvedConfig, resolveConfig } from './config.ts';
import { campaign, handleVoteRequest, hup, isTransferCampaign, resendVoteRequests } from './election.ts';
import { type Failover, holdPreVote, leaderConnectionLost, tickFailover } from './failover.ts';
import { ProgressTracker } from './progress-tracker.ts';
import type { VoteResult } from './quorum.ts';
import { entrySize, RaftLog } from './raft-log.ts';
import { ReadOnly } from './read-only.ts';
import { bcastAppend, bcastHeartbeat, maybeSendAppend } from './replication.ts';
import { stepCandidate, stepFollower } from './step-follower.ts';
import { stepLeader } from './step-leader.ts';

/** What stepping a message produced: an error for the local caller (proposals), else undefined. */
export type StepResult = ConsensusError | undefined;

/**
 * One Raft member as a pure state machine (etcd's raft.go): messages and ticks in, messages and
 * log changes out through RawNode's Ready. Role-specific handling lives in step-leader.ts and
 * step-follower.ts; sending entries and heartbeats in replication.ts.
 */
export class Raft {
  readonly id: NodeId;
  readonly cfg: ResolvedConfig;
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: Role = 'follower';
  readOnly = new ReadOnly();
  /** Messages for other members; the driver sends them after persisting the Ready carrying them. */
  msgs: Message[] = [];
  /** Acks to ourselves of our own vote/append: stepped on advance, once they are durable. */
  msgsAfterAppend: Message[] = [];
  readStates: ReadState[] = [];
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  leadTransferee: NodeId = NONE;
  /** Index of the newest confChange entry; a new one is refused until it is applied. */
  pendingConfIndex = 0;
  /** Payload bytes appended by this leader and not yet committed (maxUncommittedEntriesSize). */
  uncommittedSize = 0;
  /** ReadIndex requests held until this leader has committed an entry of its own term. */
  pendingReadIndexMessages: Message[] = [];
  /** Whether the running campaign is a leadership transfer (its requests override leases). */
  campaignTransfer = false;
  /** Set by the transport's hint that our leader is gone, until a leader or a new term turns up. */
  failover: Failover | undefined = undefined;
  /** Pre-votes ignored under our leader's lease, answered if the transport then reports it gone. */
  readonly heldPreVotes = new Map<NodeId, Message>();
  /** Ids removed by changes applied since start: they may never be added again. */
  readonly removed = new Set<NodeId>();

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    this.log = new RaftLog(this.cfg.storage);
    this.tracker = new ProgressTracker(this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
    const { hardState, confState } = this.cfg.storage.initialState();
    this.tracker.applyConf(confState, this.log.lastIndex() + 1);
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) {
      if (hardState.commit < this.log.committed || hardState.commit > this.log.lastIndex()) {
        throw new ConsensusError(
          'Corrupt',
          `hardState.commit ${hardState.commit} is outside the stored log [${this.log.committed}, ${this.log.lastIndex()}]: the log lost entries; restore this member from a snapshot`,
        );
      }
      this.log.committed = hardState.commit;
      this.term = hardState.term;
      this.vote = hardState.vote;
    }
    if (this.cfg.applied > this.log.committed) {
      throw new ConsensusError(
        'Corrupt',
        `applied index ${this.cfg.applied} is past the commit index ${this.log.committed}: the state machine is ahead of the log`,
      );
    }
    this.log.appliedTo(this.cfg.applied);
    this.becomeFollower(this.term, NONE);
  }

  // ---- sending --------------------------------------------------------------------------------

  send(m: Message): void {
    if (m.to === this.id) this.msgsAfterAppend.push(m);
    else this.msgs.push(m);
  }

  sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', from: this.id, to, term: this.term });
  }

  // ---- role transitions ---------------------------------------------------------------------

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout =
      this.cfg.electionTick + Math.floor(this.cfg.random() * this.cfg.electionTick);
    this.leadTransferee = NONE;
    this.tracker.resetVotes();
    this.tracker.resetProgress(this.id, this.log.lastIndex());
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly();
    this.pendingReadIndexMessages = [];
    // A new term or role means an election has moved on: the hint's line-up is moot.
    this.failover = undefined;
    this.heldPreVotes.clear();
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  /** A pre-election changes neither term nor vote: a node that cannot win disturbs nobody. */
  becomePreCandidate(): void {
    this.tracker.resetVotes();
    this.lead = NONE;
    this.role = 'preCandidate';
  }

  becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  becomeLeader(): void {
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const self = this.tracker.progress.get(this.id);
    if (self !== undefined) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // Changes already in the log may be unapplied: count the last index as pending (conservative).
    this.pendingConfIndex = this.log.lastIndex();
    // An entry of the new term lets the leader commit everything before it (§5.4.2) and serve reads.
    this.appendEntry([{ term: 0, index: 0, type: 'normal', data: new Uint8Array(0) }]);
    this.uncommittedSize = 0;
  }

  // ---- time -----------------------------------------------------------------------------------

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      // The hint's line-up had its chance: from here on, plain randomized Raft (so a member that
      // claims precedence but cannot win holds nobody up for more than one timeout).
      this.failover = undefined;
      this.hup(false);
      return;
    }
    if (this.role === 'follower') tickFailover(this);
    else resendVoteRequests(this);
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        if (!this.tracker.quorumActive(this.id)) {
          this.becomeFollower(this.term, NONE);
          return;
        }
        for (const [id, pr] of this.tracker.progress) if (id !== this.id) pr.recentActive = false;
      }
      // A transfer that has not finished within an election timeout has failed: accept proposals again.
      this.leadTransferee = NONE;
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      bcastHeartbeat(this);
    }
  }

  // ---- elections ------------------------------------------------------------------------------

  /** Voters that are not installing a snapshot may campaign; learners and removed members never do. */
  promotable(): boolean {
    const pr = this.tracker.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.log.hasNextOrInProgressSnapshot();
  }

  hup(transfer: boolean): void {
    hup(this, transfer);
  }

  campaign(kind: 'preElection' | 'election', transfer: boolean): void {
    campaign(this, kind, transfer);
  }

  poll(from: NodeId, granted: boolean): VoteResult {
    this.tracker.recordVote(from, granted);
    return this.tracker.tallyVotes();
  }

  /** Hint that the connection to `leader` dropped: drop our lease; campaign now or in our turn. */
  leaderConnectionLost(leader: NodeId): void {
    leaderConnectionLost(this, leader);
  }

  // ---- stepping -------------------------------------------------------------------------------

  step(m: Message): StepResult {
    if (m.term === 0) {
      // Local or forwarded requests (prop, readIndex, transferLeader) carry no term.
    } else if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        const force = isTransferCampaign(m.context);
        const inLease =
          this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.cfg.electionTick;
        // We heard from a leader within the election timeout: do not help depose it.
        if (!force && inLease) {
          if (m.type === 'preVote') holdPreVote(this, m);
          return undefined;
        }
      }
      if (m.type === 'preVote') {
        // Never change our term because of a pre-vote.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // A granted pre-vote carries the term we would campaign at; the term moves if we win.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'heartbeat' || m.type === 'app')) {
        // A stale leader (e.g. after a partition heals) learns our term from this and steps down;
        // otherwise, with PreVote, it could keep our pre-votes failing forever.
        this.send({ type: 'appResp', from: this.id, to: m.from, term: this.term });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', from: this.id, to: m.from, term: this.term, reject: true });
      }
      return undefined;
    }

    if (m.type === 'vote' || m.type === 'preVote') {
      handleVoteRequest(this, m);
      return undefined;
    }
    switch (this.role) {
      case 'leader':
        return stepLeader(this, m);
      case 'candidate':
      case 'preCandidate':
        return stepCandidate(this, m);
      case 'follower':
        return stepFollower(this, m);
    }
  }

  // ---- log ------------------------------------------------------------------------------------

  /** Appends proposals at the leader's term; false when the uncommitted cap refuses them. */
  appendEntry(ents: readonly Entry[]): boolean {
    const last = this.log.lastIndex();
    const stamped = new Array<Entry>(ents.length);
    let bytes = 0;
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i]!;
      bytes += entrySize(e);
      stamped[i] = { term: this.term, index: last + 1 + i, type: e.type, data: e.data };
    }
    if (
      this.uncommittedSize > 0 &&
      bytes > 0 &&
      this.uncommittedSize + bytes > this.cfg.maxUncommittedEntriesSize
    ) {
      return false;
    }
    this.uncommittedSize += bytes;
    const li = this.log.append(stamped);
    // The leader counts its own copy once it is durable: the ack is stepped on advance.
    this.send({ type: 'appResp', from: this.id, to: this.id, term: this.term, index: li });
    return true;
  }

  reduceUncommittedSize(ents: readonly Entry[]): void {
    if (this.uncommittedSize === 0) return;
    let bytes = 0;
    for (const e of ents) bytes += entrySize(e);
    this.uncommittedSize = bytes >= this.uncommittedSize ? 0 : this.uncommittedSize - bytes;
  }

  /** Advances the commit index to what a quorum has (current-term entries only). */
  maybeCommit(): boolean {
    return this.log.maybeCommit(this.tracker.committed(), this.term);
  }

  committedEntryInCurrentTerm(): boolean {
    return this.log.termOrZero(this.log.committed) === this.term;
  }

  /** Installs a leader's snapshot; false when it is not newer than what we have. */
  restore(snapshot: Snapshot): boolean {
    const { index, term } = snapshot.metadata;
    if (index <= this.log.committed) return false;
    if (this.log.matchTerm(index, term)) {
      // We already have the entry: just fast-forward the commit index.
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(snapshot);
    this.tracker.applyConf(snapshot.metadata.confState, this.log.lastIndex() + 1);
    return true;
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** Answers a confirmed read: locally as a ReadState, or to the follower that forwarded it. */
  responseToReadIndexReq(request: Message, index: number): Message | undefined {
    const requestCtx = request.context ?? new Uint8Array(0);
    if (request.from === NONE || request.from === this.id) {
      this.readStates.push({ index, requestCtx });
      return undefined;
    }
    return {
      type: 'readIndexResp',
      from: this.id,
      to: request.from,
      term: this.term,
      index,
      context: requestCtx,
    };
  }

  // ---- membership -----------------------------------------------------------------------------

  /** Applies a committed membership change (the driver calls this when applying its entry). */
  applyConfChange(change: ConfChange): ConfState {
    const current = this.tracker.confState();
    const next = applyConfChangeToState(current, change);
    if (change.type === 'removeNode' && next !== current) this.removed.add(change.nodeId);
    this.tracker.applyConf(next, this.log.lastIndex() + 1);
    if (this.role === 'leader') {
      if (!this.tracker.isVoter(this.id)) {
        // A removed or demoted leader steps down; the rest elect a new one.
        this.becomeFollower(this.term, NONE);
      } else {
        if (this.maybeCommit()) bcastAppend(this);
        else
          for (const id of this.tracker.progress.keys()) if (id !== this.id) maybeSendAppend(this, id, false);
        if (this.leadTransferee !== NONE && !this.tracker.isVoter(this.leadTransferee)) {
          this.leadTransferee = NONE;
        }
      }
    }
    return this.tracker.confState();
  }

  // ---- reports from the driver ----------------------------------------------------------------

  reportUnreachable(id: NodeId): void {
    if (this.role !== 'leader') return;
    const pr = this.tracker.progress.get(id);
    // Messages may have been lost: stop pipelining and probe again.
    if (pr !== undefined && pr.state === 'replicate') pr.becomeProbe();
  }

  reportSnapshot(id: NodeId, status: 'finish' | 'failure'): void {
    if (this.role !== 'leader') return;
    const pr = this.tracker.progress.get(id);
    if (pr === undefined || pr.state !== 'snapshot') return;
    if (status === 'failure') pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Wait for a heartbeat response before the next 'app', so the follower has time to restore.
    pr.msgAppFlowPaused = true;
  }
}
