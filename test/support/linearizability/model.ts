// Sequential specifications for the checker. A model says, for one state and one operation with
// its observed output, whether that output is legal and what the state becomes.

import type { Operation } from './history.ts';

export interface Model<State, Input, Output> {
  /** The state before any operation. */
  init(): State;
  /**
   * Applies `input` to `state`. Returns the next state when `output` is what the sequential
   * object would answer, or NOT_LEGAL. An undefined output (unknown outcome) accepts any answer.
   */
  step(state: State, input: Input, output: Output | undefined): State | typeof NOT_LEGAL;
  equal(a: State, b: State): boolean;
  hash(state: State): number;
  /**
   * Splits a history into independent sub-histories (P-compositionality): the whole is
   * linearizable iff every part is. The default is one part.
   */
  partition?(operations: readonly Operation<Input, Output>[]): Map<string, Operation<Input, Output>[]>;
  /** Whether an operation can be left out entirely (an unknown-outcome read constrains nothing). */
  irrelevant?(operation: Operation<Input, Output>): boolean;
  /** One line for explanations: "put(x, 1) -> ok". */
  describe(input: Input, output: Output | undefined): string;
}

export const NOT_LEGAL: unique symbol = Symbol('not legal');

/** A key/value map operation. `null` stands for "no value" (a get of a missing key). */
export type KvInput =
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string };

export type KvOutput =
  | { readonly op: 'put' }
  | { readonly op: 'get'; readonly value: string | null }
  | { readonly op: 'cas'; readonly ok: boolean };

export type KvOperation = Operation<KvInput, KvOutput>;

/** FNV-1a of a string, for model-state hashing. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

const show = (value: string | null): string => (value === null ? 'nil' : JSON.stringify(value));

/**
 * A map of registers, checked one key at a time: each partition's state is one register's value.
 * put(k, v); get(k) -> v | null; cas(k, expected, v) -> ok (sets v only if the value is expected).
 */
export const kvModel: Model<string | null, KvInput, KvOutput> = {
  init: () => null,
  step(state, input, output) {
    switch (input.op) {
      case 'put':
        return input.value;
      case 'get':
        if (output === undefined) return state;
        return output.op === 'get' && output.value === state ? state : NOT_LEGAL;
      case 'cas': {
        const matches = state === input.expected;
        if (output !== undefined && (output.op !== 'cas' || output.ok !== matches)) return NOT_LEGAL;
        return matches ? input.value : state;
      }
    }
  },
  equal: (a, b) => a === b,
  hash: (state) => (state === null ? 0x9e3779b9 : hashString(state)),
  partition(operations) {
    const byKey = new Map<string, KvOperation[]>();
    for (const operation of operations) {
      const part = byKey.get(operation.input.key);
      if (part === undefined) byKey.set(operation.input.key, [operation]);
      else part.push(operation);
    }
    return byKey;
  },
  irrelevant: (operation) => operation.input.op === 'get' && operation.output === undefined,
  describe(input, output) {
    const call =
      input.op === 'put'
        ? `put(${input.key}, ${show(input.value)})`
        : input.op === 'get'
          ? `get(${input.key})`
          : `cas(${input.key}, ${show(input.expected)}, ${show(input.value)})`;
    if (output === undefined) return `${call} -> ?`;
    if (output.op === 'get') return `${call} -> ${show(output.value)}`;
    if (output.op === 'cas') return `${call} -> ${output.ok ? 'ok' : 'failed'}`;
    return `${call} -> ok`;
  },
};
