// The replicated state machine the simulated clients use: a string map with put and get, applied
// from the log. Each command carries its client's id and sequence number and is applied at most
// once (a Raft client session, dissertation §6.3), because a proposal forwarded over a network
// that duplicates messages can be appended twice.

import type { Entry } from '../../../consensus/src/types.ts';
import type { KvOutput } from '../../support/linearizability/index.ts';

export type KvCommand =
  | {
      readonly client: number;
      readonly seq: number;
      readonly op: 'put';
      readonly key: string;
      readonly value: string;
    }
  | { readonly client: number; readonly seq: number; readonly op: 'get'; readonly key: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const commandId = (command: { client: number; seq: number }): string =>
  `${command.client}:${command.seq}`;

export function encodeCommand(command: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

export function decodeCommand(data: Uint8Array): KvCommand {
  return JSON.parse(decoder.decode(data)) as KvCommand;
}

interface Image {
  readonly values: [string, string][];
  readonly results: [string, KvOutput][];
}

export class KvStateMachine {
  readonly #values: Map<string, string>;
  /** The first result of every command applied, so a duplicate gets the same answer. */
  readonly #results: Map<string, KvOutput>;

  constructor(image?: Image) {
    this.#values = new Map(image?.values);
    this.#results = new Map(image?.results);
  }

  static restore(data: Uint8Array): KvStateMachine {
    return data.byteLength === 0
      ? new KvStateMachine()
      : new KvStateMachine(JSON.parse(decoder.decode(data)) as Image);
  }

  /** Applies one committed normal entry; undefined for an empty entry (a new leader's no-op). */
  apply(entry: Entry): { id: string; output: KvOutput } | undefined {
    if (entry.data.byteLength === 0) return undefined;
    const command = decodeCommand(entry.data);
    const id = commandId(command);
    const seen = this.#results.get(id);
    if (seen !== undefined) return { id, output: seen };
    let output: KvOutput;
    if (command.op === 'put') {
      this.#values.set(command.key, command.value);
      output = { op: 'put' };
    } else {
      output = { op: 'get', value: this.#values.get(command.key) ?? null };
    }
    this.#results.set(id, output);
    return { id, output };
  }

  get(key: string): string | null {
    return this.#values.get(key) ?? null;
  }

  snapshot(): Uint8Array {
    const image: Image = { values: [...this.#values], results: [...this.#results] };
    return encoder.encode(JSON.stringify(image));
  }
}
