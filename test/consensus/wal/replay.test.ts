import { describe, expect, it } from 'vitest';
import { ConsensusError, type Snapshot } from '../../../consensus/src/types.ts';
import { LogReplay } from '../../../consensus/src/wal/replay.ts';
import { entries, entry, plain } from './helpers.ts';

function snap(index: number, term: number): Snapshot {
  return { metadata: { index, term, confState: { voters: [1], learners: [] } }, data: new Uint8Array(0) };
}

describe('LogReplay', () => {
  it('keeps the last write for each index and drops the indexes after an overwrite', () => {
    const r = new LogReplay();
    for (const e of entries(1, 10)) r.entry(e);
    for (const e of entries(6, 8, 2)) r.entry(e);
    expect(plain(r.finish(undefined).entries)).toEqual(plain([...entries(1, 5), ...entries(6, 8, 2)]));
  });

  it('refuses a gap between entries as Corrupt', () => {
    const r = new LogReplay();
    r.entry(entry(1));
    expect(() => r.entry(entry(3))).toThrow(ConsensusError);
  });

  it('keeps entries after a snapshot marker whose index and term the log holds', () => {
    const r = new LogReplay();
    for (const e of entries(1, 10)) r.entry(e);
    r.snapshotMarker(5, 1);
    const out = r.finish(snap(5, 1));
    expect(out.entries.map((e) => e.index)).toEqual([6, 7, 8, 9, 10]);
  });

  it('discards the whole log at a marker it does not match (a snapshot sent by the leader)', () => {
    const r = new LogReplay();
    for (const e of entries(1, 10)) r.entry(e);
    r.snapshotMarker(20, 3);
    r.entry(entry(21, 3));
    expect(plain(r.finish(snap(20, 3)).entries)).toEqual(plain([entry(21, 3)]));
    const stale = new LogReplay();
    for (const e of entries(1, 10)) stale.entry(e);
    stale.snapshotMarker(5, 2); // term differs from the log's entry 5: conflicting history
    expect(stale.finish(snap(5, 2)).entries).toEqual([]);
  });

  it('applies the snapshot rule at the end when the marker never reached the WAL', () => {
    const r = new LogReplay();
    for (const e of entries(1, 10)) r.entry(e);
    expect(r.finish(snap(7, 1)).entries.map((e) => e.index)).toEqual([8, 9, 10]);
  });

  it('starts from the first entry replayed when older segments were deleted', () => {
    const r = new LogReplay();
    for (const e of entries(50, 60)) r.entry(e);
    expect(r.finish(snap(55, 1)).entries.map((e) => e.index)).toEqual([56, 57, 58, 59, 60]);
  });

  it('reports missing entries between the snapshot and the log as Corrupt with what to do', () => {
    const r = new LogReplay();
    for (const e of entries(50, 60)) r.entry(e);
    expect(() => r.finish(snap(40, 1))).toThrow(/entries 41\.\.49 are missing.*Restore this member/);
    const noSnap = new LogReplay();
    noSnap.entry(entry(5));
    expect(() => noSnap.finish(undefined)).toThrow(/no snapshot file/);
    // A marker for a newer snapshot than the one loaded: the log was reset past it.
    const lost = new LogReplay();
    lost.snapshotMarker(30, 2);
    expect(() => lost.finish(snap(10, 1))).toThrow(ConsensusError);
  });

  it('keeps the last hardState', () => {
    const r = new LogReplay();
    r.hardState = { term: 2, vote: 1, commit: 3 };
    r.hardState = { term: 3, vote: 2, commit: 4 };
    expect(r.finish(undefined).hardState).toEqual({ term: 3, vote: 2, commit: 4 });
  });
});
