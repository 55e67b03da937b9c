// The simulator's own models (clock, PRNG, network, disk) must be right before they can judge Raft.
import { describe, expect, it } from 'vitest';
import type { Entry, Message, Snapshot } from '../../../consensus/src/types.ts';
import { createPrng } from '../../support/prng.ts';
import { applyWrite, DiskModelError, EMPTY_DURABLE_STATE, SimDisk } from './sim-disk.ts';
import { CALM_NETWORK, SimNetwork } from './sim-network.ts';
import { SimQueue } from './sim-queue.ts';

const entry = (index: number, term: number, text = `e${index}`): Entry => ({
  index,
  term,
  type: 'normal',
  data: new TextEncoder().encode(text),
});
const msg = (from: number, to: number, term = 1): Message => ({ type: 'heartbeat', from, to, term });

describe('prng', () => {
  it('replays the same sequence for the same seed and differs across seeds', () => {
    const a = createPrng(7);
    const b = createPrng(7);
    const c = createPrng(8);
    const seqA = Array.from({ length: 50 }, () => a.nextUint32());
    expect(Array.from({ length: 50 }, () => b.nextUint32())).toEqual(seqA);
    expect(Array.from({ length: 50 }, () => c.nextUint32())).not.toEqual(seqA);
  });

  it('gives uniform-looking floats and in-range ints', () => {
    const prng = createPrng(1);
    const buckets = new Array<number>(10).fill(0);
    const ints = new Set<number>();
    let outOfRange = 0;
    for (let i = 0; i < 100_000; i++) {
      const f = prng.float();
      if (f < 0 || f >= 1) outOfRange++;
      else buckets[Math.floor(f * 10)]! += 1;
      ints.add(prng.int(3, 5));
    }
    expect(outOfRange).toBe(0);
    expect([...ints].sort()).toEqual([3, 4, 5]);
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('forks independent streams that do not depend on the parent having drawn', () => {
    const a = createPrng(9);
    const b = createPrng(9);
    b.nextUint32();
    expect(a.fork('net').nextUint32()).toBe(b.fork('net').nextUint32());
    expect(a.fork('net').nextUint32()).not.toBe(a.fork('disk').nextUint32());
  });
});

describe('sim queue', () => {
  it('runs actions in time order, ties in insertion order', () => {
    const queue = new SimQueue();
    const seen: string[] = [];
    queue.at(5, () => seen.push('b'));
    queue.at(1, () => seen.push('a'));
    queue.at(5, () => seen.push('c'));
    queue.at(3, () => queue.at(4, () => seen.push('nested')));
    while (queue.runNext(100));
    expect(seen).toEqual(['a', 'nested', 'b', 'c']);
    expect(queue.now()).toBe(5);
    expect(() => queue.at(2, () => {})).toThrow(/cannot schedule/);
  });
});

describe('sim network', () => {
  function setup(seed: number, conditions = CALM_NETWORK) {
    const queue = new SimQueue();
    const delivered: Message[] = [];
    const dropped: string[] = [];
    const network = new SimNetwork(queue, createPrng(seed), conditions, {
      deliver: (m) => delivered.push(m),
      dropped: (m, reason) => dropped.push(`${m.from}>${m.to}:${reason}`),
    });
    const drain = () => {
      while (queue.runNext(Number.POSITIVE_INFINITY));
    };
    return { queue, network, delivered, dropped, drain };
  }

  it('delivers a copy after a delay within the configured range', () => {
    const { queue, network, delivered, drain } = setup(1, {
      ...CALM_NETWORK,
      minDelayMs: 10,
      maxDelayMs: 20,
    });
    const original = msg(1, 2);
    network.send(original);
    drain();
    expect(delivered).toEqual([original]);
    expect(delivered[0]).not.toBe(original);
    expect(queue.now()).toBeGreaterThanOrEqual(10);
    expect(queue.now()).toBeLessThanOrEqual(20);
  });

  it('loses, duplicates and reorders at about the configured rates', () => {
    const { network, delivered, drain } = setup(2, {
      ...CALM_NETWORK,
      lossRate: 0.1,
      duplicateRate: 0.1,
      spikeRate: 0.2,
      spikeDelayMs: 100,
    });
    for (let i = 0; i < 5000; i++) network.send({ ...msg(1, 2), index: i });
    drain();
    expect(network.stats.lost).toBeGreaterThan(400);
    expect(network.stats.lost).toBeLessThan(600);
    expect(network.stats.duplicated).toBeGreaterThan(350);
    expect(delivered.length).toBe(5000 - network.stats.lost + network.stats.duplicated);
    const order = delivered.map((m) => m.index as number);
    const inversions = order.filter((value, i) => i > 0 && value < (order[i - 1] as number)).length;
    expect(inversions).toBeGreaterThan(100);
  });

  it('cuts one direction only in an asymmetric partition', () => {
    const { network, delivered, dropped, drain } = setup(3);
    network.cutOneWay(1, 2);
    network.send(msg(1, 2));
    network.send(msg(2, 1));
    drain();
    expect(delivered.map((m) => `${m.from}>${m.to}`)).toEqual(['2>1']);
    expect(dropped).toEqual(['1>2:partition']);
  });

  it('splits groups symmetrically, drops messages in flight when a cut starts, and heals', () => {
    const { queue, network, delivered, dropped, drain } = setup(4, {
      ...CALM_NETWORK,
      minDelayMs: 10,
      maxDelayMs: 10,
    });
    network.send(msg(1, 3)); // in flight when the partition starts
    queue.runNext(0);
    network.partition([[1, 2], [3]]);
    expect(network.canReach(1, 2)).toBe(true);
    expect(network.canReach(3, 1)).toBe(false);
    expect(network.canReach(2, 3)).toBe(false);
    drain();
    expect(delivered).toEqual([]);
    expect(dropped).toEqual(['1>3:partition']);
    network.heal();
    network.send(msg(3, 1));
    drain();
    expect(delivered.length).toBe(1);
  });

  it('replays exactly for a seed', () => {
    const run = (seed: number) => {
      const { network, delivered, drain } = setup(seed, { ...CALM_NETWORK, lossRate: 0.3, maxDelayMs: 50 });
      for (let i = 0; i < 200; i++) network.send({ ...msg(1 + (i % 3), 2), index: i });
      drain();
      return delivered.map((m) => m.index);
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });
});

describe('sim disk', () => {
  const snapshot = (index: number, term: number): Snapshot => ({
    metadata: { index, term, confState: { voters: [1, 2, 3], learners: [] } },
    data: new Uint8Array([index]),
  });

  it('applies WAL rules: append, truncate a conflicting suffix, snapshot replaces the log', () => {
    let state = applyWrite(EMPTY_DURABLE_STATE, { entries: [entry(1, 1), entry(2, 1), entry(3, 1)] });
    state = applyWrite(state, { entries: [entry(2, 2)], hardState: { term: 2, vote: 1, commit: 1 } });
    expect(state.entries.map((e) => `${e.index}@${e.term}`)).toEqual(['1@1', '2@2']);
    expect(state.hardState).toEqual({ term: 2, vote: 1, commit: 1 });
    state = applyWrite(state, { entries: [], snapshot: snapshot(10, 3) });
    expect(state.entries).toEqual([]);
    expect(state.snapshot?.metadata.index).toBe(10);
    expect(() => applyWrite(state, { entries: [entry(12, 3)] })).toThrow(DiskModelError);
    expect(() => applyWrite(state, { entries: [entry(10, 3)] })).toThrow(/cannot follow/);
  });

  it('keeps fsynced writes across a crash and loses unsynced ones (all or a prefix)', () => {
    let lostSome = false;
    let keptSome = false;
    for (let seed = 1; seed <= 40; seed++) {
      const queue = new SimQueue();
      const disk = new SimDisk(queue, createPrng(seed), { minMs: 5, maxMs: 5 });
      let synced = false;
      disk.write({ entries: [entry(1, 1)], hardState: { term: 1, vote: 1, commit: 0 } });
      disk.fsync(() => {
        synced = true;
      });
      while (queue.runNext(Number.POSITIVE_INFINITY));
      expect(synced).toBe(true);
      disk.write({ entries: [entry(2, 1)] });
      disk.write({ entries: [entry(3, 1)], hardState: { term: 1, vote: 1, commit: 2 } });
      const outcome = disk.crash();
      const durable = disk.durableState();
      // Never a write without the ones before it.
      expect(durable.entries.length).toBe(1 + outcome.survived);
      expect(durable.entries[0]?.index).toBe(1);
      if (outcome.lost > 0) lostSome = true;
      if (outcome.survived > 0) keptSome = true;
    }
    expect(lostSome && keptSome).toBe(true);
  });

  it('never reports an fsync that a crash interrupted, and serialises fsyncs', () => {
    const queue = new SimQueue();
    const disk = new SimDisk(queue, createPrng(1), { minMs: 10, maxMs: 10 });
    const done: number[] = [];
    disk.write({ entries: [entry(1, 1)] });
    disk.fsync(() => done.push(queue.now()));
    disk.write({ entries: [entry(2, 1)] });
    disk.fsync(() => done.push(queue.now()));
    queue.runNext(Number.POSITIVE_INFINITY);
    expect(done).toEqual([10]);
    expect(disk.durableState().entries.length).toBe(1);
    disk.crash();
    while (queue.runNext(Number.POSITIVE_INFINITY));
    expect(done).toEqual([10]);
  });

  it('flushes the WAL before a snapshot and keeps only the entries after it', () => {
    const queue = new SimQueue();
    const disk = new SimDisk(queue, createPrng(1));
    disk.write({
      entries: [entry(1, 1), entry(2, 1), entry(3, 1)],
      hardState: { term: 1, vote: 1, commit: 3 },
    });
    disk.saveSnapshot(snapshot(2, 1));
    disk.crash();
    const durable = disk.durableState();
    expect(durable.hardState.commit).toBe(3);
    expect(durable.snapshot?.metadata.index).toBe(2);
    expect(durable.entries.map((e) => e.index)).toEqual([3]);
  });
});
