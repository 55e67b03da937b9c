// Checks a whole history: drops operations that constrain nothing, splits the rest by key
// (P-compositionality), searches each part, and for a failing part finds the shortest failing
// prefix of its events so that the explanation shows only what matters.

import type { Operation } from './history.ts';
import { type KvInput, type KvOutput, kvModel, type Model } from './model.ts';
import { searchLinearization } from './search.ts';

export type LinearizabilityResult<I, O> =
  | { readonly kind: 'linearizable'; readonly operations: number; readonly partitions: number }
  | {
      readonly kind: 'notLinearizable';
      /** The partition (key) that fails. */
      readonly partition: string;
      /** The operations of the shortest failing prefix of that partition's history. */
      readonly prefix: readonly Operation<I, O>[];
      readonly explanation: string;
    }
  | { readonly kind: 'unknown'; readonly partition: string; readonly explanation: string };

export interface CheckOptions {
  /** Search steps allowed per partition before giving up with 'unknown'. */
  readonly maxStepsPerPartition?: number;
  /** How many operations of the failing prefix the explanation lists. */
  readonly explainLast?: number;
}

const DEFAULT_MAX_STEPS = 20_000_000;

/** Checks `operations` against `model`; see LinearizabilityResult. */
export function checkLinearizability<S, I, O>(
  model: Model<S, I, O>,
  operations: readonly Operation<I, O>[],
  options: CheckOptions = {},
): LinearizabilityResult<I, O> {
  const maxSteps = options.maxStepsPerPartition ?? DEFAULT_MAX_STEPS;
  const relevant = operations.filter((operation) => !(model.irrelevant?.(operation) ?? false));
  for (const operation of relevant) {
    if (operation.return < operation.call) {
      throw new Error(`history: operation ${operation.id} returns (${operation.return}) before its call`);
    }
  }
  const parts = model.partition?.(relevant) ?? new Map([['', [...relevant]]]);
  // Smaller parts first: a failure in a small part is found (and explained) fastest.
  const ordered = [...parts].sort((a, b) => a[1].length - b[1].length);
  for (const [partition, part] of ordered) {
    const outcome = searchLinearization(model, part, maxSteps);
    if (outcome === 'budgetExhausted') {
      return {
        kind: 'unknown',
        partition,
        explanation: `partition ${JSON.stringify(partition)} (${part.length} ops): search gave up after ${maxSteps} steps; the history is too concurrent to decide — shorten it or raise maxStepsPerPartition`,
      };
    }
    if (outcome === 'notLinearizable') {
      const prefix = shortestFailingPrefix(model, part, maxSteps);
      return {
        kind: 'notLinearizable',
        partition,
        prefix,
        explanation: explain(model, partition, prefix, options.explainLast ?? 12),
      };
    }
  }
  return { kind: 'linearizable', operations: relevant.length, partitions: parts.size };
}

/** Checks a key/value history (put/get/cas per key). */
export function checkKvHistory(
  operations: readonly Operation<KvInput, KvOutput>[],
  options: CheckOptions = {},
): LinearizabilityResult<KvInput, KvOutput> {
  return checkLinearizability(kvModel, operations, options);
}

/**
 * The history cut after its first `events` call/return events: an operation whose return falls
 * after the cut becomes an unknown outcome (it may or may not have taken effect).
 */
function cutAfter<I, O>(operations: readonly Operation<I, O>[], times: readonly number[], events: number) {
  const cutTime = times[events - 1] ?? Number.NEGATIVE_INFINITY;
  const cut: Operation<I, O>[] = [];
  for (const operation of operations) {
    if (operation.call > cutTime) continue;
    cut.push(
      operation.return <= cutTime
        ? operation
        : { ...operation, return: Number.POSITIVE_INFINITY, output: undefined },
    );
  }
  return cut;
}

/**
 * Linearizability is prefix-closed, so "prefix of n events fails" is monotone in n and a binary
 * search finds the shortest failing prefix. Its last event is the return that cannot be explained.
 */
function shortestFailingPrefix<S, I, O>(
  model: Model<S, I, O>,
  operations: readonly Operation<I, O>[],
  maxSteps: number,
): Operation<I, O>[] {
  const times = operations
    .flatMap((operation) => [operation.call, operation.return])
    .filter((time) => Number.isFinite(time))
    .sort((a, b) => a - b);
  let lo = 1;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const cut = cutAfter(operations, times, mid).filter((op) => !(model.irrelevant?.(op) ?? false));
    if (searchLinearization(model, cut, maxSteps) === 'notLinearizable') hi = mid;
    else lo = mid + 1;
  }
  return cutAfter(operations, times, lo).filter((op) => !(model.irrelevant?.(op) ?? false));
}

function explain<S, I, O>(
  model: Model<S, I, O>,
  partition: string,
  prefix: readonly Operation<I, O>[],
  last: number,
): string {
  const lastReturn = Math.max(...prefix.map((op) => (Number.isFinite(op.return) ? op.return : -1)));
  const culprit = prefix.find((op) => op.return === lastReturn);
  const time = (t: number): string => (Number.isFinite(t) ? String(t) : 'never');
  const shown = prefix.slice(-last);
  const lines = shown.map(
    (op) =>
      `  #${op.id} client ${op.clientId} [${op.call}, ${time(op.return)}] ${model.describe(op.input, op.output)}`,
  );
  const skipped = prefix.length - shown.length;
  return [
    `not linearizable on key ${JSON.stringify(partition)}: the shortest failing prefix has ${prefix.length} operations` +
      (culprit
        ? ` and ends when #${culprit.id} (${model.describe(culprit.input, culprit.output)}) returned`
        : ''),
    ...(skipped > 0 ? [`  ... ${skipped} earlier operations`] : []),
    ...lines,
  ].join('\n');
}
