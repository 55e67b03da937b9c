// Walks the records of one segment held in memory and decides what a bad spot means:
// in the last segment, a bad spot with no valid record after it is a torn write from a crash
// (dropped and reported); anywhere else, or with valid records after it, it is corruption of data
// that was once durable, and replay must stop rather than silently lose acknowledged entries.

import { crc32c } from '../codec/crc32c.ts';
import { ConsensusError } from '../types.ts';
import { isRecordType, RECORD_HEADER_BYTES, type RecordTypeCode } from './record.ts';

/** Receives each valid record's type and the byte range of its payload (after the type byte). */
export type RecordVisitor = (
  type: RecordTypeCode,
  payloadStart: number,
  payloadEnd: number,
  offset: number,
) => void;

export interface SegmentScan {
  /** Offset just past the last valid record. */
  readonly end: number;
  readonly records: number;
  /** Set when the last segment ends in a torn record: where it starts and how many non-zero bytes follow. */
  readonly torn?: { readonly offset: number; readonly bytesDropped: number };
}

function readU32(buf: Uint8Array, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16)) + buf[at + 3]! * 0x100_0000;
}

function allZero(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Why the record at `at` is not valid, or undefined if it is. */
function checkRecord(buf: Uint8Array, at: number, size: number): string | undefined {
  if (at + RECORD_HEADER_BYTES > size) return `a partial record header (${size - at} bytes)`;
  const length = readU32(buf, at);
  if (length === 0) return 'a zero length';
  const bodyStart = at + RECORD_HEADER_BYTES;
  if (length > size - bodyStart) return `a record of ${length} bytes that runs past the end of the file`;
  if (crc32c(buf, bodyStart, bodyStart + length) !== readU32(buf, at + 4)) return 'a checksum mismatch';
  if (!isRecordType(buf[bodyStart]!)) return `an unknown record type ${buf[bodyStart]}`;
  return undefined;
}

/** The offset of the first valid record at or after `from`, or -1. Only used on the error path. */
export function findValidRecord(buf: Uint8Array, from: number, size: number): number {
  for (let at = from; at + RECORD_HEADER_BYTES < size; at++) {
    const length = readU32(buf, at);
    // Cheap filters first: most misaligned offsets fail on length or type without a checksum.
    if (length === 0 || length > size - at - RECORD_HEADER_BYTES) continue;
    if (!isRecordType(buf[at + RECORD_HEADER_BYTES]!)) continue;
    if (checkRecord(buf, at, size) === undefined) return at;
  }
  return -1;
}

function lastNonZero(buf: Uint8Array, from: number, size: number): number {
  for (let i = size - 1; i >= from; i--) if (buf[i] !== 0) return i;
  return -1;
}

/**
 * Scans buf[0, size) of segment `file`, calling visit for each valid record. Throws
 * ConsensusError('Corrupt') naming the file and offset when damage is not a torn tail.
 */
export function scanSegment(
  buf: Uint8Array,
  size: number,
  file: string,
  isLast: boolean,
  visit: RecordVisitor,
): SegmentScan {
  let at = 0;
  let records = 0;
  while (at < size) {
    const bodyStart = at + RECORD_HEADER_BYTES;
    // Fast path: inline the common valid-record check.
    if (bodyStart <= size) {
      const length = readU32(buf, at);
      const bodyEnd = bodyStart + length;
      if (
        length !== 0 &&
        bodyEnd <= size &&
        isRecordType(buf[bodyStart]!) &&
        crc32c(buf, bodyStart, bodyEnd) === readU32(buf, at + 4)
      ) {
        try {
          visit(buf[bodyStart] as RecordTypeCode, bodyStart + 1, bodyEnd, at);
        } catch (err) {
          // The checksum held, so the bytes are what was written: a bug or a format mismatch, never a torn write.
          const why = err instanceof Error ? err.message : String(err);
          throw new ConsensusError(
            'Corrupt',
            `WAL segment ${file}: the record at byte ${at} has a valid checksum but cannot be replayed (${why}). ` +
              'Was the WAL written by a newer version? Run the version that wrote it, or restore this member from a peer.',
          );
        }
        records++;
        at = bodyEnd;
        continue;
      }
    }
    // Zero-filled rest: the clean end of a preallocated segment (or of a short cut at a record boundary).
    if (allZero(buf, at, size)) return { end: at, records };
    const why = checkRecord(buf, at, size) ?? 'an invalid record';
    if (!isLast) {
      throw new ConsensusError(
        'Corrupt',
        `WAL segment ${file} is corrupt at byte ${at}: ${why}. It is not the last segment, so this data was ` +
          'once durable and this is not a torn write. Do not delete records by hand: restore this member from a ' +
          'healthy peer (stop it, move its data directory aside, and re-add it as a new member).',
      );
    }
    const next = findValidRecord(buf, at + 1, size);
    if (next >= 0) {
      throw new ConsensusError(
        'Corrupt',
        `WAL segment ${file} is corrupt at byte ${at}: ${why}, yet a valid record follows at byte ${next}, so ` +
          'this is damage to durable data, not a torn write from a crash. Restore this member from a healthy peer ' +
          '(stop it, move its data directory aside, and re-add it as a new member). Only if no peer has the data: ' +
          `keep a copy, then \`truncate -s ${at} ${file}\` accepts losing everything after byte ${at}.`,
      );
    }
    const last = lastNonZero(buf, at, size);
    return { end: at, records, torn: { offset: at, bytesDropped: last + 1 - at } };
  }
  return { end: at, records };
}
