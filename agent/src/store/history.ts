/**
 * The bounded event history: the last N changes, one per revision. It serves watch resumption
 * (`?resourceVersion=N&watch=true` replays every change after N) and consistent paging (a list
 * continued at revision R undoes the changes after R). Revisions older than what it holds are
 * compacted: asking for them is 410 Expired, as in Kubernetes.
 */
import type { KubeObject } from '../api/types/meta.ts';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One applied change. `prevObject` is the state before it (absent for ADDED). */
export interface ChangeEvent {
  readonly type: ChangeType;
  readonly revision: number;
  readonly group: string;
  readonly resource: string;
  readonly object: KubeObject;
  readonly prevObject?: KubeObject;
}

export class EventHistory {
  readonly capacity: number;
  private readonly ring: (ChangeEvent | undefined)[];
  private start = 0;
  private count = 0;
  /** Every revision <= this one has left the history. */
  private compacted: number;

  constructor(capacity: number, compactedRevision = 0) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`history capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.ring = new Array(capacity);
    this.compacted = compactedRevision;
  }

  get compactedRevision(): number {
    return this.compacted;
  }
  get size(): number {
    return this.count;
  }

  /** Appends the change of the next revision; evicts the oldest when full. */
  push(e: ChangeEvent): void {
    const last = this.at(this.count - 1);
    const expected = (last?.revision ?? this.compacted) + 1;
    if (e.revision !== expected)
      throw new RangeError(`history needs consecutive revisions: expected ${expected}, got ${e.revision}`);
    if (this.count === this.capacity) {
      const oldest = this.ring[this.start];
      this.compacted = oldest?.revision ?? this.compacted;
      this.ring[this.start] = e;
      this.start = (this.start + 1) % this.capacity;
    } else {
      this.ring[(this.start + this.count) % this.capacity] = e;
      this.count++;
    }
  }

  /** True if every change after `revision` is still held. */
  covers(revision: number): boolean {
    return revision >= this.compacted;
  }

  /** The changes after `revision`, oldest first; the caller checks `covers` first. */
  *after(revision: number): Generator<ChangeEvent> {
    const first = Math.max(0, revision - this.compacted);
    for (let i = first; i < this.count; i++) {
      const e = this.at(i);
      if (e !== undefined) yield e;
    }
  }

  /** Every held change, oldest first. */
  all(): ChangeEvent[] {
    return [...this.after(this.compacted)];
  }

  private at(i: number): ChangeEvent | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.ring[(this.start + i) % this.capacity];
  }
}
