import { describe, expect, it } from 'vitest';
import { BinaryReader, BinaryWriter } from '../../../consensus/src/codec/binary.ts';
import {
  readConfState,
  readEntry,
  readHardState,
  readSnapshot,
  writeConfState,
  writeEntry,
  writeHardState,
  writeSnapshot,
} from '../../../consensus/src/codec/records.ts';
import { ConsensusError, type Entry, type Snapshot } from '../../../consensus/src/types.ts';

function corrupt(fn: () => unknown): ConsensusError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConsensusError);
    expect((err as ConsensusError).kind).toBe('Corrupt');
    return err as ConsensusError;
  }
  throw new Error('expected a Corrupt error');
}

describe('BinaryWriter / BinaryReader', () => {
  it('round-trips every value type and grows past its initial capacity', () => {
    const w = new BinaryWriter(16);
    const uvarints = [
      0,
      1,
      127,
      128,
      300,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32,
      2 ** 40 + 5,
      Number.MAX_SAFE_INTEGER,
    ];
    for (const v of uvarints) w.uvarint(v);
    w.uint8(255);
    w.uint32(0xdeadbeef);
    w.float64(-1.5e300);
    w.bytes(Uint8Array.from([1, 2, 3]));
    w.string('héllo ✓');
    w.bytes(new Uint8Array(10_000).fill(7));
    const r = new BinaryReader(w.toBuffer());
    for (const v of uvarints) expect(r.uvarint()).toBe(v);
    expect(r.uint8()).toBe(255);
    expect(r.uint32()).toBe(0xdeadbeef);
    expect(r.float64()).toBe(-1.5e300);
    expect([...r.bytes()]).toEqual([1, 2, 3]);
    expect(r.string()).toBe('héllo ✓');
    expect(r.bytes().every((b) => b === 7)).toBe(true);
    r.expectEnd();
  });

  it('rejects values a uvarint cannot carry', () => {
    const w = new BinaryWriter();
    expect(() => w.uvarint(-1)).toThrow(RangeError);
    expect(() => w.uvarint(2 ** 53)).toThrow(RangeError);
    expect(() => w.uvarint(Number.NaN)).toThrow(RangeError);
  });

  it('reports truncation at every cut as Corrupt, never a RangeError or garbage', () => {
    const w = new BinaryWriter();
    w.uvarint(2 ** 40);
    w.uint32(7);
    w.float64(3.25);
    w.string('abc');
    const full = w.toBuffer();
    for (let cut = 0; cut < full.length; cut++) {
      const r = new BinaryReader(full, 0, cut, 'test record');
      const err = corrupt(() => {
        r.uvarint();
        r.uint32();
        r.float64();
        r.string();
      });
      expect(err.message).toContain('test record');
    }
  });

  it('rejects an overlong uvarint and trailing bytes', () => {
    corrupt(() => new BinaryReader(new Uint8Array(9).fill(0xff)).uvarint());
    const r = new BinaryReader(Uint8Array.from([1, 2]));
    r.uint8();
    corrupt(() => r.expectEnd());
  });

  it('reuses its buffer after reset', () => {
    const w = new BinaryWriter(64);
    w.raw(new Uint8Array(40));
    const before = w.view().buffer;
    w.reset();
    w.uint32(1);
    expect(w.length).toBe(4);
    expect(w.view().buffer).toBe(before);
  });
});

describe('records', () => {
  it('round-trips entries, hard states, conf states and snapshots', () => {
    const entries: Entry[] = [
      { term: 1, index: 1, type: 'normal', data: new Uint8Array(0) },
      { term: 2 ** 33, index: 2 ** 45, type: 'confChange', data: Uint8Array.from([9, 8, 7]) },
    ];
    const snap: Snapshot = {
      metadata: { index: 99, term: 4, confState: { voters: [1, 2, 3], learners: [7] } },
      data: Buffer.from('state machine bytes'),
    };
    const w = new BinaryWriter();
    for (const e of entries) writeEntry(w, e);
    writeHardState(w, { term: 5, vote: 2, commit: 42 });
    writeConfState(w, { voters: [], learners: [] });
    writeSnapshot(w, snap);
    const r = new BinaryReader(w.toBuffer());
    for (const e of entries) {
      const got = readEntry(r);
      expect({ ...got, data: [...got.data] }).toEqual({ ...e, data: [...e.data] });
    }
    expect(readHardState(r)).toEqual({ term: 5, vote: 2, commit: 42 });
    expect(readConfState(r)).toEqual({ voters: [], learners: [] });
    const s = readSnapshot(r);
    expect(s.metadata).toEqual(snap.metadata);
    expect(Buffer.from(s.data).toString()).toBe('state machine bytes');
    r.expectEnd();
  });

  it('reads entry data as a view, or as a copy that survives reuse of the input', () => {
    const w = new BinaryWriter();
    writeEntry(w, { term: 1, index: 1, type: 'normal', data: Uint8Array.from([5, 6]) });
    const input = w.toBuffer();
    const view = readEntry(new BinaryReader(input));
    const copy = readEntry(new BinaryReader(input), true);
    input.fill(0);
    expect([...view.data]).toEqual([0, 0]);
    expect([...copy.data]).toEqual([5, 6]);
  });

  it('rejects an unknown entry type and an absurd member count', () => {
    const w = new BinaryWriter();
    w.uvarint(1);
    w.uvarint(1);
    w.uint8(9);
    w.bytes(new Uint8Array(0));
    expect(corrupt(() => readEntry(new BinaryReader(w.toBuffer()))).message).toContain('unknown type 9');
    w.reset();
    w.uvarint(1_000_000);
    corrupt(() => readConfState(new BinaryReader(w.toBuffer())));
  });
});
