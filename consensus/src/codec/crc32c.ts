// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of iSCSI, ext4 and etcd's WAL.
// Slicing-by-8: eight 256-entry tables let the loop consume eight bytes per step with independent
// lookups, about 4x faster in V8 than the byte-at-a-time loop.

const POLY = 0x82f63b78;

/** Eight tables of 256 entries, laid out flat: table k starts at k * 256. */
const TABLES: Uint32Array = buildTables();

function buildTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = (c >>> 8) ^ t[c & 0xff]!;
      t[k * 256 + n] = c >>> 0;
    }
  }
  return t;
}

/**
 * CRC-32C of data[start, end). Pass a previous result as `crc` to continue a checksum over
 * several pieces: crc32c(b, 0, b.length, crc32c(a)) === crc32c(a ++ b).
 */
export function crc32c(data: Uint8Array, start = 0, end: number = data.length, crc = 0): number {
  const t = TABLES;
  let c = ~crc;
  let i = start;
  const body = end - ((end - i) & 7);
  while (i < body) {
    c ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    c =
      t[1792 + (c & 0xff)]! ^
      t[1536 + ((c >>> 8) & 0xff)]! ^
      t[1280 + ((c >>> 16) & 0xff)]! ^
      t[1024 + (c >>> 24)]! ^
      t[768 + data[i + 4]!]! ^
      t[512 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
    i += 8;
  }
  while (i < end) {
    c = (c >>> 8) ^ t[(c ^ data[i]!) & 0xff]!;
    i++;
  }
  return ~c >>> 0;
}
