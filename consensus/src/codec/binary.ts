// Little-endian binary encoding shared by the WAL and the transports. The writer grows one Buffer
// and is meant to be reused (reset) so that hot paths allocate nothing per record; the reader checks
// every bound and reports truncated or malformed input as ConsensusError('Corrupt').

import { ConsensusError } from '../types.ts';

/** Appends values to a growable Buffer. `bytes()` views stay valid only until the next write or reset. */
export class BinaryWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialCapacity = 4096) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Bytes allocated, for callers that shrink a writer after an unusually large use. */
  get capacity(): number {
    return this.buf.length;
  }

  /** Forgets the contents but keeps the capacity, so a reused writer stops allocating. */
  reset(): void {
    this.pos = 0;
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  uint8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** Unsigned LEB128 of a non-negative safe integer (up to 2^53 - 1, 8 bytes at most). */
  uvarint(v: number): void {
    this.ensure(8);
    const b = this.buf;
    let p = this.pos;
    if (v < 0x8000_0000) {
      while (v >= 0x80) {
        b[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
    } else {
      if (!Number.isSafeInteger(v)) throw new RangeError(`uvarint: ${v} is not a non-negative safe integer`);
      while (v >= 0x80) {
        b[p++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
    }
    if (v < 0) throw new RangeError(`uvarint: ${v} is negative`);
    b[p++] = v;
    this.pos = p;
  }

  uint32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  /** Overwrites a uint32 written earlier (e.g. a length or checksum reserved with skip). */
  uint32At(offset: number, v: number): void {
    this.buf.writeUInt32LE(v >>> 0, offset);
  }

  float64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** Reserves n bytes to be filled in later; returns their offset. */
  skip(n: number): number {
    this.ensure(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** Length-prefixed (uvarint) bytes. */
  bytes(v: Uint8Array): void {
    this.uvarint(v.length);
    this.raw(v);
  }

  /** Bytes without a length prefix. */
  raw(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** Length-prefixed UTF-8. */
  string(v: string): void {
    const n = Buffer.byteLength(v, 'utf8');
    this.uvarint(n);
    this.ensure(n);
    this.pos += this.buf.write(v, this.pos, n, 'utf8');
  }

  /** The underlying buffer (bytes [0, length) are written); valid until the next write or reset. */
  get buffer(): Buffer {
    return this.buf;
  }

  /** A view of everything written; valid until the next write or reset. */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** A view of [start, end) of what was written (for checksums over a part). */
  slice(start: number, end: number = this.pos): Buffer {
    return this.buf.subarray(start, end);
  }

  /** A copy of everything written, safe to keep after the writer is reused. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

/** Reads values written by BinaryWriter from data[start, end), checking every bound. */
export class BinaryReader {
  private readonly data: Uint8Array;
  private end: number;
  private pos: number;
  private dv: DataView | undefined;
  /** What is being read, for error messages ("WAL record", "message from 3"). */
  private readonly what: string;

  constructor(data: Uint8Array, start = 0, end: number = data.length, what = 'input') {
    if (start < 0 || end > data.length || start > end) {
      throw new RangeError(`BinaryReader: bad range [${start}, ${end}) of ${data.length} bytes`);
    }
    this.data = data;
    this.pos = start;
    this.end = end;
    this.what = what;
  }

  /** Moves the reader to data[start, end) of the same input, so one reader serves many records. */
  window(start: number, end: number): void {
    if (start < 0 || end > this.data.length || start > end) {
      throw new RangeError(`BinaryReader: bad window [${start}, ${end}) of ${this.data.length} bytes`);
    }
    this.pos = start;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, field: string): void {
    if (this.end - this.pos < n) {
      throw new ConsensusError(
        'Corrupt',
        `${this.what} is truncated: reading ${field} at byte ${this.pos} needs ${n} bytes, ${this.end - this.pos} left`,
      );
    }
  }

  uint8(): number {
    this.need(1, 'uint8');
    return this.data[this.pos++]!;
  }

  uvarint(): number {
    const d = this.data;
    let p = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (p >= this.end) {
        this.need(p - this.pos + 1, 'uvarint');
      }
      const b = d[p++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) break;
        this.pos = p;
        return result;
      }
      mul *= 0x80;
    }
    throw new ConsensusError('Corrupt', `${this.what} has an overlong uvarint at byte ${this.pos}`);
  }

  uint32(): number {
    this.need(4, 'uint32');
    const d = this.data;
    const p = this.pos;
    this.pos = p + 4;
    return (d[p]! | (d[p + 1]! << 8) | (d[p + 2]! << 16)) + d[p + 3]! * 0x100_0000;
  }

  float64(): number {
    this.need(8, 'float64');
    this.dv ??= new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Length-prefixed bytes, as a view into the input (no copy): copy it if the input is reused. */
  bytes(): Uint8Array {
    const n = this.uvarint();
    return this.raw(n);
  }

  /** n bytes without a prefix, as a view into the input. */
  raw(n: number): Uint8Array {
    this.need(n, 'bytes');
    const v = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  string(): string {
    const n = this.uvarint();
    this.need(n, 'string');
    const s = Buffer.from(this.data.buffer, this.data.byteOffset + this.pos, n).toString('utf8');
    this.pos += n;
    return s;
  }

  /** Throws unless everything was read: trailing bytes mean a format mismatch. */
  expectEnd(): void {
    if (this.pos !== this.end) {
      throw new ConsensusError(
        'Corrupt',
        `${this.what} has ${this.end - this.pos} unexpected trailing bytes at byte ${this.pos}`,
      );
    }
  }
}
