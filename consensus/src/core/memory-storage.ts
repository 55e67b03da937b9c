import {
  type ConfState,
  ConsensusError,
  EMPTY_HARD_STATE,
  type Entry,
  type HardState,
  type LogStorage,
  type Snapshot,
} from '../types.ts';
import { entrySize } from './raft-log.ts';

/**
 * LogStorage in memory: the durable log as the core reads it. The driver appends here after the
 * WAL fsync (or tests append directly). ents[i] has index snapshot.index + 1 + i.
 */
export class MemoryStorage implements LogStorage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot;
  private confState: ConfState;
  private ents: Entry[] = [];
  /** Index and term of the entry just before ents[0] (the last compacted one). */
  private offset = 0;
  private offsetTerm = 0;

  /** `confState` is the initial membership of a new cluster (the snapshot at index 0). */
  constructor(confState: ConfState = { voters: [], learners: [] }) {
    this.confState = confState;
    this.snap = { metadata: { index: 0, term: 0, confState }, data: new Uint8Array(0) };
  }

  /** The membership as of the last applied change; the driver keeps it current across restarts. */
  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.confState };
  }

  setHardState(hardState: HardState): void {
    this.hardState = hardState;
  }

  /** Records the membership the core should start with (call after applying a confChange). */
  setConfState(confState: ConfState): void {
    this.confState = confState;
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  lastIndex(): number {
    return this.offset + this.ents.length;
  }

  term(index: number): number {
    if (index === this.offset) return this.offsetTerm;
    if (index < this.offset) throw compacted(index, this.offset);
    const e = this.ents[index - this.offset - 1];
    if (e === undefined) throw unavailable(index, this.lastIndex());
    return e.term;
  }

  entries(lo: number, hi: number, maxBytes = Number.POSITIVE_INFINITY): Entry[] {
    if (lo <= this.offset) throw compacted(lo, this.offset);
    if (hi > this.lastIndex() + 1) throw unavailable(hi - 1, this.lastIndex());
    const start = lo - this.offset - 1;
    const end = hi - this.offset - 1;
    if (maxBytes === Number.POSITIVE_INFINITY) return this.ents.slice(start, end);
    let bytes = 0;
    let stop = start;
    while (stop < end) {
      bytes += entrySize(this.ents[stop]!);
      if (stop > start && bytes > maxBytes) break;
      stop++;
    }
    return this.ents.slice(start, stop);
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /**
   * Appends consecutive entries, discarding any stored suffix from entries[0].index on (Raft's
   * log truncation). Entries at or below the snapshot are skipped.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const firstNew = entries[0]!.index;
    const lastNew = firstNew + entries.length - 1;
    if (lastNew < first) return;
    const skip = first > firstNew ? first - firstNew : 0;
    const at = firstNew + skip - this.offset - 1;
    if (at > this.ents.length) {
      throw new ConsensusError(
        'Unavailable',
        `append at index ${firstNew + skip} leaves a gap after last index ${this.lastIndex()}: persist Ready entries in order`,
      );
    }
    if (at < this.ents.length) this.ents.length = at;
    for (let i = skip; i < entries.length; i++) this.ents.push(entries[i]!);
  }

  /** Replaces the log with `snapshot` (a follower installing the leader's snapshot). */
  applySnapshot(snapshot: Snapshot): void {
    if (snapshot.metadata.index <= this.snap.metadata.index && this.snap.metadata.index > 0) {
      throw new ConsensusError(
        'Compacted',
        `snapshot at ${snapshot.metadata.index} is not newer than the stored one at ${this.snap.metadata.index}; drop it`,
      );
    }
    this.snap = snapshot;
    this.offset = snapshot.metadata.index;
    this.offsetTerm = snapshot.metadata.term;
    this.confState = snapshot.metadata.confState;
    this.ents = [];
  }

  /** Makes a snapshot of the state machine at `index` (<= applied); the log is kept until compact. */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.metadata.index) throw compacted(index, this.snap.metadata.index);
    if (index < this.offset) throw compacted(index, this.offset);
    if (index > this.lastIndex()) throw unavailable(index, this.lastIndex());
    this.snap = { metadata: { index, term: this.term(index), confState }, data };
    return this.snap;
  }

  /**
   * Discards entries up to and including `index`. Compact at or below the last snapshot's index:
   * a follower that needs an entry past the snapshot but compacted away could never catch up.
   */
  compact(index: number): void {
    if (index <= this.offset) throw compacted(index, this.offset);
    if (index > this.lastIndex()) throw unavailable(index, this.lastIndex());
    const term = this.term(index);
    this.ents = this.ents.slice(index - this.offset);
    this.offset = index;
    this.offsetTerm = term;
  }
}

function compacted(index: number, snapshotIndex: number): ConsensusError {
  return new ConsensusError(
    'Compacted',
    `index ${index} is compacted (snapshot at ${snapshotIndex}); read the snapshot instead`,
  );
}

function unavailable(index: number, lastIndex: number): ConsensusError {
  return new ConsensusError('Unavailable', `index ${index} is past the last index ${lastIndex}`);
}
