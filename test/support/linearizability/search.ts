// Wing & Gong's search for a linearization of one (sub-)history, with the optimisations of Lowe
// ("Testing for linearizability", 2017) as implemented by Porcupine:
// - the history is a doubly linked list of call/return events in time order; linearizing an
//   operation lifts its call and return out of the list, backtracking puts them back;
// - a cache of (set of linearized operations, model state) pairs already explored prunes the
//   search: reaching the same pair again cannot lead anywhere new.
// The set is a bitset; its cache key is a Zobrist hash (XOR of one random word per operation),
// updated in O(1) as operations are linearized and undone.

import type { Operation } from './history.ts';
import { type Model, NOT_LEGAL } from './model.ts';

export type SearchOutcome = 'linearizable' | 'notLinearizable' | 'budgetExhausted';

interface Event {
  readonly operation: number;
  readonly isCall: boolean;
  /** For a call: its return event. */
  match: Event | undefined;
  prev: Event | undefined;
  next: Event | undefined;
}

/** Builds the event list: sorted by time, calls before returns at equal times (so they overlap). */
function buildEventList<I, O>(operations: readonly Operation<I, O>[]): Event {
  const points: { time: number; isCall: boolean; operation: number }[] = [];
  operations.forEach((operation, index) => {
    points.push({ time: operation.call, isCall: true, operation: index });
    points.push({ time: operation.return, isCall: false, operation: index });
  });
  points.sort((a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall));
  const head: Event = { operation: -1, isCall: false, match: undefined, prev: undefined, next: undefined };
  const calls = new Map<number, Event>();
  let last = head;
  for (const point of points) {
    const event: Event = {
      operation: point.operation,
      isCall: point.isCall,
      match: undefined,
      prev: last,
      next: undefined,
    };
    if (point.isCall) calls.set(point.operation, event);
    else (calls.get(point.operation) as Event).match = event;
    last.next = event;
    last = event;
  }
  return head;
}

function lift(call: Event): void {
  (call.prev as Event).next = call.next;
  (call.next as Event).prev = call.prev;
  const ret = call.match as Event;
  (ret.prev as Event).next = ret.next;
  if (ret.next !== undefined) ret.next.prev = ret.prev;
}

function unlift(call: Event): void {
  const ret = call.match as Event;
  (ret.prev as Event).next = ret;
  if (ret.next !== undefined) ret.next.prev = ret;
  (call.prev as Event).next = call;
  (call.next as Event).prev = call;
}

/** splitmix32 step, for the per-operation Zobrist words (fixed, so results are reproducible). */
function zobristWords(count: number): Uint32Array {
  const words = new Uint32Array(count);
  let state = 0x2545f491;
  for (let i = 0; i < count; i++) {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    words[i] = (z ^ (z >>> 16)) >>> 0;
  }
  return words;
}

interface CacheEntry<S> {
  readonly bits: Uint32Array;
  readonly state: S;
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Searches for a linearization of `operations` against `model`. `maxSteps` bounds the work
 * (the problem is NP-complete); exceeding it gives 'budgetExhausted', never a guess.
 */
export function searchLinearization<S, I, O>(
  model: Model<S, I, O>,
  operations: readonly Operation<I, O>[],
  maxSteps: number,
): SearchOutcome {
  const head = buildEventList(operations);
  const zobrist = zobristWords(operations.length);
  const bits = new Uint32Array(Math.ceil(operations.length / 32));
  let setHash = 0;
  const cache = new Map<number, CacheEntry<S>[]>();
  const stack: { call: Event; state: S }[] = [];
  let state = model.init();
  let entry = head.next;
  let steps = 0;

  const flip = (index: number): void => {
    bits[index >>> 5] = ((bits[index >>> 5] as number) ^ (1 << (index & 31))) >>> 0;
    setHash = (setHash ^ (zobrist[index] as number)) >>> 0;
  };

  /** Adds (bits, next) to the cache; false if it was already there. */
  const remember = (next: S): boolean => {
    const key = (setHash ^ Math.imul(model.hash(next), 0x27d4eb2d)) >>> 0;
    const bucket = cache.get(key);
    if (bucket === undefined) {
      cache.set(key, [{ bits: bits.slice(), state: next }]);
      return true;
    }
    for (const seen of bucket) if (sameBits(seen.bits, bits) && model.equal(seen.state, next)) return false;
    bucket.push({ bits: bits.slice(), state: next });
    return true;
  };

  while (head.next !== undefined) {
    if (++steps > maxSteps) return 'budgetExhausted';
    const current = entry as Event;
    if (current.isCall) {
      const operation = operations[current.operation] as Operation<I, O>;
      const next = model.step(state, operation.input, operation.output);
      if (next !== NOT_LEGAL) {
        flip(current.operation);
        if (remember(next)) {
          stack.push({ call: current, state });
          state = next;
          lift(current);
          entry = head.next;
          continue;
        }
        flip(current.operation);
      }
      entry = current.next;
    } else {
      // A return: the operation it ends cannot be linearized later than here, so this branch is dead.
      const top = stack.pop();
      if (top === undefined) return 'notLinearizable';
      state = top.state;
      flip(top.call.operation);
      unlift(top.call);
      entry = top.call.next;
    }
  }
  return 'linearizable';
}
