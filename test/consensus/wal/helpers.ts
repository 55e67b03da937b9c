import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Entry } from '../../../consensus/src/types.ts';
import { type OpenedWal, openWal, type WalOptions } from '../../../consensus/src/wal/index.ts';

const dirs: string[] = [];
const open: OpenedWal[] = [];

afterEach(async () => {
  for (const w of open.splice(0)) await w.log.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A temp dir removed after the test, pass or fail. */
export async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kedge-wal-'));
  dirs.push(d);
  return d;
}

/** A copy of dir in a fresh temp dir, to damage without touching the original. */
export async function copyDir(dir: string): Promise<string> {
  const d = await tempDir();
  await cp(dir, d, { recursive: true });
  return d;
}

export interface Opened extends OpenedWal {
  readonly warnings: string[];
}

/** Opens a WAL with small segments and a logger that records instead of printing; closed after the test. */
export async function openTest(dir: string, options: WalOptions = {}): Promise<Opened> {
  const warnings: string[] = [];
  const w = await openWal(dir, { segmentBytes: 16 << 10, logger: (m) => warnings.push(m), ...options });
  open.push(w);
  return { ...w, warnings };
}

/** Opens, reads the state, closes: what a restarted node would see. */
export async function reopen(dir: string, options: WalOptions = {}): Promise<Opened> {
  const w = await openTest(dir, options);
  await w.log.close();
  return w;
}

export function entry(index: number, term = 1, payload = `entry-${index}-t${term}`): Entry {
  return { index, term, type: 'normal', data: Buffer.from(payload) };
}

export function entries(from: number, to: number, term = 1): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

/** Entries as comparable plain values. */
export function plain(
  es: readonly Entry[],
): Array<{ index: number; term: number; type: string; data: string }> {
  return es.map((e) => ({
    index: e.index,
    term: e.term,
    type: e.type,
    data: Buffer.from(e.data).toString(),
  }));
}

export async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.wal')).sort();
}
