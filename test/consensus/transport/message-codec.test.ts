import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../../consensus/src/transport/message-codec.ts';
import type { Message } from '../../../consensus/src/types.ts';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('message codec', () => {
  it('round-trips every field of every message type', () => {
    const messages: Message[] = [
      {
        type: 'app',
        from: 1,
        to: 2,
        term: 7,
        logTerm: 6,
        index: 41,
        commit: 40,
        entries: [
          { term: 7, index: 42, type: 'normal', data: bytes(1, 2, 3) },
          { term: 7, index: 43, type: 'confChange', data: bytes(9) },
          { term: 7, index: 44, type: 'normal', data: bytes() },
        ],
      },
      { type: 'appResp', from: 2, to: 1, term: 7, index: 30, reject: true, rejectHint: 12, logTerm: 5 },
      { type: 'vote', from: 3, to: 1, term: 2 ** 40, logTerm: 9, index: 2 ** 33, context: bytes(1) },
      { type: 'heartbeat', from: 1, to: 3, term: 8, commit: 0, context: bytes(0xff, 0) },
      {
        type: 'snap',
        from: 1,
        to: 2,
        term: 9,
        snapshot: {
          metadata: { index: 100, term: 8, confState: { voters: [1, 2, 3], learners: [4] } },
          data: new Uint8Array(100_000).fill(7),
        },
      },
      { type: 'transferLeader', from: 2, to: 1, term: 0 },
    ];
    for (const message of messages) expect(decodeMessage(encodeMessage(message))).toEqual(message);
  });

  it('rejects truncated and trailing input as Corrupt instead of misreading it', () => {
    const encoded = encodeMessage({ type: 'app', from: 1, to: 2, term: 3, index: 4, commit: 5 });
    expect(() => decodeMessage(encoded.subarray(0, encoded.length - 1))).toThrow(/truncated/);
    expect(() => decodeMessage(Buffer.concat([encoded, Buffer.from([0])]))).toThrow(/trailing/);
    const badType = Buffer.from(encoded);
    badType[1] = 200;
    expect(() => decodeMessage(badType)).toThrow(/unknown raft message type/);
  });

  it('decoded data does not alias the input buffer', () => {
    const encoded = encodeMessage({
      type: 'app',
      from: 1,
      to: 2,
      term: 1,
      entries: [{ term: 1, index: 1, type: 'normal', data: bytes(5, 5, 5) }],
    });
    const decoded = decodeMessage(encoded);
    encoded.fill(0);
    expect(Array.from(decoded.entries?.[0]?.data ?? [])).toEqual([5, 5, 5]);
  });
});
