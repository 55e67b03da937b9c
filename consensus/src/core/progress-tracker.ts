import type { ConfState, NodeId } from '../types.ts';
import { Progress } from './progress.ts';
import { committedIndex, hasQuorum, type VoteResult, voteResult } from './quorum.ts';

/** The current membership, one Progress per member, and the votes of the running election. */
export class ProgressTracker {
  voters: NodeId[] = [];
  learners: NodeId[] = [];
  readonly progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();
  private readonly maxInflight: number;
  private readonly maxInflightBytes: number;
  private readonly matchOf = (id: NodeId): number => this.progress.get(id)?.match ?? 0;

  constructor(maxInflight: number, maxInflightBytes = 0) {
    this.maxInflight = maxInflight;
    this.maxInflightBytes = maxInflightBytes;
  }

  /** Switches to `conf`: new members start probing at `nextIndex`; removed members are forgotten. */
  applyConf(conf: ConfState, nextIndex: number): void {
    this.voters = [...conf.voters];
    this.learners = [...conf.learners];
    const keep = new Set<NodeId>();
    for (const id of this.voters) {
      this.ensure(id, false, nextIndex);
      keep.add(id);
    }
    for (const id of this.learners) {
      this.ensure(id, true, nextIndex);
      keep.add(id);
    }
    for (const id of [...this.progress.keys()]) if (!keep.has(id)) this.progress.delete(id);
  }

  private ensure(id: NodeId, isLearner: boolean, nextIndex: number): void {
    const pr = this.progress.get(id);
    if (pr !== undefined) {
      pr.isLearner = isLearner;
      return;
    }
    const fresh = new Progress(nextIndex, this.maxInflight, isLearner, this.maxInflightBytes);
    // A new member counts as active so that adding it cannot make CheckQuorum depose the leader.
    fresh.recentActive = true;
    this.progress.set(id, fresh);
  }

  /** Forgets what is known of every member (new term): all probe from lastIndex + 1. */
  resetProgress(self: NodeId, lastIndex: number): void {
    for (const [id, pr] of this.progress) {
      const fresh = new Progress(lastIndex + 1, this.maxInflight, pr.isLearner, this.maxInflightBytes);
      if (id === self) fresh.match = lastIndex;
      this.progress.set(id, fresh);
    }
  }

  confState(): ConfState {
    return { voters: [...this.voters], learners: [...this.learners] };
  }

  isVoter(id: NodeId): boolean {
    return this.voters.includes(id);
  }

  isSingleton(): boolean {
    return this.voters.length === 1;
  }

  /** The highest index replicated on a majority of voters. */
  committed(): number {
    return committedIndex(this.voters, this.matchOf);
  }

  resetVotes(): void {
    this.votes.clear();
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): VoteResult {
    return voteResult(this.voters, this.votes);
  }

  /** Whether a majority of voters was heard from (the leader itself always counts). */
  quorumActive(self: NodeId): boolean {
    return hasQuorum(this.voters, (id) => id === self || this.progress.get(id)?.recentActive === true);
  }
}
