// The open/replay path:
//
//   remove *.tmp  ->  load newest valid snapshot (fall back past corrupt ones)
//   -> replay segments in seq order (entries with overwrite, hardStates, snapshot markers)
//      last segment: zero a torn tail on disk; it stays open as the tail for appends
//      (or is deleted, and a fresh tail started, if it holds no record at all)
//   -> trim the log to the entries after the snapshot (Corrupt if it does not continue from it)

import { type FileHandle, mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BinaryReader } from '../codec/binary.ts';
import { readEntry, readHardState } from '../codec/records.ts';
import type { DurableState, Snapshot, TornTail } from '../types.ts';
import { ConsensusError } from '../types.ts';
import { syncDirectory } from './fsync.ts';
import { RecordType } from './record.ts';
import { LogReplay } from './replay.ts';
import { SegmentAllocator } from './segment-allocator.ts';
import { isTempFile, parseSegmentName, type SegmentName } from './segment-name.ts';
import { scanSegment } from './segment-scan.ts';
import { SnapshotStore } from './snapshot-store.ts';
import { type OpenSegment, type SegmentInfo, Wal } from './wal.ts';

export interface WalOptions {
  /** Segment size before rotation; segments are zero-filled to this size in advance. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** Zero-fill new segments ahead of use (default true): cheaper fdatasyncs than appending. */
  readonly preallocate?: boolean;
  /** Snapshot files kept (default 2); segments are kept back to the oldest of them. */
  readonly keepSnapshots?: number;
  /** Warnings: torn tail dropped, corrupt snapshot skipped, temp files removed. */
  readonly logger?: (msg: string) => void;
  /** Called before each fdatasync of a segment's appends; throwing simulates a failed fsync (tests). */
  readonly beforeSync?: (path: string) => void | Promise<void>;
}

export interface OpenedWal {
  readonly log: Wal;
  readonly state: DurableState;
  readonly tornTail: TornTail | undefined;
}

const DEFAULT_SEGMENT_BYTES = 64 << 20;

function defaultLogger(msg: string): void {
  process.stderr.write(`consensus/wal: ${msg}\n`);
}

/** Opens (or creates) the WAL in dir and returns the durable state to rebuild the node from. */
export async function openWal(dir: string, options: WalOptions = {}): Promise<OpenedWal> {
  const logger = options.logger ?? defaultLogger;
  const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  await mkdir(dir, { recursive: true });

  const files = await readdir(dir);
  for (const f of files.filter(isTempFile)) {
    logger(`removing ${f}: a segment or snapshot that was being written when the process stopped`);
    await rm(join(dir, f));
  }

  const snapshots = new SnapshotStore(dir, logger);
  const loaded = await snapshots.loadNewest();
  const snapshot: Snapshot | undefined = loaded?.snapshot;

  const names = files.map(parseSegmentName).filter((s): s is SegmentName => s !== undefined);
  names.sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < names.length; i++) {
    if (names[i]!.seq !== names[i - 1]!.seq + 1) {
      throw new ConsensusError(
        'Corrupt',
        `WAL in ${dir} is missing segment ${names[i - 1]!.seq + 1} between ${names[i - 1]!.file} and ` +
          `${names[i]!.file}. Restore this member from a healthy peer (move its data directory aside and re-add it).`,
      );
    }
  }

  const replayed = await replaySegments(dir, names, logger);
  let finished: ReturnType<LogReplay['finish']>;
  try {
    finished = replayed.replay.finish(snapshot);
  } catch (err) {
    await replayed.tail?.fh.close();
    throw err;
  }
  const { hardState, entries } = finished;
  const lastIndex = entries.length > 0 ? entries[entries.length - 1]!.index : (snapshot?.metadata.index ?? 0);

  const log = new Wal({
    dir,
    segmentBytes,
    keepSnapshots: options.keepSnapshots ?? 2,
    allocator: new SegmentAllocator(dir, segmentBytes, options.preallocate ?? true),
    snapshots,
    logger,
    beforeSync: options.beforeSync,
    segments: replayed.segments,
    tail: replayed.tail,
    // From the kept segments: an empty last segment was deleted, and its seq is free again.
    nextSeq: (replayed.segments[replayed.segments.length - 1]?.seq ?? 0) + 1,
    hardState,
    lastIndex,
  });
  await log.start();
  return { log, state: { hardState, entries, snapshot }, tornTail: replayed.tornTail };
}

interface Replayed {
  readonly replay: LogReplay;
  /** Every segment kept, oldest first; the last one is `tail` when it is reused for appends. */
  readonly segments: SegmentInfo[];
  readonly tail: OpenSegment | undefined;
  readonly tornTail: TornTail | undefined;
}

async function readWhole(fh: FileHandle, buf: Buffer): Promise<{ buf: Buffer; size: number }> {
  const size = (await fh.stat()).size;
  const into = buf.length < size ? Buffer.allocUnsafe(size) : buf;
  let read = 0;
  while (read < size) {
    const n = (await fh.read(into, read, size - read, read)).bytesRead;
    if (n === 0) break;
    read += n;
  }
  return { buf: into, size: read };
}

async function replaySegments(
  dir: string,
  names: readonly SegmentName[],
  logger: (m: string) => void,
): Promise<Replayed> {
  const replay = new LogReplay();
  const segments: SegmentInfo[] = [];
  let tail: OpenSegment | undefined;
  let tornTail: TornTail | undefined;
  // One read buffer for all segments; entry data is copied out, so the buffer is reused.
  let buf: Buffer = Buffer.allocUnsafe(0);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const path = join(dir, name.file);
    const isLast = i === names.length - 1;
    const fh = await open(path, isLast ? 'r+' : 'r');
    let keepOpen = false;
    try {
      const read = await readWhole(fh, buf);
      buf = read.buf;
      const reader = new BinaryReader(buf, 0, read.size, `WAL segment ${path}`);
      const info: SegmentInfo = { seq: name.seq, path, maxIndex: 0 };
      replay.where = path;
      const scan = scanSegment(buf, read.size, path, isLast, (type, start, end) => {
        reader.window(start, end);
        if (type === RecordType.entry) {
          // Copied out: `buf` is reused for the next segment.
          const entry = readEntry(reader, true);
          reader.expectEnd();
          replay.entry(entry);
          if (entry.index > info.maxIndex) info.maxIndex = entry.index;
        } else if (type === RecordType.hardState) {
          replay.hardState = readHardState(reader);
          reader.expectEnd();
        } else {
          const index = reader.uvarint();
          const term = reader.uvarint();
          reader.expectEnd();
          replay.snapshotMarker(index, term);
        }
      });
      if (!isLast) {
        segments.push(info);
        continue;
      }
      if (scan.torn) {
        tornTail = { file: path, offset: scan.torn.offset, bytesDropped: scan.torn.bytesDropped };
        logger(
          `dropped a torn record at byte ${scan.torn.offset} of ${path} (${scan.torn.bytesDropped} bytes): ` +
            'a write that was cut by a crash before its fsync completed',
        );
        // Zero it on disk (keeping any preallocated space), so appends continue from a clean end.
        await fh.write(Buffer.alloc(scan.torn.bytesDropped), 0, scan.torn.bytesDropped, scan.torn.offset);
        await fh.datasync();
      }
      if (scan.records === 0) {
        // Nothing in it, not even the leading hardState: a segment created just before a crash.
        await rm(path);
        await syncDirectory(dir);
        continue;
      }
      segments.push(info);
      tail = { ...info, fh, offset: scan.end };
      segments[segments.length - 1] = tail;
      keepOpen = true;
    } finally {
      if (!keepOpen) await fh.close();
    }
  }
  return { replay, segments, tail, tornTail };
}
