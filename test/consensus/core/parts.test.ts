// Unit tests of the core's building blocks: storage, inflight window, quorum math, conf-change codec.
import { describe, expect, it } from 'vitest';
import {
  applyConfChangeToState,
  decodeConfChange,
  encodeConfChange,
  MemoryStorage,
} from '../../../consensus/src/core/index.ts';
import { Inflights } from '../../../consensus/src/core/inflights.ts';
import { committedIndex, voteResult } from '../../../consensus/src/core/quorum.ts';
import { RaftLog } from '../../../consensus/src/core/raft-log.ts';
import type { ConfState, ConsensusError, Entry } from '../../../consensus/src/types.ts';

const ent = (index: number, term: number, bytes = 0): Entry => ({
  index,
  term,
  type: 'normal',
  data: new Uint8Array(bytes),
});

function kindOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as ConsensusError).kind;
  }
  return undefined;
}

describe('MemoryStorage', () => {
  it('appends, truncates a conflicting suffix, and refuses gaps', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
    s.append([ent(2, 2), ent(3, 2), ent(4, 2)]);
    expect(s.entries(1, 5).map((e) => e.term)).toEqual([1, 2, 2, 2]);
    expect(kindOf(() => s.append([ent(7, 2)]))).toBe('Unavailable');
  });

  it('limits entries by bytes but returns at least one', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1, 10), ent(2, 1, 10), ent(3, 1, 10)]);
    expect(s.entries(1, 4, 5)).toHaveLength(1);
    expect(s.entries(1, 4, 20)).toHaveLength(2);
  });

  it('snapshots and compacts; compacted indexes report Compacted', () => {
    const s = new MemoryStorage({ voters: [1], learners: [] });
    s.append([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 2)]);
    const snap = s.createSnapshot(3, { voters: [1], learners: [] }, new Uint8Array([7]));
    expect(snap.metadata).toEqual({ index: 3, term: 2, confState: { voters: [1], learners: [] } });
    s.compact(3);
    expect(s.firstIndex()).toBe(4);
    expect(s.term(3)).toBe(2);
    expect(kindOf(() => s.term(2))).toBe('Compacted');
    expect(kindOf(() => s.entries(3, 5))).toBe('Compacted');
    expect(kindOf(() => s.term(9))).toBe('Unavailable');
    // Appending below the compaction point skips what is compacted.
    s.append([ent(3, 2), ent(4, 2), ent(5, 3)]);
    expect(s.lastIndex()).toBe(5);
  });

  it('applySnapshot replaces the log', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1)]);
    s.applySnapshot({
      metadata: { index: 10, term: 3, confState: { voters: [1, 2], learners: [] } },
      data: new Uint8Array(),
    });
    expect(s.firstIndex()).toBe(11);
    expect(s.lastIndex()).toBe(10);
    expect(s.initialState().confState.voters).toEqual([1, 2]);
  });
});

describe('Inflights', () => {
  it('bounds the window, frees acknowledged messages and wraps around', () => {
    const w = new Inflights(3);
    w.add(10, 1);
    w.add(20, 1);
    w.add(30, 1);
    expect(w.full()).toBe(true);
    expect(() => w.add(40, 1)).toThrow();
    w.freeLE(20);
    expect(w.length).toBe(1);
    w.add(40, 1);
    w.add(50, 1); // wraps around the ring
    expect(w.full()).toBe(true);
    w.freeLE(45);
    expect(w.length).toBe(1);
    w.freeLE(100);
    expect(w.length).toBe(0);
  });

  it('is also full when the byte budget is used up', () => {
    const w = new Inflights(100, 1000);
    w.add(1, 600);
    expect(w.full()).toBe(false);
    w.add(2, 600);
    expect(w.full()).toBe(true);
    w.freeLE(1);
    expect(w.full()).toBe(false);
  });
});

describe('quorum', () => {
  it('commits the highest index a majority has', () => {
    const match = new Map([
      [1, 5],
      [2, 3],
      [3, 9],
      [4, 1],
      [5, 3],
    ]);
    expect(committedIndex([1, 2, 3, 4, 5], (id) => match.get(id) ?? 0)).toBe(3);
    expect(committedIndex([1, 3], (id) => match.get(id) ?? 0)).toBe(5);
    expect(committedIndex([3], (id) => match.get(id) ?? 0)).toBe(9);
  });

  it('decides elections only with enough votes', () => {
    expect(voteResult([1, 2, 3], new Map([[1, true]]))).toBe('pending');
    expect(
      voteResult(
        [1, 2, 3],
        new Map([
          [1, true],
          [2, true],
        ]),
      ),
    ).toBe('won');
    expect(
      voteResult(
        [1, 2, 3],
        new Map([
          [2, false],
          [3, false],
        ]),
      ),
    ).toBe('lost');
    // Learner votes (4) are not counted.
    expect(
      voteResult(
        [1, 2, 3],
        new Map([
          [1, true],
          [4, true],
        ]),
      ),
    ).toBe('pending');
  });
});

describe('conf changes', () => {
  it('round-trips through the entry encoding', () => {
    const cc = { type: 'addLearner' as const, nodeId: 42, context: new Uint8Array([1, 2, 3]) };
    expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
    expect(decodeConfChange(encodeConfChange({ type: 'removeNode', nodeId: 7 }))).toEqual({
      type: 'removeNode',
      nodeId: 7,
    });
    expect(kindOf(() => decodeConfChange(new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0, 0])))).toBe('Corrupt');
    expect(kindOf(() => decodeConfChange(new Uint8Array([1])))).toBe('Corrupt');
  });

  it('promotes, demotes, removes, and never removes the last voter', () => {
    let cs: ConfState = { voters: [1, 2], learners: [3] };
    cs = applyConfChangeToState(cs, { type: 'addVoter', nodeId: 3 });
    expect(cs).toEqual({ voters: [1, 2, 3], learners: [] });
    cs = applyConfChangeToState(cs, { type: 'addLearner', nodeId: 1 });
    expect(cs).toEqual({ voters: [2, 3], learners: [1] });
    cs = applyConfChangeToState(cs, { type: 'removeNode', nodeId: 1 });
    expect(cs).toEqual({ voters: [2, 3], learners: [] });
    const single = { voters: [2], learners: [] };
    expect(applyConfChangeToState(single, { type: 'removeNode', nodeId: 2 })).toBe(single);
  });
});

describe('RaftLog', () => {
  it('finds where to probe next by term (fast backtracking hint)', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 2), ent(5, 4)]);
    const log = new RaftLog(s);
    expect(log.findConflictByTerm(5, 3)).toEqual({ index: 4, term: 2 });
    expect(log.findConflictByTerm(5, 1)).toEqual({ index: 2, term: 1 });
    expect(log.findConflictByTerm(5, 4)).toEqual({ index: 5, term: 4 });
  });

  it('appends over a conflicting unstable suffix and slices across storage and unstable', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1)]);
    const log = new RaftLog(s);
    log.append([ent(3, 1), ent(4, 1), ent(5, 1)]);
    expect(log.maybeAppend(3, 1, 0, [ent(4, 2), ent(5, 2), ent(6, 2)])).toBe(6);
    expect(log.slice(1, 7, Number.POSITIVE_INFINITY).map((e) => e.term)).toEqual([1, 1, 1, 2, 2, 2]);
    // A mismatching previous entry is refused.
    expect(log.maybeAppend(6, 1, 0, [ent(7, 2)])).toBe(-1);
  });
});
