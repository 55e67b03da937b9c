// Segment files are named <seq>-<firstIndex>.wal in 16 hex digits, like etcd, so that `ls` lists
// them in replay order. seq increases by one per segment; firstIndex is the index the log expected
// next when the segment was created (informational: a later overwrite may write lower indexes).

const SEGMENT_RE = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

export interface SegmentName {
  readonly seq: number;
  readonly firstIndex: number;
  readonly file: string;
}

export function segmentFileName(seq: number, firstIndex: number): string {
  return `${seq.toString(16).padStart(16, '0')}-${firstIndex.toString(16).padStart(16, '0')}.wal`;
}

export function parseSegmentName(file: string): SegmentName | undefined {
  const m = SEGMENT_RE.exec(file);
  if (!m) return undefined;
  return { seq: Number.parseInt(m[1]!, 16), firstIndex: Number.parseInt(m[2]!, 16), file };
}

/** Temp files: a segment being preallocated, or a snapshot being written. Never valid after a crash. */
export function isTempFile(file: string): boolean {
  return file.endsWith('.tmp');
}
