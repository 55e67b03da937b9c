// Rebuilds the log from WAL records, oldest segment first. Pure: no I/O, so it is tested alone.
//
// Raft log overwrite semantics: an entry at an index at or below the last one replaced the stored
// suffix from that index on. A snapshot marker applies Raft's snapshot rule: if the log holds the
// snapshot's (index, term) the entries after it stay, otherwise the whole log is discarded.

import type { Entry, HardState, Snapshot } from '../types.ts';
import { ConsensusError, EMPTY_HARD_STATE } from '../types.ts';

export class LogReplay {
  /** Index of entries[0]; undefined until the first entry or marker. */
  private start: number | undefined;
  private entries: Entry[] = [];
  hardState: HardState = EMPTY_HARD_STATE;
  /** Where the current record came from, for error messages. */
  where = '';

  /** Index of the last entry, or start - 1 if none. 0 if nothing seen. */
  get lastIndex(): number {
    return this.start === undefined ? 0 : this.start + this.entries.length - 1;
  }

  entry(e: Entry): void {
    if (this.start === undefined || e.index < this.start) {
      // The first entry replayed (older segments were deleted), or an overwrite below everything kept.
      this.start = e.index;
      this.entries = [e];
      return;
    }
    const offset = e.index - this.start;
    if (offset > this.entries.length) {
      throw new ConsensusError(
        'Corrupt',
        `WAL ${this.where}: entry ${e.index} follows entry ${this.lastIndex}, leaving a gap. ` +
          'The WAL is inconsistent; restore this member from a healthy peer.',
      );
    }
    if (offset < this.entries.length) this.entries.length = offset;
    this.entries.push(e);
  }

  snapshotMarker(index: number, term: number): void {
    const start = this.start;
    if (start !== undefined) {
      // The log already begins after the snapshot (its older part lives in deleted segments).
      if (index < start) return;
      if (index <= this.lastIndex && this.entries[index - start]!.term === term) return;
    }
    this.start = index + 1;
    this.entries = [];
  }

  /**
   * The durable state given the snapshot loaded from the snapshot files (the newest valid one).
   * Throws Corrupt if the log does not continue right after it.
   */
  finish(snapshot: Snapshot | undefined): { hardState: HardState; entries: Entry[] } {
    const snapIndex = snapshot?.metadata.index ?? 0;
    if (snapshot) this.snapshotMarker(snapIndex, snapshot.metadata.term);
    if (this.start === undefined) return { hardState: this.hardState, entries: [] };
    let entries = this.entries;
    if (this.start <= snapIndex) entries = entries.slice(snapIndex + 1 - this.start);
    const first = this.start <= snapIndex ? snapIndex + 1 : this.start;
    if (first !== snapIndex + 1) {
      const base = snapshot
        ? `the newest usable snapshot ends at index ${snapIndex}`
        : 'there is no snapshot file, so the log must start at index 1';
      throw new ConsensusError(
        'Corrupt',
        `WAL: ${base}, but the log continues only from index ${first}: entries ${snapIndex + 1}..${first - 1} ` +
          'are missing (a snapshot file was lost or is corrupt). Restore this member from a healthy peer ' +
          '(stop it, move its data directory aside, and re-add it as a new member).',
      );
    }
    return { hardState: this.hardState, entries };
  }
}
