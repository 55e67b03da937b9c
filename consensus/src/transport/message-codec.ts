// The binary encoding of a Raft Message on the wire, built on the shared record codec:
// [u8 version][u8 type][uvarint from, to, term][uvarint field mask][present fields in mask order].

import { BinaryReader, BinaryWriter } from '../codec/binary.ts';
import { readEntry, readSnapshot, writeEntry, writeSnapshot } from '../codec/records.ts';
import { ConsensusError, type Entry, type Message, type MessageType } from '../types.ts';

const VERSION = 1;

/** Wire codes of message types; append only, never renumber. */
const TYPES: readonly MessageType[] = [
  'app',
  'appResp',
  'vote',
  'voteResp',
  'preVote',
  'preVoteResp',
  'heartbeat',
  'heartbeatResp',
  'snap',
  'prop',
  'readIndex',
  'readIndexResp',
  'timeoutNow',
  'transferLeader',
];
const TYPE_CODE = new Map<MessageType, number>(TYPES.map((type, code) => [type, code]));

const HAS_LOG_TERM = 1;
const HAS_INDEX = 2;
const HAS_ENTRIES = 4;
const HAS_COMMIT = 8;
const REJECT = 16;
const HAS_REJECT_HINT = 32;
const HAS_SNAPSHOT = 64;
const HAS_CONTEXT = 128;

// One writer reused for every message: encoding allocates only the returned copy.
const writer = new BinaryWriter(64 * 1024);

/** Encodes one message; the result is a fresh buffer the caller may keep. */
export function encodeMessage(message: Message): Buffer {
  const code = TYPE_CODE.get(message.type);
  if (code === undefined) throw new ConsensusError('Corrupt', `cannot encode message type ${message.type}`);
  const w = writer;
  w.reset();
  w.uint8(VERSION);
  w.uint8(code);
  w.uvarint(message.from);
  w.uvarint(message.to);
  w.uvarint(message.term);
  let mask = 0;
  if (message.logTerm !== undefined) mask |= HAS_LOG_TERM;
  if (message.index !== undefined) mask |= HAS_INDEX;
  if (message.entries !== undefined && message.entries.length > 0) mask |= HAS_ENTRIES;
  if (message.commit !== undefined) mask |= HAS_COMMIT;
  if (message.reject) mask |= REJECT;
  if (message.rejectHint !== undefined) mask |= HAS_REJECT_HINT;
  if (message.snapshot !== undefined) mask |= HAS_SNAPSHOT;
  if (message.context !== undefined) mask |= HAS_CONTEXT;
  w.uvarint(mask);
  if (message.logTerm !== undefined) w.uvarint(message.logTerm);
  if (message.index !== undefined) w.uvarint(message.index);
  if (mask & HAS_ENTRIES) {
    const entries = message.entries ?? [];
    w.uvarint(entries.length);
    for (const entry of entries) writeEntry(w, entry);
  }
  if (message.commit !== undefined) w.uvarint(message.commit);
  if (message.rejectHint !== undefined) w.uvarint(message.rejectHint);
  if (message.snapshot !== undefined) writeSnapshot(w, message.snapshot);
  if (message.context !== undefined) w.bytes(message.context);
  return w.toBuffer();
}

/** Decodes one message. Byte fields are views into a private copy of `bytes`, never into `bytes`. */
export function decodeMessage(bytes: Uint8Array): Message {
  // The input is usually a view into a socket buffer; one copy keeps entries from pinning it.
  const own = new Uint8Array(bytes);
  const r = new BinaryReader(own, 0, own.length, 'raft message');
  const version = r.uint8();
  if (version !== VERSION) {
    throw new ConsensusError('Corrupt', `raft message version ${version}, this node speaks ${VERSION}`);
  }
  const code = r.uint8();
  const type = TYPES[code];
  if (type === undefined) throw new ConsensusError('Corrupt', `unknown raft message type code ${code}`);
  const from = r.uvarint();
  const to = r.uvarint();
  const term = r.uvarint();
  const mask = r.uvarint();
  const message: {
    -readonly [K in keyof Message]: Message[K];
  } = { type, from, to, term };
  if (mask & HAS_LOG_TERM) message.logTerm = r.uvarint();
  if (mask & HAS_INDEX) message.index = r.uvarint();
  if (mask & HAS_ENTRIES) {
    const n = r.uvarint();
    // Every entry takes at least four bytes: a larger count is garbage, not a reason to allocate.
    if (n > r.remaining)
      throw new ConsensusError('Corrupt', `message claims ${n} entries in ${r.remaining} bytes`);
    const entries: Entry[] = new Array(n);
    for (let i = 0; i < n; i++) entries[i] = readEntry(r);
    message.entries = entries;
  }
  if (mask & HAS_COMMIT) message.commit = r.uvarint();
  if (mask & REJECT) message.reject = true;
  if (mask & HAS_REJECT_HINT) message.rejectHint = r.uvarint();
  if (mask & HAS_SNAPSHOT) message.snapshot = readSnapshot(r);
  if (mask & HAS_CONTEXT) message.context = r.bytes();
  r.expectEnd();
  return message;
}
