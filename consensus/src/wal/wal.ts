// The write path. Every save() and saveSnapshot() joins one queue, served in call order:
//
//   save, save, save  --(group commit)-->  encode all records into one reused buffer
//                                          -> rotate the segment if the batch does not fit
//                                          -> one positional write -> one fdatasync if any asked
//                                          -> resolve every caller in the batch
//   saveSnapshot      --(barrier)------->  snapshot file (atomic) -> marker record + fdatasync
//                                          -> prune snapshot files -> delete covered segments
//
// A failed write or fsync leaves the file in an unknown state (the page cache may have dropped
// the dirty pages, "fsyncgate"), so the WAL stops: every later call fails and the node must restart
// and replay, never retry the fsync.

import { type FileHandle, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BinaryWriter } from '../codec/binary.ts';
import type { DurableLog, Entry, HardState, Snapshot } from '../types.ts';
import { ConsensusError } from '../types.ts';
import { syncDirectory } from './fsync.ts';
import { appendEntryRecord, appendHardStateRecord, appendSnapshotMarkerRecord } from './record.ts';
import type { SegmentAllocator } from './segment-allocator.ts';
import { segmentFileName } from './segment-name.ts';
import type { SnapshotStore } from './snapshot-store.ts';

/** Counters a caller (tests, metrics, benchmarks) can read; group commit shows as saves >> dataSyncs. */
export interface WalStats {
  saves: number;
  batches: number;
  dataSyncs: number;
  bytesWritten: number;
  segmentsCreated: number;
  segmentsDeleted: number;
}

/** A segment as the WAL tracks it: enough to decide when it may be deleted. */
export interface SegmentInfo {
  readonly seq: number;
  readonly path: string;
  /** Highest entry index written to it (0 if none): it may go once a kept snapshot covers this. */
  maxIndex: number;
}

/** A segment open for appends: the last replayed one, or one the WAL created. */
export interface OpenSegment extends SegmentInfo {
  readonly fh: FileHandle;
  /** Where the next record goes: the end of the valid records. */
  offset: number;
}

interface TailSegment extends OpenSegment {
  /** Offset after the leading hardState record of a segment the WAL created: such a tail with nothing past it never rotates. */
  readonly headerEnd: number;
}

interface SaveOp {
  readonly kind: 'save';
  readonly hardState: HardState | undefined;
  readonly entries: readonly Entry[];
  readonly sync: boolean;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

interface SnapshotOp {
  readonly kind: 'snapshot';
  readonly snapshot: Snapshot;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

type Op = SaveOp | SnapshotOp;

export interface WalParts {
  readonly dir: string;
  readonly segmentBytes: number;
  readonly keepSnapshots: number;
  readonly allocator: SegmentAllocator;
  readonly snapshots: SnapshotStore;
  readonly logger: (msg: string) => void;
  readonly beforeSync: ((path: string) => void | Promise<void>) | undefined;
  /** Replayed segments, oldest first, including `tail` if there is one. */
  readonly segments: SegmentInfo[];
  /** The last replayed segment, to append to; without it start() creates the first segment. */
  readonly tail: OpenSegment | undefined;
  readonly nextSeq: number;
  readonly hardState: HardState;
  readonly lastIndex: number;
}

/** A writer buffer grown past this by one huge batch is dropped afterwards rather than kept. */
const WRITER_KEEP_BYTES = 8 << 20;

async function writeAll(fh: FileHandle, buf: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    done += (await fh.write(buf, done, buf.length - done, position + done)).bytesWritten;
  }
}

export class Wal implements DurableLog {
  readonly stats: WalStats = {
    saves: 0,
    batches: 0,
    dataSyncs: 0,
    bytesWritten: 0,
    segmentsCreated: 0,
    segmentsDeleted: 0,
  };
  private readonly parts: WalParts;
  private readonly segments: SegmentInfo[];
  private tail: TailSegment | undefined;
  private nextSeq: number;
  private hardState: HardState;
  private lastIndex: number;
  private writer = new BinaryWriter(64 << 10);
  private readonly headerWriter = new BinaryWriter(64);
  private queue: Op[] = [];
  private draining: Promise<void> | undefined;
  private failure: ConsensusError | undefined;
  private closed = false;

  constructor(parts: WalParts) {
    this.parts = parts;
    this.segments = parts.segments;
    this.nextSeq = parts.nextSeq;
    this.hardState = parts.hardState;
    this.lastIndex = parts.lastIndex;
  }

  /** Takes over the replayed tail, or creates the first segment; called once by openWal. */
  async start(): Promise<void> {
    const t = this.parts.tail;
    if (!t) {
      await this.rotate();
      return;
    }
    const tail: TailSegment = Object.assign(t, { headerEnd: 0 });
    this.tail = tail;
    if (tail.offset > this.parts.segmentBytes / 2) this.parts.allocator.prepareAhead();
  }

  save(hardState: HardState | undefined, entries: readonly Entry[], sync: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.enqueue({ kind: 'save', hardState, entries, sync, resolve, reject });
    });
  }

  saveSnapshot(snapshot: Snapshot): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.enqueue({ kind: 'snapshot', snapshot, resolve, reject });
    });
  }

  /** Waits for queued writes, then closes the files. Later calls fail with Stopped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.draining;
    const tail = this.tail;
    this.tail = undefined;
    if (tail) await tail.fh.close();
    await this.parts.allocator.close();
  }

  private enqueue(op: Op): void {
    if (this.failure) {
      op.reject(this.failure);
      return;
    }
    if (this.closed) {
      op.reject(new ConsensusError('Stopped', 'the WAL is closed; open it again to write'));
      return;
    }
    if (op.kind === 'save') this.stats.saves++;
    this.queue.push(op);
    this.draining ??= this.drain();
  }

  private async drain(): Promise<void> {
    // One microtask of patience: saves issued in the same tick share the first batch too.
    await Promise.resolve();
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      let batch: Op[];
      if (head.kind === 'snapshot') {
        batch = [this.queue.shift()!];
      } else {
        let n = 1;
        while (n < this.queue.length && this.queue[n]!.kind === 'save') n++;
        batch = this.queue.splice(0, n);
      }
      try {
        if (head.kind === 'snapshot') await this.writeSnapshot(head);
        else await this.writeSaves(batch as SaveOp[]);
      } catch (err) {
        this.fail(err, batch);
        break;
      }
    }
    this.draining = undefined;
  }

  private fail(err: unknown, batch: Op[]): void {
    const cause = err instanceof Error ? err.message : String(err);
    this.failure = new ConsensusError(
      'Stopped',
      `WAL write failed (${cause}); what reached the disk is unknown, so this WAL accepts no more writes. ` +
        'Fix the disk problem and restart the node: open replays the WAL and drops any torn tail.',
    );
    this.parts.logger(this.failure.message);
    for (const op of batch) op.reject(this.failure);
    for (const op of this.queue.splice(0)) op.reject(this.failure);
  }

  private async writeSaves(batch: SaveOp[]): Promise<void> {
    const w = this.writer;
    w.reset();
    let lastIndex = this.lastIndex;
    let maxIndex = 0;
    let hardState = this.hardState;
    let sync = false;
    const accepted: SaveOp[] = [];
    for (const op of batch) {
      const first = op.entries[0];
      if (first && first.index > lastIndex + 1) {
        op.reject(
          new ConsensusError(
            'Corrupt',
            `refusing to write entry ${first.index} after last index ${lastIndex}: it would leave a gap in the WAL`,
          ),
        );
        continue;
      }
      if (op.hardState) {
        appendHardStateRecord(w, op.hardState);
        hardState = op.hardState;
      }
      for (const e of op.entries) {
        appendEntryRecord(w, e);
        if (e.index > maxIndex) maxIndex = e.index;
      }
      const last = op.entries[op.entries.length - 1];
      if (last) lastIndex = last.index;
      sync ||= op.sync;
      accepted.push(op);
    }
    if (w.length > 0) {
      let tail = this.tail!;
      if (tail.offset > tail.headerEnd && tail.offset + w.length > this.parts.segmentBytes) {
        tail = await this.rotate();
      }
      await writeAll(tail.fh, w.view(), tail.offset);
      tail.offset += w.length;
      this.stats.bytesWritten += w.length;
      if (maxIndex > tail.maxIndex) tail.maxIndex = maxIndex;
      if (tail.offset > this.parts.segmentBytes / 2) this.parts.allocator.prepareAhead();
    }
    if (sync) {
      await this.sync(this.tail!);
    }
    this.stats.batches++;
    this.hardState = hardState;
    this.lastIndex = lastIndex;
    if (w.capacity > WRITER_KEEP_BYTES) this.writer = new BinaryWriter(64 << 10);
    for (const op of accepted) op.resolve();
  }

  private async writeSnapshot(op: SnapshotOp): Promise<void> {
    const { index, term } = op.snapshot.metadata;
    try {
      await this.parts.snapshots.save(op.snapshot);
    } catch (err) {
      // Nothing of the log changed yet (at worst a .tmp file, removed on open): only this call fails.
      this.parts.logger(`writing snapshot ${index} failed, the WAL is unaffected: ${String(err)}`);
      op.reject(err);
      return;
    }
    const w = this.writer;
    w.reset();
    appendSnapshotMarkerRecord(w, index, term);
    const tail = this.tail!;
    await writeAll(tail.fh, w.view(), tail.offset);
    tail.offset += w.length;
    this.stats.bytesWritten += w.length;
    await this.sync(tail);
    if (index > this.lastIndex) this.lastIndex = index;
    try {
      await this.compact();
    } catch (err) {
      // The snapshot and its marker are durable: failing to clean up old files is not a failed save.
      this.parts.logger(`cleaning up after snapshot ${index} failed (old files kept): ${String(err)}`);
    }
    op.resolve();
  }

  /** fdatasync of a segment, through the fault-injection hook. */
  private async sync(segment: OpenSegment): Promise<void> {
    await this.parts.beforeSync?.(segment.path);
    await segment.fh.datasync();
    this.stats.dataSyncs++;
  }

  /**
   * Keeps the newest snapshots and the segments needed to replay from the oldest kept one, so that
   * a newest snapshot found corrupt on open can fall back to the previous one.
   */
  private async compact(): Promise<void> {
    const kept = await this.parts.snapshots.prune(this.parts.keepSnapshots);
    const oldest = kept[kept.length - 1];
    if (!oldest) return;
    let deleted = 0;
    while (
      this.segments.length > 1 &&
      this.segments[0] !== this.tail &&
      this.segments[0]!.maxIndex <= oldest.index
    ) {
      const seg = this.segments.shift()!;
      await rm(seg.path);
      deleted++;
    }
    if (deleted > 0) {
      await syncDirectory(this.parts.dir);
      this.stats.segmentsDeleted += deleted;
    }
  }

  /**
   * Closes the tail (cut to its written length and synced, so only the last segment can ever hold
   * a torn record) and starts the next segment with the current hardState.
   */
  private async rotate(): Promise<TailSegment> {
    const prev = this.tail;
    if (prev) {
      await prev.fh.truncate(prev.offset);
      await this.sync(prev);
      await prev.fh.close();
      this.tail = undefined;
    }
    const prepared = await this.parts.allocator.take();
    const seq = this.nextSeq++;
    const path = join(this.parts.dir, segmentFileName(seq, this.lastIndex + 1));
    await rename(prepared.path, path);
    const h = this.headerWriter;
    h.reset();
    appendHardStateRecord(h, this.hardState);
    await writeAll(prepared.fh, h.view(), 0);
    await prepared.fh.datasync();
    await syncDirectory(this.parts.dir);
    this.stats.dataSyncs++;
    this.stats.segmentsCreated++;
    const tail: TailSegment = {
      seq,
      path,
      maxIndex: 0,
      fh: prepared.fh,
      offset: h.length,
      headerEnd: h.length,
    };
    this.segments.push(tail);
    this.tail = tail;
    return tail;
  }
}
