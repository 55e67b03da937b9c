// Encodings of the contract's records, shared by the WAL (disk) and the transports (wire).
// Numbers are uvarints (indexes and terms are small most of the time); an entry's type is one byte.
// Readers return `data` as views into the input: callers that reuse their input buffer must copy.

import type { ConfState, Entry, EntryType, HardState, Snapshot } from '../types.ts';
import { ConsensusError } from '../types.ts';
import type { BinaryReader, BinaryWriter } from './binary.ts';

const ENTRY_NORMAL = 0;
const ENTRY_CONF_CHANGE = 1;

export function writeEntry(w: BinaryWriter, e: Entry): void {
  w.uvarint(e.term);
  w.uvarint(e.index);
  w.uint8(e.type === 'normal' ? ENTRY_NORMAL : ENTRY_CONF_CHANGE);
  w.bytes(e.data);
}

/** Reads an entry; with copy, `data` is copied out so the input buffer may be reused. */
export function readEntry(r: BinaryReader, copy = false): Entry {
  const term = r.uvarint();
  const index = r.uvarint();
  const code = r.uint8();
  let type: EntryType;
  if (code === ENTRY_NORMAL) type = 'normal';
  else if (code === ENTRY_CONF_CHANGE) type = 'confChange';
  else throw new ConsensusError('Corrupt', `entry ${index} has unknown type ${code}`);
  const view = r.bytes();
  let data = view;
  if (copy) {
    data = Buffer.allocUnsafe(view.length);
    data.set(view);
  }
  return { term, index, type, data };
}

export function writeHardState(w: BinaryWriter, hs: HardState): void {
  w.uvarint(hs.term);
  w.uvarint(hs.vote);
  w.uvarint(hs.commit);
}

export function readHardState(r: BinaryReader): HardState {
  const term = r.uvarint();
  const vote = r.uvarint();
  const commit = r.uvarint();
  return { term, vote, commit };
}

function writeIds(w: BinaryWriter, ids: readonly number[]): void {
  w.uvarint(ids.length);
  for (const id of ids) w.uvarint(id);
}

function readIds(r: BinaryReader): number[] {
  const n = r.uvarint();
  // Each id takes at least one byte: a larger count is garbage, not a reason to allocate.
  if (n > r.remaining)
    throw new ConsensusError('Corrupt', `member list claims ${n} ids in ${r.remaining} bytes`);
  const ids = new Array<number>(n);
  for (let i = 0; i < n; i++) ids[i] = r.uvarint();
  return ids;
}

export function writeConfState(w: BinaryWriter, cs: ConfState): void {
  writeIds(w, cs.voters);
  writeIds(w, cs.learners);
}

export function readConfState(r: BinaryReader): ConfState {
  const voters = readIds(r);
  const learners = readIds(r);
  return { voters, learners };
}

export function writeSnapshot(w: BinaryWriter, s: Snapshot): void {
  w.uvarint(s.metadata.index);
  w.uvarint(s.metadata.term);
  writeConfState(w, s.metadata.confState);
  w.bytes(s.data);
}

export function readSnapshot(r: BinaryReader): Snapshot {
  const index = r.uvarint();
  const term = r.uvarint();
  const confState = readConfState(r);
  const data = r.bytes();
  return { metadata: { index, term, confState }, data };
}
