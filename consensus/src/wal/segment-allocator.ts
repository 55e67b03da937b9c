// Makes the next segment file. A zero-filled (preallocated) file lets later fdatasyncs flush data
// only, without the block-allocation metadata an append needs: measured here p99 0.33 ms vs 0.58 ms
// per 300 B write+fdatasync. Filling 64 MiB takes ~150 ms, so the WAL asks for the next file once
// the current one is half full and it is filled in the background (etcd's file pipeline does the
// same), in 1 MiB steps each followed by fdatasync so that no single flush stalls the WAL's own.

import { type FileHandle, open, rm } from 'node:fs/promises';
import { join } from 'node:path';

const ZERO_CHUNK = 1 << 20;
let zeros: Buffer | undefined;

export interface PreparedFile {
  readonly fh: FileHandle;
  /** Temporary path: the caller renames it to its segment name. */
  readonly path: string;
}

type Outcome = { ok: true; file: PreparedFile } | { ok: false; error: unknown };

export class SegmentAllocator {
  private readonly dir: string;
  private readonly bytes: number;
  private readonly preallocate: boolean;
  private counter = 0;
  private pending: Promise<Outcome> | undefined;

  constructor(dir: string, bytes: number, preallocate: boolean) {
    this.dir = dir;
    this.bytes = bytes;
    this.preallocate = preallocate;
  }

  /** Starts filling the next file in the background, unless one is already on its way. */
  prepareAhead(): void {
    this.pending ??= this.prepare();
  }

  /** The next file: the one prepared ahead (waiting for it if still being filled), or a new one. */
  async take(): Promise<PreparedFile> {
    const outcome = await (this.pending ?? this.prepare());
    this.pending = undefined;
    if (!outcome.ok) throw outcome.error;
    return outcome.file;
  }

  /** Stops preparing and removes a prepared file nobody took. */
  async close(): Promise<void> {
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return;
    const outcome = await pending;
    if (outcome.ok) {
      await outcome.file.fh.close();
      await rm(outcome.file.path, { force: true });
    }
  }

  private prepare(): Promise<Outcome> {
    const path = join(this.dir, `segment-${process.pid}-${this.counter++}.wal.tmp`);
    // Errors are kept as a value and surface at the next take(), not as an unhandled rejection.
    return this.fill(path).then(
      (file): Outcome => ({ ok: true, file }),
      (error: unknown): Outcome => ({ ok: false, error }),
    );
  }

  private async fill(path: string): Promise<PreparedFile> {
    const fh = await open(path, 'w+');
    try {
      if (this.preallocate) {
        zeros ??= Buffer.alloc(ZERO_CHUNK);
        for (let at = 0; at < this.bytes; at += ZERO_CHUNK) {
          const n = Math.min(ZERO_CHUNK, this.bytes - at);
          let done = 0;
          while (done < n) done += (await fh.write(zeros, done, n - done, at + done)).bytesWritten;
          await fh.datasync();
        }
      }
      return { fh, path };
    } catch (err) {
      await fh.close();
      await rm(path, { force: true });
      throw err;
    }
  }
}
