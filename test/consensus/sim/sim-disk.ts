// One node's simulated disk: a WAL (hard state + entries) and a snapshot file. A write lands in
// the page cache; only an fsync makes it durable, and an fsync takes time (a slow disk takes
// long). A crash keeps what was fsynced plus, at random, some prefix of the writes still in the
// page cache (the kernel may have flushed them, as real disks do), and loses the rest.

import type { DurableState, Entry, HardState, Snapshot } from '../../../consensus/src/types.ts';
import { EMPTY_HARD_STATE } from '../../../consensus/src/types.ts';
import type { Prng } from '../../support/prng.ts';
import type { Scheduler } from './sim-queue.ts';

/** What one Ready asks to persist. */
export interface DiskWrite {
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
}

export interface DiskLatency {
  /** fsync duration, uniform in [minMs, maxMs]. */
  readonly minMs: number;
  readonly maxMs: number;
}

export const FAST_DISK: DiskLatency = { minMs: 0.1, maxMs: 0.3 };

/** The disk was asked to store something no Raft log can contain (a gap): a core bug. */
export class DiskModelError extends Error {
  override readonly name = 'DiskModelError';
}

export const EMPTY_DURABLE_STATE: DurableState = {
  hardState: EMPTY_HARD_STATE,
  entries: [],
  snapshot: undefined,
};

/**
 * Applies one write to a durable state, with the WAL's rules: a snapshot replaces the log; entries
 * first discard any stored suffix from their first index on (Raft's truncation), then append.
 */
export function applyWrite(state: DurableState, write: DiskWrite): DurableState {
  let { hardState, entries, snapshot } = state;
  if (write.snapshot !== undefined) {
    snapshot = write.snapshot;
    entries = [];
  }
  if (write.entries.length > 0) {
    const first = write.entries[0] as Entry;
    const base = snapshot?.metadata.index ?? 0;
    const last = entries.length > 0 ? (entries[entries.length - 1] as Entry).index : base;
    if (first.index <= base || first.index > last + 1) {
      throw new DiskModelError(
        `disk: entries from ${first.index} cannot follow a log that ends at ${last} (snapshot at ${base})`,
      );
    }
    write.entries.forEach((entry, i) => {
      if (entry.index !== first.index + i) {
        throw new DiskModelError(`disk: entries in one write are not contiguous at ${entry.index}`);
      }
    });
    entries = [...entries.filter((entry) => entry.index < first.index), ...write.entries];
  }
  if (write.hardState !== undefined) hardState = write.hardState;
  return { hardState, entries, snapshot };
}

export interface CrashOutcome {
  /** Unsynced writes that happened to reach the platter. */
  readonly survived: number;
  readonly lost: number;
}

export class SimDisk {
  readonly #scheduler: Scheduler;
  readonly #prng: Prng;
  #latency: DiskLatency;
  #durable: DurableState = EMPTY_DURABLE_STATE;
  /** The durable state with the cached writes applied: what a read would see now. */
  #written: DurableState = EMPTY_DURABLE_STATE;
  /** Written but not yet fsynced, in order. */
  #cached: DiskWrite[] = [];
  /** When the fsync in progress finishes; fsyncs are serial. */
  #busyUntil = 0;
  /** Bumped by a crash, so that an fsync in flight never reports completion to the next life. */
  #epoch = 0;
  fsyncs = 0;

  constructor(scheduler: Scheduler, prng: Prng, latency: DiskLatency = FAST_DISK) {
    this.#scheduler = scheduler;
    this.#prng = prng;
    this.#latency = latency;
  }

  setLatency(latency: DiskLatency): void {
    this.#latency = latency;
  }

  get latency(): DiskLatency {
    return this.#latency;
  }

  /** Puts a write in the page cache (validated now, so a bad write fails where it was made). */
  write(write: DiskWrite): void {
    this.#written = applyWrite(this.#written, write);
    this.#cached.push(write);
  }

  /** Makes everything written so far durable, then calls `done` (unless the node crashes first). */
  fsync(done: () => void): void {
    const covered = this.#cached.length;
    const epoch = this.#epoch;
    const start = Math.max(this.#scheduler.now(), this.#busyUntil);
    const duration = this.#latency.minMs + this.#prng.float() * (this.#latency.maxMs - this.#latency.minMs);
    this.#busyUntil = start + duration;
    this.#scheduler.at(this.#busyUntil, () => {
      if (epoch !== this.#epoch) return;
      this.fsyncs++;
      this.#flush(covered);
      done();
    });
  }

  /**
   * Stores a snapshot file durably at once (temp file, fsync, rename) after an fsync of the WAL,
   * as etcd does, so that the snapshot never runs ahead of the hard state that led to it.
   */
  saveSnapshot(snapshot: Snapshot): void {
    this.#flush(this.#cached.length);
    const base = this.#durable.snapshot?.metadata.index ?? 0;
    if (snapshot.metadata.index <= base) return;
    // The WAL keeps the entries after the snapshot; older segments are dropped.
    this.#durable = {
      ...this.#durable,
      snapshot,
      entries: this.#durable.entries.filter((entry) => entry.index > snapshot.metadata.index),
    };
    this.#written = this.#durable;
  }

  /** The process dies: unsynced writes are lost, except a random prefix that reached the disk. */
  crash(): CrashOutcome {
    this.#epoch++;
    this.#busyUntil = 0;
    const survived = this.#prng.int(0, this.#cached.length);
    const lost = this.#cached.length - survived;
    this.#flush(survived);
    this.#cached = [];
    this.#written = this.#durable;
    return { survived, lost };
  }

  /** What a restarted process reads back. */
  durableState(): DurableState {
    return this.#durable;
  }

  /** Writes not yet fsynced. */
  get unsyncedWrites(): number {
    return this.#cached.length;
  }

  #flush(count: number): void {
    const flushed = this.#cached.slice(0, count);
    this.#cached = this.#cached.slice(count);
    this.#durable = flushed.reduce(applyWrite, this.#durable);
  }
}
