import { mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsensusError } from '../../../consensus/src/types.ts';
import { scanSegment } from '../../../consensus/src/wal/segment-scan.ts';
import { copyDir, entries, entry, openTest, plain, reopen, segmentFiles, tempDir } from './helpers.ts';

/** Offsets and ends of every record in a segment file, as the scanner sees them. */
async function recordSpans(path: string): Promise<Array<{ start: number; end: number }>> {
  const bytes = await readFile(path);
  const spans: Array<{ start: number; end: number }> = [];
  scanSegment(bytes, bytes.length, path, true, (_t, _s, end, offset) => spans.push({ start: offset, end }));
  return spans;
}

async function flipByte(path: string, at: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0] = b[0]! ^ 0x5a;
    await fh.write(b, 0, 1, at);
  } finally {
    await fh.close();
  }
}

async function expectCorrupt(dir: string): Promise<ConsensusError> {
  const err = await openTest(dir, { preallocate: false }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConsensusError);
  expect((err as ConsensusError).kind).toBe('Corrupt');
  return err as ConsensusError;
}

describe('torn tail and corruption on open', () => {
  // One WAL with two segments: entries 1..N over both, the last segment closed with its records.
  let pristine: string;
  let lastSegment: string;
  let firstSegment: string;
  let total: number;

  beforeAll(async () => {
    // Shared by the tests below (each damages its own copy), so it outlives afterEach's cleanup.
    pristine = await mkdtemp(join(tmpdir(), 'kedge-wal-pristine-'));
    const w = await openTest(pristine, { segmentBytes: 2048, preallocate: false });
    let i = 1;
    while ((await segmentFiles(pristine)).length < 2 || i < 30) {
      await w.log.save({ term: 1, vote: 1, commit: i - 1 }, [entry(i, 1, payload(i))], true);
      i++;
    }
    total = i - 1;
    await w.log.close();
    const files = await segmentFiles(pristine);
    firstSegment = files[0]!;
    lastSegment = files[files.length - 1]!;
  });

  afterAll(async () => {
    await rm(pristine, { recursive: true, force: true });
  });

  const payload = (i: number) => `payload-${i}-${'z'.repeat(90)}`;

  it('drops a record cut at any byte inside it, reports it, and loses nothing else', async () => {
    const original = await readFile(join(pristine, lastSegment));
    const spans = await recordSpans(join(pristine, lastSegment));
    const last = spans[spans.length - 1]!;
    for (let cut = last.start + 1; cut < last.end; cut++) {
      // Zero bytes at the very end of the cut are indistinguishable from never-written space.
      let meaningful = cut;
      while (original[meaningful - 1] === 0) meaningful--;
      const dir = await copyDir(pristine);
      const path = join(dir, lastSegment);
      await truncate(path, cut);
      const r = await reopen(dir, { preallocate: false });
      expect(r.tornTail).toEqual({ file: path, offset: last.start, bytesDropped: meaningful - last.start });
      const expected = Array.from({ length: total - 1 }, (_, k) => entry(k + 1, 1, payload(k + 1)));
      expect(plain(r.state.entries)).toEqual(plain(expected));
      await rm(dir, { recursive: true });
    }
  });

  it('treats a checksum mismatch in the final record as torn, at every byte of it', async () => {
    const spans = await recordSpans(join(pristine, lastSegment));
    const last = spans[spans.length - 1]!;
    for (let at = last.start; at < last.end; at++) {
      const dir = await copyDir(pristine);
      await flipByte(join(dir, lastSegment), at);
      const r = await reopen(dir, { preallocate: false });
      expect(r.tornTail?.offset).toBe(last.start);
      expect(r.state.entries).toHaveLength(total - 1);
      await rm(dir, { recursive: true });
    }
  });

  it('refuses a damaged record that valid records follow, naming the file and offset, at every byte', async () => {
    const spans = await recordSpans(join(pristine, lastSegment));
    const victim = spans[spans.length - 3]!;
    for (let at = victim.start; at < victim.end; at++) {
      const dir = await copyDir(pristine);
      const path = join(dir, lastSegment);
      await flipByte(path, at);
      const err = await expectCorrupt(dir);
      expect(err.message).toContain(path);
      expect(err.message).toContain(`byte ${victim.start}`);
      expect(err.message).toMatch(/Restore this member/);
      await rm(dir, { recursive: true });
    }
  });

  it('refuses any damage in a segment that is not the last, even in its final record', async () => {
    const spans = await recordSpans(join(pristine, firstSegment));
    const last = spans[spans.length - 1]!;
    const dir = await copyDir(pristine);
    const path = join(dir, firstSegment);
    await flipByte(path, last.end - 1);
    const err = await expectCorrupt(dir);
    expect(err.message).toContain(`${path} is corrupt at byte ${last.start}`);
    expect(err.message).toContain('not the last segment');
    // A cut (lost tail) in a closed segment is just as fatal.
    const cut = await copyDir(pristine);
    await truncate(join(cut, firstSegment), last.end - 3);
    await expectCorrupt(cut);
  });

  it('deletes an all-zero last segment (created just before a crash) and keeps numbering contiguous', async () => {
    const dir = await copyDir(pristine);
    const files = await segmentFiles(dir);
    const seq = files.length + 1;
    const name = `${seq.toString(16).padStart(16, '0')}-${(total + 1).toString(16).padStart(16, '0')}.wal`;
    await writeFile(join(dir, name), Buffer.alloc(4096));
    for (let round = 0; round < 2; round++) {
      const w = await openTest(dir, { segmentBytes: 2048, preallocate: false });
      expect(w.state.entries).toHaveLength(total + round);
      await w.log.save(undefined, [entry(total + round + 1)], true);
      await w.log.close();
    }
    expect((await reopen(dir, { preallocate: false })).state.entries).toHaveLength(total + 2);
  });

  it('refuses a missing segment in the middle', async () => {
    const dir = await tempDir();
    const w = await openTest(dir, { segmentBytes: 1024, preallocate: false });
    for (const e of entries(1, 40))
      await w.log.save(undefined, [{ ...e, data: Buffer.alloc(100, 1) }], false);
    await w.log.close();
    const files = await segmentFiles(dir);
    expect(files.length).toBeGreaterThan(3);
    await rm(join(dir, files[1]!));
    expect((await expectCorrupt(dir)).message).toMatch(/missing segment 2/);
  });

  it('clears the torn tail on disk, so appends continue and the next open is clean', async () => {
    for (const damage of ['cut', 'flip'] as const) {
      const dir = await copyDir(pristine);
      const path = join(dir, lastSegment);
      const spans = await recordSpans(path);
      const last = spans[spans.length - 1]!;
      if (damage === 'cut') await truncate(path, last.end - 1);
      else await flipByte(path, last.start + 9);
      const w = await openTest(dir, { preallocate: false });
      expect(w.tornTail?.offset).toBe(last.start);
      await w.log.save(undefined, [entry(total, 2, 'rewritten')], true);
      await w.log.close();
      const again = await reopen(dir, { preallocate: false });
      expect(again.tornTail).toBeUndefined();
      expect(again.state.entries).toHaveLength(total);
      expect(plain(again.state.entries.slice(-1))).toEqual(plain([entry(total, 2, 'rewritten')]));
    }
  });
});
