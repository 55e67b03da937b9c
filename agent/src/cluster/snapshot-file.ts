/**
 * The backup file of `kedge snapshot save`: one line of magic, one line of JSON header, then the
 * replicated state's snapshot bytes (registry + store, replicated-state.ts) exactly as a voter
 * would install them.
 *
 *   KEDGE-SNAPSHOT 1\n
 *   {"clusterId":..,"raftIndex":..,"term":..,"revision":..,"takenAt":..,"size":N,"sha256":".."}\n
 *   <N bytes>
 *
 * The SHA-256 covers the N bytes, so a truncated or altered file is refused before anything is
 * restored from it. Pure: bytes in, bytes or an error value out.
 */
import { createHash } from 'node:crypto';

export const SNAPSHOT_MAGIC = 'KEDGE-SNAPSHOT 1\n';

export interface SnapshotHeader {
  /** The cluster it was taken from. */
  readonly clusterId: string;
  /** The leader's applied index at the ReadIndex point the snapshot was taken at. */
  readonly raftIndex: number;
  readonly term: number;
  /** The store's revision (resourceVersion) in the snapshot: a restored cluster continues from it. */
  readonly revision: number;
  readonly takenAt: string;
  readonly size: number;
  readonly sha256: string;
}

export class SnapshotFileError extends Error {
  readonly kind = 'SnapshotFile';
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotFileError';
  }
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The file's first part (magic + header line); the payload follows it. */
export function encodeSnapshotPreamble(
  header: Omit<SnapshotHeader, 'size' | 'sha256'>,
  payload: Uint8Array,
): Buffer {
  const full: SnapshotHeader = { ...header, size: payload.length, sha256: sha256Hex(payload) };
  return Buffer.from(`${SNAPSHOT_MAGIC}${JSON.stringify(full)}\n`, 'utf8');
}

/** Splits and checks a whole file: the header and the payload, or why it cannot be trusted. */
export function decodeSnapshotFile(
  bytes: Uint8Array,
): { header: SnapshotHeader; payload: Uint8Array } | SnapshotFileError {
  const magic = Buffer.from(SNAPSHOT_MAGIC, 'utf8');
  if (bytes.length < magic.length || !Buffer.from(bytes.subarray(0, magic.length)).equals(magic))
    return new SnapshotFileError('this is not a kedge snapshot (it does not start with KEDGE-SNAPSHOT 1)');
  const newline = bytes.indexOf(0x0a, magic.length);
  if (newline < 0) return new SnapshotFileError('the snapshot header is cut off; the file is truncated');
  let header: SnapshotHeader;
  try {
    header = JSON.parse(
      Buffer.from(bytes.subarray(magic.length, newline)).toString('utf8'),
    ) as SnapshotHeader;
  } catch (error) {
    return new SnapshotFileError(`the snapshot header is not JSON: ${(error as Error).message}`);
  }
  if (
    typeof header.sha256 !== 'string' ||
    !Number.isInteger(header.size) ||
    typeof header.clusterId !== 'string'
  )
    return new SnapshotFileError('the snapshot header lacks its size, checksum or cluster id');
  const payload = bytes.subarray(newline + 1);
  if (payload.length !== header.size)
    return new SnapshotFileError(
      `the snapshot holds ${payload.length} bytes but its header says ${header.size}: the file is truncated or padded`,
    );
  const actual = sha256Hex(payload);
  if (actual !== header.sha256)
    return new SnapshotFileError(
      `the snapshot's checksum does not match (header ${header.sha256.slice(0, 12)}…, content ${actual.slice(0, 12)}…): the file is damaged; use another backup`,
    );
  return { header, payload };
}
