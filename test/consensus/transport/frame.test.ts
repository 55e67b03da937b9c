import { describe, expect, it } from 'vitest';
import {
  ChunkAssembler,
  encodeChunks,
  encodeFrame,
  FRAME_CHUNK,
  FRAME_MESSAGE,
  FrameDecoder,
} from '../../../consensus/src/transport/frame.ts';

describe('frames', () => {
  it('reassembles frames split at every byte boundary', () => {
    const stream = Buffer.concat([
      encodeFrame(FRAME_MESSAGE, Buffer.from('hello')),
      encodeFrame(FRAME_MESSAGE, Buffer.alloc(0)),
      encodeFrame(FRAME_MESSAGE, Buffer.from('world!')),
    ]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder();
      const frames = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(frames.map((f) => f.payload.toString())).toEqual(['hello', '', 'world!']);
    }
  });

  it('refuses an absurd length instead of buffering forever', () => {
    const bad = Buffer.alloc(5);
    bad.writeUInt32BE(0xffffffff, 0);
    expect(() => new FrameDecoder().push(bad)).toThrow(/out of range/);
  });

  it('chunks a large message and the assembler returns it whole on the last chunk only', () => {
    const message = Buffer.alloc(1000);
    for (let i = 0; i < message.length; i++) message[i] = i % 251;
    const frames = encodeChunks(7, message, 300);
    expect(frames).toHaveLength(4);
    const decoder = new FrameDecoder();
    const assembler = new ChunkAssembler(10_000);
    const results = decoder.push(Buffer.concat(frames)).map((f) => {
      expect(f.kind).toBe(FRAME_CHUNK);
      return assembler.push(f.payload);
    });
    expect(results.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect(results[3]?.equals(message)).toBe(true);
    expect(() => new ChunkAssembler(500).push(decoder.push(frames[0]!)[0]!.payload)).not.toThrow();
    const small = new ChunkAssembler(500);
    const parts = new FrameDecoder().push(Buffer.concat(frames));
    expect(() => {
      for (const p of parts) small.push(p.payload);
    }).toThrow(/over 500 bytes/);
  });
});
