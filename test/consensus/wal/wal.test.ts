import { open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConsensusError } from '../../../consensus/src/types.ts';
import { copyDir, entries, entry, openTest, plain, reopen, segmentFiles, tempDir } from './helpers.ts';

describe('WAL round trip', () => {
  it('starts empty, then returns entries and the latest hardState after reopen', async () => {
    const dir = await tempDir();
    const w = await openTest(dir);
    expect(w.state).toEqual({ hardState: { term: 0, vote: 0, commit: 0 }, entries: [], snapshot: undefined });
    expect(w.tornTail).toBeUndefined();
    await w.log.save({ term: 1, vote: 2, commit: 0 }, entries(1, 3), true);
    await w.log.save({ term: 2, vote: 3, commit: 2 }, [], true);
    await w.log.save(
      undefined,
      [{ index: 4, term: 2, type: 'confChange', data: Uint8Array.from([1, 2]) }],
      true,
    );
    await w.log.close();
    const r = await reopen(dir);
    expect(r.state.hardState).toEqual({ term: 2, vote: 3, commit: 2 });
    expect(plain(r.state.entries)).toEqual(
      plain([...entries(1, 3), { index: 4, term: 2, type: 'confChange', data: Uint8Array.from([1, 2]) }]),
    );
    expect(r.tornTail).toBeUndefined();
    expect(r.warnings).toEqual([]);
  });

  it('replays an overwritten suffix as Raft truncation: 1..10 then 6..8 gives 1..5, 6..8', async () => {
    const dir = await tempDir();
    const w = await openTest(dir);
    await w.log.save(undefined, entries(1, 10), true);
    await w.log.save({ term: 2, vote: 1, commit: 5 }, entries(6, 8, 2), true);
    await w.log.close();
    const r = await reopen(dir);
    expect(plain(r.state.entries)).toEqual(plain([...entries(1, 5), ...entries(6, 8, 2)]));
    // And appending after the reopen continues the overwritten log.
    const again = await openTest(dir);
    await again.log.save(undefined, [entry(9, 2)], true);
    await again.log.close();
    expect((await reopen(dir)).state.entries.map((e) => `${e.index}/${e.term}`)).toEqual([
      '1/1',
      '2/1',
      '3/1',
      '4/1',
      '5/1',
      '6/2',
      '7/2',
      '8/2',
      '9/2',
    ]);
  });

  it('appends to the last segment after a restart instead of starting a new one', async () => {
    const dir = await tempDir();
    for (let round = 0; round < 5; round++) {
      const w = await openTest(dir);
      await w.log.save(undefined, [entry(round + 1)], true);
      await w.log.close();
    }
    expect(await segmentFiles(dir)).toHaveLength(1);
    expect((await reopen(dir)).state.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5]);
  });

  it('rotates across many segments and replays them all, across several reopens', async () => {
    const dir = await tempDir();
    let next = 1;
    for (let round = 0; round < 3; round++) {
      const w = await openTest(dir, { segmentBytes: 4096 });
      for (let i = 0; i < 100; i++) {
        await w.log.save(
          { term: 1, vote: 1, commit: next - 1 },
          [entry(next, 1, 'x'.repeat(200))],
          i % 10 === 0,
        );
        next++;
      }
      await w.log.close();
    }
    const files = await segmentFiles(dir);
    expect(files.length).toBeGreaterThan(15);
    const r = await reopen(dir, { segmentBytes: 4096 });
    expect(r.state.entries.map((e) => e.index)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(r.state.hardState.commit).toBe(299);
    // Closed segments are cut to their records: no preallocated zeros survive in them.
    for (const f of files.slice(0, -1)) expect((await stat(join(dir, f))).size).toBeLessThanOrEqual(4096);
  });

  it('writes a batch larger than a segment into one segment rather than splitting it', async () => {
    const dir = await tempDir();
    const w = await openTest(dir, { segmentBytes: 4096 });
    const big = Array.from({ length: 50 }, (_, i) => entry(i + 1, 1, 'y'.repeat(300)));
    await w.log.save(undefined, big, true);
    await w.log.close();
    expect((await reopen(dir, { segmentBytes: 4096 })).state.entries).toHaveLength(50);
  });

  it('refuses entries that would leave a gap, and keeps working', async () => {
    const dir = await tempDir();
    const w = await openTest(dir);
    await w.log.save(undefined, entries(1, 2), true);
    await expect(w.log.save(undefined, [entry(5)], true)).rejects.toThrow(/gap/);
    await w.log.save(undefined, [entry(3)], true);
    await w.log.close();
    expect((await reopen(dir)).state.entries.map((e) => e.index)).toEqual([1, 2, 3]);
  });

  it('rejects writes after close with Stopped', async () => {
    const dir = await tempDir();
    const w = await openTest(dir);
    await w.log.close();
    const err = await w.log.save(undefined, [entry(1)], true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConsensusError);
    expect((err as ConsensusError).kind).toBe('Stopped');
  });
});

describe('failed fsync', () => {
  it('stops the WAL: the failing batch and every later call get Stopped, acknowledged data survives', async () => {
    const dir = await tempDir();
    let failNext = false;
    const w = await openTest(dir, {
      beforeSync: () => {
        if (failNext) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      },
    });
    await w.log.save({ term: 1, vote: 1, commit: 2 }, entries(1, 3), true);
    failNext = true;
    const failed = await w.log.save(undefined, entries(4, 5), true).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ConsensusError);
    expect((failed as ConsensusError).kind).toBe('Stopped');
    expect((failed as ConsensusError).message).toMatch(/EIO.*restart the node/);
    // No retry of the fsync, ever: a later save fails at once even though the disk "recovered".
    failNext = false;
    await expect(w.log.save(undefined, [entry(6)], true)).rejects.toThrow(/accepts no more writes/);
    expect(w.warnings.join('\n')).toContain('WAL write failed');
    await w.log.close();
    const r = await reopen(dir);
    expect(r.state.entries.slice(0, 3).map((e) => e.index)).toEqual([1, 2, 3]);
  });
});

describe('group commit', () => {
  it('serves 100 concurrent synced saves with a handful of fdatasyncs, all durable', async () => {
    const dir = await tempDir();
    const w = await openTest(dir);
    const before = w.log.stats.dataSyncs;
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        w.log.save({ term: 1, vote: 1, commit: i }, [entry(i + 1)], true),
      ),
    );
    const syncs = w.log.stats.dataSyncs - before;
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeLessThanOrEqual(5);
    expect(w.log.stats.saves).toBe(100);
    await w.log.close();
    const r = await reopen(dir);
    expect(r.state.entries.map((e) => e.index)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(r.state.hardState.commit).toBe(99);
  });

  it('keeps call order inside a batch, so a later overwrite wins', async () => {
    const dir = await tempDir();
    const w = await openTest(dir);
    await Promise.all([
      w.log.save(undefined, entries(1, 10), false),
      w.log.save({ term: 2, vote: 2, commit: 0 }, entries(4, 5, 2), false),
      w.log.save(undefined, [entry(6, 2)], true),
    ]);
    expect(w.log.stats.dataSyncs).toBe(2); // one for the new segment on open, one for the batch
    await w.log.close();
    expect((await reopen(dir)).state.entries.map((e) => `${e.index}/${e.term}`)).toEqual([
      '1/1',
      '2/1',
      '3/1',
      '4/2',
      '5/2',
      '6/2',
    ]);
  });

  it('does not fsync when no caller in the batch asks for it', async () => {
    const dir = await tempDir();
    const w = await openTest(dir);
    const before = w.log.stats.dataSyncs;
    await w.log.save(undefined, entries(1, 3), false);
    expect(w.log.stats.dataSyncs).toBe(before);
    await w.log.save(undefined, [], true);
    expect(w.log.stats.dataSyncs).toBe(before + 1);
  });
});

describe('crash: unsynced writes lost from the page cache', () => {
  it('keeps every synced entry and whatever whole records of the unsynced tail reached the disk', async () => {
    const dir = await tempDir();
    const w = await openTest(dir, { preallocate: false });
    await w.log.save({ term: 1, vote: 1, commit: 4 }, entries(1, 5), true);
    const [tailFile] = (await segmentFiles(dir)).slice(-1);
    const tailPath = join(dir, tailFile!);
    const synced = await readFile(tailPath); // what the disk holds after the fsync
    await w.log.save({ term: 1, vote: 1, commit: 9 }, entries(6, 10), false);
    await w.log.close();
    const full = await readFile(tailPath);
    expect(full.length).toBeGreaterThan(synced.length);
    // Emulate a power cut that lost the page cache: the file keeps the synced bytes plus a prefix
    // of the unsynced ones (writeback had got that far), for every possible prefix length.
    const seen = new Set<number>();
    for (let kept = synced.length; kept <= full.length; kept++) {
      const crash = await copyDir(dir);
      await writeFile(join(crash, tailFile!), full.subarray(0, kept));
      const r = await reopen(crash, { preallocate: false });
      const last = r.state.entries[r.state.entries.length - 1]!.index;
      expect(last).toBeGreaterThanOrEqual(5);
      expect(plain(r.state.entries)).toEqual(plain(entries(1, last)));
      expect(r.state.hardState.commit).toBeGreaterThanOrEqual(4);
      seen.add(last);
    }
    // Every amount of loss from "all unsynced entries" to "none" was exercised.
    expect([...seen].sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9, 10]);
  });

  it('treats a synced-then-zeroed region (lost writeback into a preallocated file) as a torn tail', async () => {
    const dir = await tempDir();
    const w = await openTest(dir);
    await w.log.save(undefined, entries(1, 5), true);
    await w.log.save(undefined, entries(6, 8), false);
    await w.log.close();
    const [tailFile] = (await segmentFiles(dir)).slice(-1);
    const path = join(dir, tailFile!);
    const bytes = await readFile(path);
    // Zero the last 20 written bytes: entry 8's record is damaged, the rest of the file is zeros.
    let end = bytes.length;
    while (bytes[end - 1] === 0) end--;
    const fh = await open(path, 'r+');
    await fh.write(Buffer.alloc(20), 0, 20, end - 20);
    await fh.close();
    const r = await reopen(dir);
    expect(r.state.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(r.tornTail?.file).toBe(path);
    expect(r.warnings.join('\n')).toContain('torn');
  });
});
