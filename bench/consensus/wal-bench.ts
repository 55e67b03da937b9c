// WAL benchmark: appends/s and save latency for 256 B entries, next to the anchor measured in the
// same run on the same disk: a raw 256 B write + fdatasync loop (the floor any durable append pays).
//
//   node_modules/.bin/node bench/consensus/wal-bench.ts        (WAL_BENCH_SECONDS=2, WAL_BENCH_DIR=$TMPDIR)

import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '../../consensus/src/codec/crc32c.ts';
import type { Entry } from '../../consensus/src/types.ts';
import { openWal } from '../../consensus/src/wal/index.ts';

const SECONDS = Number(process.env.WAL_BENCH_SECONDS ?? 2);
const ENTRY_BYTES = 256;
const PREALLOCATE = process.env.WAL_BENCH_PREALLOCATE !== '0';
const base = await mkdtemp(join(process.env.WAL_BENCH_DIR ?? tmpdir(), 'kedge-wal-bench-'));

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

function fmt(ms: number): string {
  return `${ms.toFixed(3)} ms`;
}

/** The anchor: write 256 B at the next offset, fdatasync, repeat. */
async function rawFdatasync(preallocated: boolean): Promise<number[]> {
  const path = join(base, `raw-${preallocated}`);
  const fh = await open(path, 'w+');
  const rec = Buffer.alloc(ENTRY_BYTES, 7);
  if (preallocated) {
    const zeros = Buffer.alloc(1 << 20);
    for (let i = 0; i < 64; i++) await fh.write(zeros, 0, zeros.length, i << 20);
    await fh.datasync();
  }
  const lat: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  let off = 0;
  while (performance.now() < end) {
    const t = performance.now();
    await fh.write(rec, 0, rec.length, off);
    await fh.datasync();
    lat.push(performance.now() - t);
    off += rec.length;
  }
  await fh.close();
  await rm(path);
  return lat.sort((a, b) => a - b);
}

interface Result {
  entriesPerSec: number;
  savesPerSec: number;
  p50: number;
  p99: number;
  syncsPerSave: number;
}

/**
 * `callers` concurrent loops, each saving `batch` entries per synced save(): batch > 1 is the
 * driver handing one Ready's entries at once; callers > 1 exercises group commit.
 */
async function walRun(batch: number, callers: number): Promise<Result> {
  const dir = join(base, `wal-${batch}-${callers}`);
  const { log } = await openWal(dir, { logger: () => {}, preallocate: PREALLOCATE });
  const data = Buffer.alloc(ENTRY_BYTES, 1);
  let next = 1;
  const lat: number[] = [];
  const syncsBefore = log.stats.dataSyncs;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  const caller = async () => {
    while (performance.now() < end) {
      const es: Entry[] = [];
      for (let i = 0; i < batch; i++) es.push({ term: 1, index: next++, type: 'normal', data });
      const t = performance.now();
      await log.save({ term: 1, vote: 1, commit: next - 1 }, es, true);
      lat.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
  const secs = (performance.now() - start) / 1000;
  const syncs = log.stats.dataSyncs - syncsBefore;
  await log.close();
  lat.sort((a, b) => a - b);
  return {
    entriesPerSec: (lat.length * batch) / secs,
    savesPerSec: lat.length / secs,
    p50: pct(lat, 0.5),
    p99: pct(lat, 0.99),
    syncsPerSave: syncs / lat.length,
  };
}

async function replayRun(): Promise<{ entries: number; ms: number; mbPerSec: number }> {
  const dir = join(base, 'replay');
  const { log } = await openWal(dir, { logger: () => {} });
  const data = Buffer.alloc(ENTRY_BYTES, 2);
  const n = 200_000;
  for (let i = 1; i <= n; i += 1000) {
    const es: Entry[] = [];
    for (let k = i; k < i + 1000; k++) es.push({ term: 1, index: k, type: 'normal', data });
    await log.save({ term: 1, vote: 1, commit: i }, es, false);
  }
  await log.save(undefined, [], true);
  const bytes = log.stats.bytesWritten;
  await log.close();
  const t = performance.now();
  const opened = await openWal(dir, { logger: () => {} });
  const ms = performance.now() - t;
  if (opened.state.entries.length !== n)
    throw new Error(`replay returned ${opened.state.entries.length} entries`);
  await opened.log.close();
  return { entries: n, ms, mbPerSec: bytes / 1e6 / (ms / 1000) };
}

function crcThroughput(): number {
  const buf = Buffer.alloc(16 << 20, 3);
  const t = performance.now();
  for (let i = 0; i < 8; i++) crc32c(buf);
  return (8 * buf.length) / 1e6 / ((performance.now() - t) / 1000);
}

try {
  console.log(`WAL benchmark: ${ENTRY_BYTES} B entries, ${SECONDS} s per row, dir ${base}`);
  const rawPre = await rawFdatasync(true);
  const rawApp = await rawFdatasync(false);
  console.log(
    `anchor raw write+fdatasync, preallocated file: p50 ${fmt(pct(rawPre, 0.5))} p99 ${fmt(pct(rawPre, 0.99))} ` +
      `(${Math.round(rawPre.length / SECONDS)} syncs/s)`,
  );
  console.log(
    `anchor raw write+fdatasync, appending file:    p50 ${fmt(pct(rawApp, 0.5))} p99 ${fmt(pct(rawApp, 0.99))} ` +
      `(${Math.round(rawApp.length / SECONDS)} syncs/s)`,
  );
  // The disk is shared and noisy: each row gets its own anchor, measured right before it.
  console.log('\nbatch callers   entries/s     saves/s   p50 save   p99 save  fsync/save | anchor p50 / p99');
  for (const [batch, callers] of [
    [1, 1],
    [16, 1],
    [64, 1],
    [1, 16],
    [1, 64],
  ] as const) {
    const anchor = await rawFdatasync(true);
    const r = await walRun(batch, callers);
    console.log(
      `${String(batch).padStart(5)} ${String(callers).padStart(7)} ${Math.round(r.entriesPerSec).toString().padStart(11)} ` +
        `${Math.round(r.savesPerSec).toString().padStart(11)} ${r.p50.toFixed(3).padStart(8)} ms ${r.p99.toFixed(3).padStart(7)} ms ` +
        `${r.syncsPerSave.toFixed(3).padStart(10)} | ${fmt(pct(anchor, 0.5))} / ${fmt(pct(anchor, 0.99))}`,
    );
  }
  const replay = await replayRun();
  console.log(
    `\nreplay on open: ${replay.entries} entries in ${replay.ms.toFixed(0)} ms ` +
      `(${Math.round(replay.entries / (replay.ms / 1000))} entries/s, ${replay.mbPerSec.toFixed(0)} MB/s)`,
  );
  console.log(`crc32c (slicing-by-8): ${crcThroughput().toFixed(0)} MB/s`);
} finally {
  await rm(base, { recursive: true, force: true });
}
