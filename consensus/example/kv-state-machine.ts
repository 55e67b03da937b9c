// A key-value map as a Raft state machine: the example that tests and benchmarks replicate.
// Command: [u8 op][string key][bytes value]. Result of a put: the log index it was applied at.

import { BinaryReader, BinaryWriter } from '../src/codec/binary.ts';
import type { Entry, StateMachine } from '../src/types.ts';

const OP_PUT = 1;
const OP_DELETE = 2;

export function encodePut(key: string, value: Uint8Array): Uint8Array {
  const w = new BinaryWriter(key.length + value.length + 16);
  w.uint8(OP_PUT);
  w.string(key);
  w.bytes(value);
  return w.toBuffer();
}

export function encodeDelete(key: string): Uint8Array {
  const w = new BinaryWriter(key.length + 8);
  w.uint8(OP_DELETE);
  w.string(key);
  return w.toBuffer();
}

export interface KvStateMachine extends StateMachine<number> {
  get(key: string): Uint8Array | undefined;
  readonly size: number;
}

export function createKvStateMachine(): KvStateMachine {
  let map = new Map<string, Uint8Array>();
  return {
    get: (key) => map.get(key),
    get size() {
      return map.size;
    },
    apply(entries: readonly Entry[]) {
      return entries.map((entry) => {
        const r = new BinaryReader(entry.data, 0, entry.data.length, `kv command at ${entry.index}`);
        const op = r.uint8();
        const key = r.string();
        if (op === OP_PUT) map.set(key, Uint8Array.prototype.slice.call(r.bytes()));
        else if (op === OP_DELETE) map.delete(key);
        return entry.index;
      });
    },
    snapshot() {
      const w = new BinaryWriter(64 * 1024);
      w.uvarint(map.size);
      for (const [key, value] of map) {
        w.string(key);
        w.bytes(value);
      }
      return w.toBuffer();
    },
    restore(data: Uint8Array) {
      const r = new BinaryReader(data, 0, data.length, 'kv snapshot');
      const next = new Map<string, Uint8Array>();
      const n = r.uvarint();
      for (let i = 0; i < n; i++) next.set(r.string(), Uint8Array.prototype.slice.call(r.bytes()));
      r.expectEnd();
      map = next;
    },
  };
}
