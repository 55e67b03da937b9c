// Randomised, seeded: a long mix of saves (with overwrites), snapshots, concurrent calls and
// restarts, checked after every restart against a plain in-memory model of Raft's log.

import { describe, expect, it } from 'vitest';
import type { Entry, HardState, Snapshot } from '../../../consensus/src/types.ts';
import { entry, openTest, plain, tempDir } from './helpers.ts';

/** Small deterministic PRNG (mulberry32), so a failure replays exactly. */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** What the WAL must give back: the log after the snapshot, the latest hardState, the snapshot. */
class Model {
  snapIndex = 0;
  snapTerm = 0;
  log: Entry[] = []; // entries snapIndex+1 ..
  hardState: HardState = { term: 0, vote: 0, commit: 0 };

  get lastIndex(): number {
    return this.snapIndex + this.log.length;
  }

  termAt(index: number): number {
    return index === this.snapIndex ? this.snapTerm : this.log[index - this.snapIndex - 1]!.term;
  }

  append(es: readonly Entry[]): void {
    const first = es[0];
    if (!first) return;
    this.log.length = first.index - this.snapIndex - 1;
    this.log.push(...es);
  }

  snapshot(index: number, term: number): void {
    if (index <= this.lastIndex && index > this.snapIndex && this.termAt(index) === term) {
      this.log = this.log.slice(index - this.snapIndex);
    } else {
      this.log = [];
    }
    this.snapIndex = index;
    this.snapTerm = term;
  }
}

async function runSeed(seed: number, steps: number): Promise<void> {
  const r = rng(seed);
  const dir = await tempDir();
  const options = { segmentBytes: 1024 + r(3000), preallocate: r(2) === 0 };
  const model = new Model();
  let term = 1;
  let w = await openTest(dir, options);
  const check = (state: typeof w.state) => {
    expect(state.snapshot?.metadata.index ?? 0).toBe(model.snapIndex);
    expect(plain(state.entries)).toEqual(plain(model.log));
    expect(state.hardState).toEqual(model.hardState);
  };
  for (let step = 0; step < steps; step++) {
    const op = r(20);
    if (op < 14) {
      // One Ready's worth, sometimes several in flight at once (group commit).
      const calls = 1 + (r(4) === 0 ? r(5) : 0);
      const pending: Promise<void>[] = [];
      for (let c = 0; c < calls; c++) {
        if (r(8) === 0) term++;
        const lowest = Math.max(model.snapIndex + 1, model.lastIndex + 1 - r(4)); // sometimes overwrite
        const es = Array.from({ length: r(6) }, (_, k) =>
          entry(lowest + k, term, `s${seed}-${step}-${c}-${k}`),
        );
        const hs = r(2) === 0 ? { term, vote: r(4), commit: Math.min(model.lastIndex, r(50)) } : undefined;
        model.append(es);
        if (hs) model.hardState = hs;
        pending.push(w.log.save(hs, es, r(3) !== 0));
      }
      await Promise.all(pending);
    } else if (op < 16 && model.lastIndex > model.snapIndex) {
      // A snapshot of our own log (compaction) ...
      const index = model.snapIndex + 1 + r(model.lastIndex - model.snapIndex);
      const snapTerm = model.termAt(index);
      model.snapshot(index, snapTerm);
      await w.log.saveSnapshot(snap(index, snapTerm));
    } else if (op === 16) {
      // ... or one sent by a leader, ahead of (and conflicting with) our log.
      term++;
      const index = model.lastIndex + 1 + r(5);
      model.snapshot(index, term);
      await w.log.saveSnapshot(snap(index, term));
    } else {
      await w.log.close();
      w = await openTest(dir, options);
      expect(w.tornTail).toBeUndefined();
      check(w.state);
    }
  }
  await w.log.close();
  check((await openTest(dir, options)).state);
}

function snap(index: number, term: number): Snapshot {
  return {
    metadata: { index, term, confState: { voters: [1], learners: [] } },
    data: Buffer.from(`snap@${index}`),
  };
}

describe('WAL against a model of the Raft log', () => {
  const seeds = Number(process.env.WAL_MODEL_SEEDS ?? 6);
  for (let seed = 1; seed <= seeds; seed++) {
    it(`seed ${seed}: saves, overwrites, snapshots and restarts replay to the model`, async () => {
      await runSeed(seed, 300);
    });
  }
});
