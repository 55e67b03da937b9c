// The wire framing of the TCP transport: [u32 big-endian length][u8 kind][payload], where length
// counts kind + payload. Large messages (snapshots) travel as CHUNK frames that the receiver
// reassembles, so a heartbeat never waits behind more than one chunk.

export const FRAME_HELLO = 1;
export const FRAME_MESSAGE = 2;
export const FRAME_CHUNK = 3;

export type FrameKind = typeof FRAME_HELLO | typeof FRAME_MESSAGE | typeof FRAME_CHUNK;

export interface Frame {
  readonly kind: FrameKind;
  readonly payload: Buffer;
}

/** A frame larger than this is a corrupt or hostile stream: the connection is dropped. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** Frames one payload. */
export function encodeFrame(kind: FrameKind, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + payload.length);
  frame.writeUInt32BE(payload.length + 1, 0);
  frame.writeUInt8(kind, 4);
  frame.set(payload, 5);
  return frame;
}

/** HELLO: the dialer names itself and whom it meant to reach (a wrong address is caught at once). */
export function encodeHello(from: number, to: number): Buffer {
  const payload = Buffer.allocUnsafe(8);
  payload.writeUInt32BE(from, 0);
  payload.writeUInt32BE(to, 4);
  return encodeFrame(FRAME_HELLO, payload);
}

export function decodeHello(payload: Buffer): { from: number; to: number } {
  if (payload.length !== 8) throw new FrameError(`hello frame of ${payload.length} bytes, want 8`);
  return { from: payload.readUInt32BE(0), to: payload.readUInt32BE(4) };
}

/** Splits one encoded message into CHUNK frames: [u32 stream][u8 last][bytes]. */
export function encodeChunks(stream: number, message: Uint8Array, chunkBytes: number): Buffer[] {
  const frames: Buffer[] = [];
  for (let offset = 0; offset < message.length; offset += chunkBytes) {
    const end = Math.min(offset + chunkBytes, message.length);
    const payload = Buffer.allocUnsafe(5 + end - offset);
    payload.writeUInt32BE(stream, 0);
    payload.writeUInt8(end === message.length ? 1 : 0, 4);
    payload.set(message.subarray(offset, end), 5);
    frames.push(encodeFrame(FRAME_CHUNK, payload));
  }
  return frames;
}

export class FrameError extends Error {
  readonly kind = 'Corrupt';
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** Turns a byte stream into frames; push() returns every frame completed by the new bytes. */
export class FrameDecoder {
  #pending: Buffer = Buffer.alloc(0);

  push(data: Buffer): Frame[] {
    let buffer = this.#pending.length === 0 ? data : Buffer.concat([this.#pending, data]);
    const frames: Frame[] = [];
    while (buffer.length >= 5) {
      const length = buffer.readUInt32BE(0);
      if (length < 1 || length > MAX_FRAME_BYTES) {
        throw new FrameError(`frame length ${length} out of range (1..${MAX_FRAME_BYTES})`);
      }
      if (buffer.length < 4 + length) break;
      const kind = buffer.readUInt8(4);
      if (kind !== FRAME_HELLO && kind !== FRAME_MESSAGE && kind !== FRAME_CHUNK) {
        throw new FrameError(`unknown frame kind ${kind}`);
      }
      frames.push({ kind, payload: buffer.subarray(5, 4 + length) });
      buffer = buffer.subarray(4 + length);
    }
    // Copy the remainder so the decoder never pins a large socket buffer for a few bytes.
    this.#pending = buffer.length === 0 ? Buffer.alloc(0) : Buffer.from(buffer);
    return frames;
  }
}

/** Reassembles CHUNK frames of one connection into whole messages. */
export class ChunkAssembler {
  readonly #streams = new Map<number, { parts: Buffer[]; bytes: number }>();
  readonly #maxBytes: number;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Adds one chunk; returns the whole message when this was its last chunk. */
  push(payload: Buffer): Buffer | undefined {
    if (payload.length < 5) throw new FrameError(`chunk frame of ${payload.length} bytes`);
    const stream = payload.readUInt32BE(0);
    const last = payload.readUInt8(4) === 1;
    const part = payload.subarray(5);
    let entry = this.#streams.get(stream);
    if (!entry) {
      entry = { parts: [], bytes: 0 };
      this.#streams.set(stream, entry);
    }
    entry.parts.push(Buffer.from(part));
    entry.bytes += part.length;
    if (entry.bytes > this.#maxBytes) {
      throw new FrameError(`chunked message over ${this.#maxBytes} bytes; raise maxMessageBytes`);
    }
    if (!last) return undefined;
    this.#streams.delete(stream);
    return Buffer.concat(entry.parts, entry.bytes);
  }
}
