import type { Entry, Snapshot } from '../types.ts';

export const NO_ENTRIES: readonly Entry[] = Object.freeze([]) as readonly Entry[];

/**
 * Entries (and possibly a snapshot) that the core has accepted but the driver has not yet
 * confirmed durable (etcd's log_unstable.go). entries[i] has index offset + i. Everything below
 * offsetInProgress has been handed out in a Ready and is being persisted.
 */
export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];
  offset: number;
  snapshotInProgress = false;
  offsetInProgress: number;

  constructor(offset: number) {
    this.offset = offset;
    this.offsetInProgress = offset;
  }

  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index;
  }

  maybeTerm(index: number): number | undefined {
    if (index < this.offset) {
      const snap = this.snapshot;
      return snap !== undefined && snap.metadata.index === index ? snap.metadata.term : undefined;
    }
    const i = index - this.offset;
    return i < this.entries.length ? this.entries[i]!.term : undefined;
  }

  /** Entries not yet handed to the driver. A copy: the live array keeps growing. */
  nextEntries(): readonly Entry[] {
    const from = this.offsetInProgress - this.offset;
    if (from >= this.entries.length) return NO_ENTRIES;
    return this.entries.slice(from);
  }

  hasNextEntries(): boolean {
    return this.offsetInProgress - this.offset < this.entries.length;
  }

  nextSnapshot(): Snapshot | undefined {
    return this.snapshotInProgress ? undefined : this.snapshot;
  }

  /** Marks everything current as handed out (it is in a Ready being persisted). */
  acceptInProgress(): void {
    if (this.entries.length > 0) this.offsetInProgress = this.offset + this.entries.length;
    if (this.snapshot !== undefined) this.snapshotInProgress = true;
  }

  /**
   * The driver made entries up to `index` durable. The term check skips the case where those
   * entries were replaced by a new leader's while the write was under way.
   */
  stableTo(index: number, term: number): void {
    const t = this.maybeTerm(index);
    if (t === undefined || index < this.offset || t !== term) return;
    const n = index + 1 - this.offset;
    this.entries = n === this.entries.length ? [] : this.entries.slice(n);
    this.offset = index + 1;
    if (this.offsetInProgress < this.offset) this.offsetInProgress = this.offset;
  }

  stableSnapTo(index: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === index) {
      this.snapshot = undefined;
      this.snapshotInProgress = false;
    }
  }

  restore(snapshot: Snapshot): void {
    this.offset = snapshot.metadata.index + 1;
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = snapshot;
    this.snapshotInProgress = false;
  }

  /** Appends `ents` (consecutive), first dropping any suffix from ents[0].index on. */
  truncateAndAppend(ents: readonly Entry[]): void {
    const from = ents[0]!.index;
    if (from === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (from <= this.offset) {
      // Replaces everything unstable; storage's stale suffix is overwritten when these persist.
      this.entries = ents.slice();
      this.offset = from;
      this.offsetInProgress = from;
    } else {
      this.entries.length = from - this.offset;
      for (const e of ents) this.entries.push(e);
      if (this.offsetInProgress > from) this.offsetInProgress = from;
    }
  }

  /** Entries [lo, hi); the caller checks the bounds. */
  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
