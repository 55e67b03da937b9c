import type { Entry, LogStorage, Snapshot } from '../types.ts';
import { NO_ENTRIES, Unstable } from './unstable.ts';

/** Bytes an entry counts for message and apply-batch limits. */
export function entrySize(e: Entry): number {
  return e.data.byteLength;
}

/**
 * The log as Raft sees it: durable entries in storage followed by unstable ones, plus the commit
 * and apply cursors (etcd's log.go). Index arithmetic only; nothing is copied per entry.
 *
 *   storage: [firstIndex ............ storage.lastIndex]
 *   unstable:                    [offset ........ lastIndex]   (overrides storage from offset on)
 *   applied <= applying <= committed <= lastIndex
 */
export class RaftLog {
  readonly storage: LogStorage;
  readonly unstable: Unstable;
  committed: number;
  /** Highest index handed to the driver for applying (in a Ready not yet advanced). */
  applying: number;
  applied: number;

  constructor(storage: LogStorage) {
    this.storage = storage;
    this.unstable = new Unstable(storage.lastIndex() + 1);
    const first = storage.firstIndex();
    this.committed = first - 1;
    this.applying = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** The term at `index`, or undefined when it is compacted away or past the end. */
  term(index: number): number | undefined {
    const t = this.unstable.maybeTerm(index);
    if (t !== undefined) return t;
    if (index + 1 < this.firstIndex() || index > this.lastIndex()) return undefined;
    return this.storage.term(index);
  }

  termOrZero(index: number): number {
    return this.term(index) ?? 0;
  }

  lastTerm(): number {
    return this.termOrZero(this.lastIndex());
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Whether a log ending at (lastIndex, lastTerm) is at least as up to date as ours (§5.4.1). */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** The first index in `ents` that is new or conflicts with ours, or 0 when all match. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  /**
   * The last index <= `index` whose term is <= `term`, with that term: where a leader whose entry
   * at `index` has `term` can next probe. Skips a whole term per step, so a divergent follower is
   * fixed in O(terms) round trips. Returns term 0 when the answer is not known locally.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = index; i > 0; i--) {
      const t = this.term(i);
      if (t === undefined) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
    }
    return { index: 0, term: 0 };
  }

  /**
   * Follower side of 'app': appends `ents` after (index, logTerm) if our log matches there.
   * Returns the last index of the new entries, or -1 on mismatch.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number {
    if (!this.matchTerm(index, logTerm)) return -1;
    const lastNew = index + ents.length;
    const conflict = this.findConflict(ents);
    if (conflict !== 0) {
      // A conflict at or below our commit index can only come from a faulty peer: never truncate
      // committed entries, reject instead.
      if (conflict <= this.committed) return -1;
      const from = conflict - (index + 1);
      this.append(from === 0 ? ents : ents.slice(from));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): number {
    if (ents.length > 0) this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** Entries [lo, hi), at most maxBytes (but at least one). Bounds must be within the log. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo >= hi) return [];
    const offset = this.unstable.offset;
    let out: Entry[] = [];
    let bytes = 0;
    if (lo < offset) {
      const storageHi = Math.min(hi, offset);
      out = this.storage.entries(lo, storageHi, maxBytes);
      if (out.length < storageHi - lo) return out;
      if (hi <= offset) return out;
      for (const e of out) bytes += entrySize(e);
    }
    const from = Math.max(lo, offset) - offset;
    const to = hi - offset;
    const ents = this.unstable.entries;
    for (let i = from; i < to; i++) {
      const e = ents[i]!;
      bytes += entrySize(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** Entries from `lo` to the end, at most maxBytes (but at least one). */
  entries(lo: number, maxBytes: number): Entry[] {
    return this.slice(lo, this.lastIndex() + 1, maxBytes);
  }

  hasNextOrInProgressSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  hasNextCommittedEnts(): boolean {
    return !this.hasNextOrInProgressSnapshot() && this.applying < this.committed;
  }

  /** Committed entries not yet handed out for applying, at most maxBytes (but at least one). */
  nextCommittedEnts(maxBytes: number): readonly Entry[] {
    if (!this.hasNextCommittedEnts()) return NO_ENTRIES;
    return this.slice(this.applying + 1, this.committed + 1, maxBytes);
  }

  commitTo(index: number): void {
    // Never past our own log: a peer that says otherwise is ignored rather than trusted.
    if (index > this.committed && index <= this.lastIndex()) this.committed = index;
  }

  /** Leader side: commits `index` if it is of the current term (Figure 8: never count older terms). */
  maybeCommit(index: number, term: number): boolean {
    if (index > this.committed && this.termOrZero(index) === term) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  appliedTo(index: number): void {
    if (index > this.applied) this.applied = index;
    if (index > this.applying) this.applying = index;
  }

  restore(snapshot: Snapshot): void {
    this.committed = snapshot.metadata.index;
    this.unstable.restore(snapshot);
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }
}
