// One WAL record on disk:
//
//   [length u32 LE][crc32c u32 LE][type u8][payload ...]
//    \__ bytes of type+payload __/ \__ crc covers type+payload _/
//
// A length of 0 marks the end of the written part of a preallocated (zero-filled) segment.

import type { BinaryWriter } from '../codec/binary.ts';
import { crc32c } from '../codec/crc32c.ts';
import { writeEntry, writeHardState } from '../codec/records.ts';
import type { Entry, HardState } from '../types.ts';

export const RECORD_HEADER_BYTES = 8;

export const RecordType = {
  /** A log entry; an index at or below the last one written overwrites from there (Raft truncation). */
  entry: 1,
  /** The latest HardState; the last one replayed wins. Every segment starts with one. */
  hardState: 2,
  /** A snapshot at (index, term) was installed: the log now starts after it. */
  snapshotMarker: 3,
} as const;
export type RecordTypeCode = (typeof RecordType)[keyof typeof RecordType];

export function isRecordType(code: number): code is RecordTypeCode {
  return code >= RecordType.entry && code <= RecordType.snapshotMarker;
}

/** Starts a record: reserves the header and writes the type byte. Returns the record's offset. */
function begin(w: BinaryWriter, type: RecordTypeCode): number {
  const at = w.skip(RECORD_HEADER_BYTES);
  w.uint8(type);
  return at;
}

/** Fills in length and checksum once the payload is written. */
function end(w: BinaryWriter, at: number): void {
  const bodyStart = at + RECORD_HEADER_BYTES;
  w.uint32At(at, w.length - bodyStart);
  // Straight over the writer's buffer: a subarray per record would be an allocation per record.
  w.uint32At(at + 4, crc32c(w.buffer, bodyStart, w.length));
}

export function appendEntryRecord(w: BinaryWriter, e: Entry): void {
  const at = begin(w, RecordType.entry);
  writeEntry(w, e);
  end(w, at);
}

export function appendHardStateRecord(w: BinaryWriter, hs: HardState): void {
  const at = begin(w, RecordType.hardState);
  writeHardState(w, hs);
  end(w, at);
}

export function appendSnapshotMarkerRecord(w: BinaryWriter, index: number, term: number): void {
  const at = begin(w, RecordType.snapshotMarker);
  w.uvarint(index);
  w.uvarint(term);
  end(w, at);
}
