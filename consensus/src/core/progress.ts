import { Inflights } from './inflights.ts';

/**
 * How the leader replicates to one follower:
 * - probe: it does not know the follower's log end; one 'app' per heartbeat until one is accepted;
 * - replicate: optimistic pipelining, bounded by the inflight window;
 * - snapshot: a snapshot is on its way; nothing else is sent until it is reported or acknowledged.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** The leader's view of one member's log (etcd's tracker/progress.go). */
export class Progress {
  /** Highest index known to be in the member's log. */
  match = 0;
  /** Next index to send. */
  next: number;
  state: ProgressState = 'probe';
  /** In snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from within the current election timeout (CheckQuorum). */
  recentActive = false;
  /** Probe: an 'app' is outstanding; replicate: the window is full. */
  msgAppFlowPaused = false;
  isLearner: boolean;
  readonly inflights: Inflights;

  constructor(next: number, maxInflight: number, isLearner: boolean, maxInflightBytes = 0) {
    this.next = next;
    this.isLearner = isLearner;
    this.inflights = new Inflights(maxInflight, maxInflightBytes);
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot, resume from past it: the follower will have it once it reports back.
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
    this.next = snapshotIndex + 1;
  }

  /** An acceptance of everything up to `n`; returns whether match moved. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    if (this.next < n + 1) this.next = n + 1;
    return updated;
  }

  /**
   * A rejection of the 'app' whose previous index was `rejected`; `matchHint` is where the logs may
   * agree. Returns false for stale rejections (already superseded), which must be ignored.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** Accounts for an 'app' carrying `entries` entries of `bytes` bytes. */
  sentEntries(entries: number, bytes: number): void {
    if (this.state === 'replicate') {
      if (entries > 0) {
        this.next += entries;
        this.inflights.add(this.next - 1, bytes);
      }
      this.msgAppFlowPaused = this.inflights.full();
    } else if (this.state === 'probe' && entries > 0) {
      this.msgAppFlowPaused = true;
    }
  }

  isPaused(): boolean {
    return this.state === 'snapshot' ? true : this.msgAppFlowPaused;
  }
}
