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
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= bytes.length) throw new WireError('truncated varint');
      const b = bytes[pos++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) throw new WireError('varint out of range');
        return result;
      }
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
