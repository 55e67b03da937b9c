import { describe, expect, it } from 'vitest';
import {
  checkKvHistory,
  HistoryRecorder,
  type KvInput,
  type KvOperation,
  type KvOutput,
} from './linearizability/index.ts';
import { createPrng } from './prng.ts';

const NEVER = Number.POSITIVE_INFINITY;
let nextId = 1;

function op(clientId: number, input: KvInput, call: number, ret: number, output?: KvOutput): KvOperation {
  return { id: nextId++, clientId, input, call, return: ret, output };
}
const put = (c: number, key: string, value: string, call: number, ret: number): KvOperation =>
  op(c, { op: 'put', key, value }, call, ret, ret === NEVER ? undefined : { op: 'put' });
const get = (c: number, key: string, value: string | null, call: number, ret: number): KvOperation =>
  op(c, { op: 'get', key }, call, ret, { op: 'get', value });
const cas = (
  c: number,
  key: string,
  expected: string | null,
  value: string,
  ok: boolean,
  call: number,
  ret: number,
): KvOperation => op(c, { op: 'cas', key, expected, value }, call, ret, { op: 'cas', ok });

describe('linearizability checker: histories that are linearizable', () => {
  it('accepts an empty history and a sequential one', () => {
    expect(checkKvHistory([]).kind).toBe('linearizable');
    const result = checkKvHistory([
      get(1, 'x', null, 1, 2),
      put(1, 'x', 'a', 3, 4),
      get(2, 'x', 'a', 5, 6),
      put(2, 'x', 'b', 7, 8),
      get(1, 'x', 'b', 9, 10),
    ]);
    expect(result).toEqual({ kind: 'linearizable', operations: 5, partitions: 1 });
  });

  it('lets a read concurrent with a write see either value, old before new', () => {
    const history = [put(1, 'x', 'a', 1, 10), get(2, 'x', null, 2, 3), get(3, 'x', 'a', 4, 5)];
    expect(checkKvHistory(history).kind).toBe('linearizable');
  });

  it('orders two overlapping writes either way, as long as reads agree on one order', () => {
    const both = [put(1, 'x', 'a', 1, 5), put(2, 'x', 'b', 2, 6)];
    expect(checkKvHistory([...both, get(3, 'x', 'b', 7, 8), get(3, 'x', 'b', 9, 10)]).kind).toBe(
      'linearizable',
    );
    expect(checkKvHistory([...both, get(3, 'x', 'a', 7, 8), get(4, 'x', 'a', 9, 10)]).kind).toBe(
      'linearizable',
    );
  });

  it('treats an unknown-outcome write as possibly applied, at any time after its call', () => {
    const unknownPut = put(1, 'x', 'a', 1, NEVER);
    expect(checkKvHistory([unknownPut, get(2, 'x', null, 2, 3), get(2, 'x', 'a', 50, 51)]).kind).toBe(
      'linearizable',
    );
    // ... or as never applied at all.
    expect(checkKvHistory([unknownPut, get(2, 'x', null, 2, 3), get(2, 'x', null, 50, 51)]).kind).toBe(
      'linearizable',
    );
  });

  it('ignores unknown-outcome reads (they constrain nothing)', () => {
    const lostRead = op(2, { op: 'get', key: 'x' }, 2, NEVER);
    const result = checkKvHistory([put(1, 'x', 'a', 1, 3), lostRead, get(1, 'x', 'a', 4, 5)]);
    expect(result).toEqual({ kind: 'linearizable', operations: 2, partitions: 1 });
  });

  it('checks compare-and-set against the value at its linearization point', () => {
    const history = [
      put(1, 'x', 'a', 1, 2),
      cas(1, 'x', 'a', 'b', true, 3, 4),
      cas(2, 'x', 'a', 'c', false, 5, 6),
      get(2, 'x', 'b', 7, 8),
    ];
    expect(checkKvHistory(history).kind).toBe('linearizable');
  });

  it('accepts a recorder-built history and checks each key on its own', () => {
    const recorder = new HistoryRecorder<KvInput, KvOutput>();
    const w = recorder.invoke(1, { op: 'put', key: 'x', value: '1' });
    const r = recorder.invoke(2, { op: 'get', key: 'y' });
    recorder.complete(r, { op: 'get', value: null });
    recorder.complete(w, { op: 'put' });
    recorder.invoke(3, { op: 'put', key: 'y', value: '2' }); // still open: unknown outcome
    const result = checkKvHistory(recorder.operations());
    expect(result).toEqual({ kind: 'linearizable', operations: 3, partitions: 2 });
  });
});

describe('linearizability checker: histories that are NOT linearizable', () => {
  it('rejects a stale read after a completed write', () => {
    const result = checkKvHistory([put(1, 'x', 'a', 1, 2), put(1, 'x', 'b', 3, 4), get(2, 'x', 'a', 5, 6)]);
    expect(result.kind).toBe('notLinearizable');
    if (result.kind !== 'notLinearizable') return;
    expect(result.partition).toBe('x');
    expect(result.explanation).toContain('get(x) -> "a"');
  });

  it('rejects a lost write (a completed put that a later read does not see)', () => {
    expect(checkKvHistory([put(1, 'x', 'a', 1, 2), get(2, 'x', null, 3, 4)]).kind).toBe('notLinearizable');
  });

  it('rejects a read of a value never written', () => {
    expect(checkKvHistory([put(1, 'x', 'a', 1, 2), get(2, 'x', 'zzz', 3, 4)]).kind).toBe('notLinearizable');
    // Even an unknown-outcome write of another value does not explain it.
    expect(checkKvHistory([put(1, 'x', 'a', 1, NEVER), get(2, 'x', 'b', 3, 4)]).kind).toBe('notLinearizable');
  });

  it('rejects going back in time: new value read, then the old one, during one write', () => {
    const history = [put(1, 'x', 'a', 1, 10), get(2, 'x', 'a', 2, 3), get(3, 'x', null, 4, 5)];
    expect(checkKvHistory(history).kind).toBe('notLinearizable');
  });

  it('rejects readers that disagree on the order of two writes', () => {
    const history = [
      put(1, 'x', 'a', 1, 5),
      put(2, 'x', 'b', 2, 6),
      get(3, 'x', 'b', 7, 8),
      get(3, 'x', 'a', 9, 10),
    ];
    expect(checkKvHistory(history).kind).toBe('notLinearizable');
  });

  it('rejects an unknown-outcome write that appears, vanishes and reappears', () => {
    const history = [
      put(1, 'x', 'a', 1, NEVER),
      get(2, 'x', 'a', 2, 3),
      get(2, 'x', null, 4, 5),
      get(2, 'x', 'a', 6, 7),
    ];
    expect(checkKvHistory(history).kind).toBe('notLinearizable');
  });

  it('rejects two compare-and-sets that both succeed from the same expected value', () => {
    const history = [cas(1, 'x', null, 'a', true, 1, 5), cas(2, 'x', null, 'b', true, 2, 6)];
    expect(checkKvHistory(history).kind).toBe('notLinearizable');
  });

  it('names the failing key and the shortest failing prefix, not the whole history', () => {
    const history: KvOperation[] = [put(1, 'y', 'ok', 1, 2)];
    history.push(put(1, 'x', 'a', 3, 4), get(2, 'x', null, 5, 6)); // the violation
    for (let t = 10; t < 400; t += 4) {
      history.push(put(1, 'x', `v${t}`, t, t + 1), get(2, 'x', `v${t}`, t + 2, t + 3));
    }
    const result = checkKvHistory(history);
    expect(result.kind).toBe('notLinearizable');
    if (result.kind !== 'notLinearizable') return;
    expect(result.partition).toBe('x');
    expect(result.prefix.map((o) => o.call)).toEqual([3, 5]);
    expect(result.explanation).toMatch(/key "x".* 2 operations .*get\(x\) -> nil/);
  });

  it('reports unknown, never a guess, when the search budget runs out', () => {
    // Many overlapping writes and a read of a value nobody wrote: every ordering must be tried.
    const history = Array.from({ length: 12 }, (_, i) => put(i, 'x', `v${i}`, 1 + i, 100 + i));
    history.push(get(99, 'x', 'nobody', 200, 201));
    const result = checkKvHistory(history, { maxStepsPerPartition: 1000 });
    expect(result.kind).toBe('unknown');
    expect(checkKvHistory(history).kind).toBe('notLinearizable');
  });
});

/**
 * A linearizable history by construction: each operation takes effect at a random instant
 * between its call and its return, and outputs are computed by applying them in that order.
 */
function generateHistory(
  seed: number,
  count: number,
  keys: number,
  clients: number,
  unknownWrites = 0,
): KvOperation[] {
  const prng = createPrng(seed);
  const planned: { client: number; input: KvInput; call: number; at: number; ret: number; lost: boolean }[] =
    [];
  const perClient = Math.ceil(count / clients);
  for (let client = 0; client < clients; client++) {
    let time = prng.float();
    for (let i = 0; i < perClient && planned.length < count; i++) {
      const call = time + prng.float();
      const at = call + prng.float() * 3;
      const ret = at + prng.float() * 3;
      time = ret;
      const key = `k${prng.int(0, keys - 1)}`;
      const roll = prng.float();
      const input: KvInput =
        roll < 0.45
          ? { op: 'put', key, value: `c${client}-${i}` }
          : roll < 0.9
            ? { op: 'get', key }
            : {
                op: 'cas',
                key,
                expected: prng.chance(0.5) ? null : `c${prng.int(0, clients - 1)}-${i}`,
                value: `x${client}-${i}`,
              };
      // An unknown-outcome write: the client gave up; it took effect or not, at random.
      const lost = input.op !== 'get' && prng.chance(unknownWrites);
      planned.push({ client, input, call, at: lost && prng.chance(0.5) ? Number.NaN : at, ret, lost });
    }
  }
  const state = new Map<string, string>();
  const outputs = new Map<(typeof planned)[number], KvOutput>();
  for (const p of planned.filter((q) => !Number.isNaN(q.at)).sort((a, b) => a.at - b.at)) {
    const current = state.get(p.input.key) ?? null;
    if (p.input.op === 'put') {
      state.set(p.input.key, p.input.value);
      outputs.set(p, { op: 'put' });
    } else if (p.input.op === 'get') {
      outputs.set(p, { op: 'get', value: current });
    } else {
      const ok = current === p.input.expected;
      if (ok) state.set(p.input.key, p.input.value);
      outputs.set(p, { op: 'cas', ok });
    }
  }
  return planned.map((p, i) => ({
    id: i + 1,
    clientId: p.client,
    input: p.input,
    call: p.call,
    return: p.lost ? NEVER : p.ret,
    output: p.lost ? undefined : outputs.get(p),
  }));
}

describe('linearizability checker: generated histories', () => {
  it('accepts every history generated from a real linearization (20 seeds)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      expect(checkKvHistory(generateHistory(seed, 300, 3, 6)).kind, `seed ${seed}`).toBe('linearizable');
      expect(checkKvHistory(generateHistory(seed, 300, 3, 6, 0.1)).kind, `seed ${seed}`).toBe('linearizable');
    }
  });

  it('rejects the same histories once one read returns a value never written', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const history = generateHistory(seed, 300, 3, 6);
      const victim = history.findIndex((o) => o.input.op === 'get');
      const original = history[victim] as KvOperation;
      history[victim] = { ...original, output: { op: 'get', value: 'never-written' } };
      const result = checkKvHistory(history);
      expect(result.kind, `seed ${seed}`).toBe('notLinearizable');
      if (result.kind === 'notLinearizable') expect(result.partition).toBe(original.input.key);
    }
  });

  it('checks a 5,000-operation history over 10 keys in well under a second', () => {
    const history = generateHistory(42, 5000, 10, 8);
    const started = performance.now();
    const result = checkKvHistory(history);
    const elapsed = performance.now() - started;
    expect(result).toEqual({ kind: 'linearizable', operations: 5000, partitions: 10 });
    console.log(`linearizability: 5,000 ops / 10 keys / 8 clients checked in ${elapsed.toFixed(1)} ms`);
    expect(elapsed).toBeLessThan(1000);

    // With 5% of writes timing out (unknown outcome, concurrent with everything after them).
    const withUnknown = generateHistory(43, 5000, 10, 8, 0.05);
    const t1 = performance.now();
    expect(checkKvHistory(withUnknown).kind).toBe('linearizable');
    const elapsedUnknown = performance.now() - t1;
    console.log(`linearizability: same with 5% unknown-outcome writes in ${elapsedUnknown.toFixed(1)} ms`);
    expect(elapsedUnknown).toBeLessThan(1000);

    // A stale read near the end of the same history is found about as fast.
    const stale = [...history];
    const lastGet = stale.findLastIndex(
      (o) => o.input.op === 'get' && o.output?.op === 'get' && o.output.value,
    );
    const victim = stale[lastGet] as KvOperation;
    const firstPut = stale.find(
      (o) => o.input.op === 'put' && o.input.key === victim.input.key,
    ) as KvOperation;
    if (firstPut.input.op !== 'put') throw new Error('unreachable');
    stale[lastGet] = { ...victim, output: { op: 'get', value: firstPut.input.value } };
    const t2 = performance.now();
    expect(checkKvHistory(stale).kind).toBe('notLinearizable');
    expect(performance.now() - t2).toBeLessThan(1000);
  });
});
