// Snapshot files: snap-<term>-<index>.snap (16 hex digits each), written atomically.
//
//   [magic "KSNP"][crc32c u32 LE of payload][payload = codec writeSnapshot]
//
// save: write <name>.tmp -> fdatasync -> rename to <name> -> fsync directory.
// A crash leaves either no file, a stray .tmp (removed on open), or the complete file.

import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BinaryReader, BinaryWriter } from '../codec/binary.ts';
import { crc32c } from '../codec/crc32c.ts';
import { readSnapshot, writeSnapshot } from '../codec/records.ts';
import type { Snapshot } from '../types.ts';
import { ConsensusError } from '../types.ts';
import { syncDirectory } from './fsync.ts';

const MAGIC = 0x504e534b; // "KSNP" read as a little-endian u32
const HEADER_BYTES = 8;
const SNAP_RE = /^snap-([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

export interface SnapshotFile {
  readonly file: string;
  readonly term: number;
  readonly index: number;
}

export function snapshotFileName(term: number, index: number): string {
  return `snap-${term.toString(16).padStart(16, '0')}-${index.toString(16).padStart(16, '0')}.snap`;
}

export function parseSnapshotName(file: string): SnapshotFile | undefined {
  const m = SNAP_RE.exec(file);
  if (!m) return undefined;
  return { file, term: Number.parseInt(m[1]!, 16), index: Number.parseInt(m[2]!, 16) };
}

/** Encodes a snapshot file's bytes. */
export function encodeSnapshotFile(snapshot: Snapshot): Buffer {
  const w = new BinaryWriter(HEADER_BYTES + snapshot.data.length + 64);
  w.uint32(MAGIC);
  w.skip(4);
  writeSnapshot(w, snapshot);
  w.uint32At(4, crc32c(w.slice(HEADER_BYTES)));
  return w.view();
}

/** Decodes and verifies a snapshot file; throws Corrupt saying what is wrong. */
export function decodeSnapshotFile(bytes: Uint8Array, name: SnapshotFile): Snapshot {
  const r = new BinaryReader(bytes, 0, bytes.length, `snapshot ${name.file}`);
  if (bytes.length < HEADER_BYTES || r.uint32() !== MAGIC) {
    throw new ConsensusError('Corrupt', `snapshot ${name.file} does not start with the KSNP magic`);
  }
  const crc = r.uint32();
  if (crc32c(bytes, HEADER_BYTES) !== crc) {
    throw new ConsensusError('Corrupt', `snapshot ${name.file} fails its checksum`);
  }
  const snapshot = readSnapshot(r);
  r.expectEnd();
  if (snapshot.metadata.index !== name.index || snapshot.metadata.term !== name.term) {
    throw new ConsensusError(
      'Corrupt',
      `snapshot ${name.file} holds index ${snapshot.metadata.index} term ${snapshot.metadata.term}, not what its name says`,
    );
  }
  return snapshot;
}

/** Newest first: by index, then term. */
function newestFirst(a: SnapshotFile, b: SnapshotFile): number {
  return b.index - a.index || b.term - a.term;
}

export class SnapshotStore {
  private readonly dir: string;
  private readonly log: (msg: string) => void;

  constructor(dir: string, log: (msg: string) => void) {
    this.dir = dir;
    this.log = log;
  }

  async list(): Promise<SnapshotFile[]> {
    const files: SnapshotFile[] = [];
    for (const f of await readdir(this.dir)) {
      const parsed = parseSnapshotName(f);
      if (parsed) files.push(parsed);
    }
    return files.sort(newestFirst);
  }

  /**
   * The newest snapshot that reads back intact. A corrupt one is renamed to <name>.broken (kept for
   * inspection, never loaded again) and an older one is tried, with a warning.
   */
  async loadNewest(): Promise<{ snapshot: Snapshot; file: SnapshotFile } | undefined> {
    for (const f of await this.list()) {
      const path = join(this.dir, f.file);
      try {
        return { snapshot: decodeSnapshotFile(await readFile(path), f), file: f };
      } catch (err) {
        if (!(err instanceof ConsensusError)) throw err;
        this.log(`${err.message}; moved aside to ${f.file}.broken, falling back to an older snapshot`);
        await rename(path, `${path}.broken`);
        await syncDirectory(this.dir);
      }
    }
    return undefined;
  }

  /** Writes the snapshot atomically: temp file, fdatasync, rename, directory fsync. */
  async save(snapshot: Snapshot): Promise<SnapshotFile> {
    const name = snapshotFileName(snapshot.metadata.term, snapshot.metadata.index);
    const path = join(this.dir, name);
    const tmp = `${path}.tmp`;
    const bytes = encodeSnapshotFile(snapshot);
    const fh = await open(tmp, 'w');
    try {
      let done = 0;
      while (done < bytes.length)
        done += (await fh.write(bytes, done, bytes.length - done, done)).bytesWritten;
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await syncDirectory(this.dir);
    return { file: name, term: snapshot.metadata.term, index: snapshot.metadata.index };
  }

  /** Deletes all but the newest `keep` snapshot files; returns the kept ones, newest first. */
  async prune(keep: number): Promise<SnapshotFile[]> {
    const files = await this.list();
    const dropped = files.slice(keep);
    for (const f of dropped) await rm(join(this.dir, f.file));
    if (dropped.length > 0) await syncDirectory(this.dir);
    return files.slice(0, keep);
  }
}
