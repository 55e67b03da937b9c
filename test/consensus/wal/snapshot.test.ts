import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BinaryReader } from '../../../consensus/src/codec/binary.ts';
import { readEntry } from '../../../consensus/src/codec/records.ts';
import type { Snapshot } from '../../../consensus/src/types.ts';
import { RecordType } from '../../../consensus/src/wal/record.ts';
import { scanSegment } from '../../../consensus/src/wal/segment-scan.ts';
import {
  decodeSnapshotFile,
  encodeSnapshotFile,
  parseSnapshotName,
  SnapshotStore,
  snapshotFileName,
} from '../../../consensus/src/wal/snapshot-store.ts';
import { entries, entry, openTest, plain, reopen, segmentFiles, tempDir } from './helpers.ts';

function snap(index: number, term: number, data = `state@${index}`): Snapshot {
  return {
    metadata: { index, term, confState: { voters: [1, 2, 3], learners: [4] } },
    data: Buffer.from(data),
  };
}

/** Indexes of the entry records in one segment file. */
async function entryIndexes(path: string): Promise<number[]> {
  const bytes = await readFile(path);
  const reader = new BinaryReader(bytes);
  const out: number[] = [];
  scanSegment(bytes, bytes.length, path, true, (type, start, end) => {
    reader.window(start, end);
    if (type === RecordType.entry) out.push(readEntry(reader).index);
  });
  return out;
}

async function snapFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.includes('.snap')).sort();
}

describe('snapshot files', () => {
  it('round-trip and reject any flipped byte', () => {
    const s = snap(42, 7);
    const bytes = encodeSnapshotFile(s);
    const name = parseSnapshotName(snapshotFileName(7, 42))!;
    expect(name).toMatchObject({ term: 7, index: 42 });
    const back = decodeSnapshotFile(bytes, name);
    expect(back.metadata).toEqual(s.metadata);
    expect(Buffer.from(back.data).toString()).toBe('state@42');
    for (let i = 0; i < bytes.length; i++) {
      const bad = Buffer.from(bytes);
      bad[i] = bad[i]! ^ 1;
      expect(() => decodeSnapshotFile(bad, name)).toThrow(/snap-/);
    }
    expect(() => decodeSnapshotFile(bytes, parseSnapshotName(snapshotFileName(7, 43))!)).toThrow(
      /not what its name/,
    );
  });
});

describe('WAL with snapshots', () => {
  it('returns the snapshot and only the entries after it on reopen', async () => {
    const dir = await tempDir();
    const w = await openTest(dir);
    await w.log.save({ term: 1, vote: 1, commit: 10 }, entries(1, 12), true);
    await w.log.saveSnapshot(snap(10, 1));
    await w.log.close();
    const r = await reopen(dir);
    expect(r.state.snapshot?.metadata).toEqual(snap(10, 1).metadata);
    expect(Buffer.from(r.state.snapshot!.data).toString()).toBe('state@10');
    expect(r.state.entries.map((e) => e.index)).toEqual([11, 12]);
    expect(r.state.hardState).toEqual({ term: 1, vote: 1, commit: 10 });
  });

  it('installs a leader-sent snapshot the log does not match: the stale log is dropped', async () => {
    const dir = await tempDir();
    const w = await openTest(dir);
    await w.log.save({ term: 1, vote: 1, commit: 3 }, entries(1, 8), true);
    await w.log.saveSnapshot(snap(20, 3));
    await w.log.save({ term: 3, vote: 0, commit: 20 }, entries(21, 22, 3), true);
    await w.log.close();
    const r = await reopen(dir);
    expect(r.state.snapshot?.metadata.index).toBe(20);
    expect(plain(r.state.entries)).toEqual(plain(entries(21, 22, 3)));
  });

  it('keeps call order between a snapshot and saves issued without waiting', async () => {
    const dir = await tempDir();
    const w = await openTest(dir);
    await w.log.save(undefined, entries(1, 8), true);
    await Promise.all([
      w.log.saveSnapshot(snap(20, 3)),
      w.log.save({ term: 3, vote: 0, commit: 20 }, entries(21, 23, 3), true),
    ]);
    await w.log.close();
    expect((await reopen(dir)).state.entries.map((e) => e.index)).toEqual([21, 22, 23]);
  });

  it('fails only the snapshot call when its file cannot be written; the WAL keeps working', async () => {
    const dir = await tempDir();
    const w = await openTest(dir);
    await w.log.save(undefined, entries(1, 5), true);
    // A directory where the temp file must go makes the write fail (EISDIR), as a full disk would.
    await mkdir(join(dir, `${snapshotFileName(1, 3)}.tmp`));
    await expect(w.log.saveSnapshot(snap(3, 1))).rejects.toThrow(/EISDIR/);
    await w.log.save(undefined, [entry(6)], true);
    await w.log.close();
    await rmdir(join(dir, `${snapshotFileName(1, 3)}.tmp`));
    const r = await reopen(dir);
    expect(r.state.snapshot).toBeUndefined();
    expect(r.state.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('applies a snapshot whose WAL marker never got written (crash between the two)', async () => {
    const dir = await tempDir();
    const w = await openTest(dir);
    await w.log.save(undefined, entries(1, 10), true);
    await w.log.close();
    await new SnapshotStore(dir, () => {}).save(snap(6, 1));
    const r = await reopen(dir);
    expect(r.state.entries.map((e) => e.index)).toEqual([7, 8, 9, 10]);
  });

  it('ignores and removes a leftover temp file from an interrupted snapshot write', async () => {
    const dir = await tempDir();
    const w = await openTest(dir);
    await w.log.save(undefined, entries(1, 10), true);
    await w.log.saveSnapshot(snap(5, 1));
    await w.log.close();
    const tmp = `${snapshotFileName(1, 9)}.tmp`;
    const good = await readFile(join(dir, snapshotFileName(1, 5)));
    await writeFile(join(dir, tmp), good.subarray(0, good.length - 3)); // half-written
    const r = await reopen(dir);
    expect(r.state.snapshot?.metadata.index).toBe(5);
    expect(r.state.entries.map((e) => e.index)).toEqual([6, 7, 8, 9, 10]);
    expect(await snapFiles(dir)).toEqual([snapshotFileName(1, 5)]);
    expect(r.warnings.some((m) => m.includes(tmp))).toBe(true);
  });

  it('falls back to the previous snapshot when the newest is corrupt, with a warning', async () => {
    const dir = await tempDir();
    const w = await openTest(dir, { segmentBytes: 2048 });
    for (let i = 1; i <= 60; i++) await w.log.save(undefined, [entry(i, 1, 'p'.repeat(60))], false);
    await w.log.saveSnapshot(snap(20, 1));
    await w.log.saveSnapshot(snap(50, 1));
    await w.log.close();
    const newest = join(dir, snapshotFileName(1, 50));
    const bytes = await readFile(newest);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(newest, bytes);
    const r = await reopen(dir, { segmentBytes: 2048 });
    expect(r.state.snapshot?.metadata.index).toBe(20);
    expect(r.state.entries.map((e) => e.index)).toEqual(Array.from({ length: 40 }, (_, i) => i + 21));
    expect(r.warnings.join('\n')).toMatch(/fails its checksum.*falling back/);
    expect(await snapFiles(dir)).toContain(`${snapshotFileName(1, 50)}.broken`);
  });

  it('deletes segments and snapshot files that the kept snapshots cover', async () => {
    const dir = await tempDir();
    const w = await openTest(dir, { segmentBytes: 2048 });
    let next = 1;
    const fill = async (to: number) => {
      for (; next <= to; next++)
        await w.log.save({ term: 1, vote: 1, commit: next }, [entry(next, 1, 'q'.repeat(60))], false);
    };
    await fill(100);
    const segmentsBefore = (await segmentFiles(dir)).length;
    expect(segmentsBefore).toBeGreaterThan(4);
    await w.log.saveSnapshot(snap(30, 1));
    await fill(200);
    await w.log.saveSnapshot(snap(90, 1));
    await fill(250);
    await w.log.saveSnapshot(snap(180, 1));
    // Two snapshot files are kept; segments go only when all their entries are below the older one.
    expect(await snapFiles(dir)).toEqual([snapshotFileName(1, 90), snapshotFileName(1, 180)]);
    expect(w.log.stats.segmentsDeleted).toBeGreaterThan(0);
    const r = await openTest(dir, { segmentBytes: 2048 });
    expect(r.state.snapshot?.metadata.index).toBe(180);
    expect(r.state.entries.map((e) => e.index)).toEqual(Array.from({ length: 70 }, (_, i) => i + 181));
    expect(r.state.hardState.commit).toBe(250);
    // Every remaining segment holds an entry above 90 (all that were wholly ≤ 90 are gone) ...
    const remaining = await segmentFiles(dir);
    expect(remaining.length).toBeLessThan(segmentsBefore + 10);
    for (const f of remaining) {
      const indexes = await entryIndexes(join(dir, f));
      if (indexes.length > 0) expect(Math.max(...indexes)).toBeGreaterThan(90);
    }
    expect(Math.min(...(await entryIndexes(join(dir, remaining[0]!))))).toBeLessThanOrEqual(91);
    // ... and replaying from the older kept snapshot would still work: the log covers 91 onwards.
    await r.log.close();
    await writeFile(join(dir, snapshotFileName(1, 180)), Buffer.from('garbage'));
    const fallback = await reopen(dir, { segmentBytes: 2048 });
    expect(fallback.state.snapshot?.metadata.index).toBe(90);
    expect(fallback.state.entries[0]!.index).toBe(91);
    expect(fallback.state.entries).toHaveLength(160);
  });
});
