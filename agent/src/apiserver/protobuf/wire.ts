/**
 * The protobuf wire format, reading only: varints, fixed 32/64-bit values and length-delimited
 * fields. Enough to decode the few Kubernetes messages kubectl >= 1.33 sends as protobuf.
 */

export type WireValue =
  | { readonly wire: 0; readonly value: number }
  | { readonly wire: 1 | 5; readonly value: Uint8Array }
  | { readonly wire: 2; readonly value: Uint8Array };

export interface WireField {
  readonly field: number;
  readonly data: WireValue;
}

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

/** Splits one message into its fields, in order. */
export function readFields(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let pos = 0;
  const varint = (): number => {
    const start = pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= bytes.length) throw new WireError('truncated varint');
      const b = bytes[pos++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0)
        return Number.isSafeInteger(result) ? result : signed64(bytes.subarray(start, pos));
      scale *= 128;
    }
    throw new WireError('varint longer than 10 bytes');
  };
  const take = (n: number): Uint8Array => {
    if (n < 0 || pos + n > bytes.length) throw new WireError('truncated field');
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  while (pos < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0) throw new WireError('field number 0');
    switch (wire) {
      case 0:
        fields.push({ field, data: { wire: 0, value: varint() } });
        break;
      case 1:
        fields.push({ field, data: { wire: 1, value: take(8) } });
        break;
      case 2:
        fields.push({ field, data: { wire: 2, value: take(varint()) } });
        break;
      case 5:
        fields.push({ field, data: { wire: 5, value: take(4) } });
        break;
      default:
        throw new WireError(`unsupported wire type ${wire}`);
    }
  }
  return fields;
}

/**
 * A varint beyond 2^53: Go writes a negative int32/int64 (priority: -10, maxSkew: -1) as its 64-bit
 * two's complement, ten bytes long. Anything else that large is out of range for a JSON number.
 */
function signed64(varintBytes: Uint8Array): number {
  let v = 0n;
  for (let i = varintBytes.length - 1; i >= 0; i--) v = (v << 7n) | BigInt(varintBytes[i]! & 0x7f);
  const signed = BigInt.asIntN(64, v);
  if (signed < BigInt(Number.MIN_SAFE_INTEGER) || signed > BigInt(Number.MAX_SAFE_INTEGER))
    throw new WireError('varint out of range');
  return Number(signed);
}
