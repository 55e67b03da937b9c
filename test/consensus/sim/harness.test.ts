// The harness must be able to fail: its invariant checks catch each kind of violation, a seed
// replays exactly, and deliberately broken drivers are caught by the sweep.
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../consensus/src/types.ts';
import { createPrng } from '../../support/prng.ts';
import { InvariantChecker, InvariantViolation } from './invariants.ts';
import { clusterShape, runSimulation, type SimulationOptions } from './simulation.ts';

const entry = (index: number, term: number, text = `e${index}`): Entry => ({
  index,
  term,
  type: 'normal',
  data: new TextEncoder().encode(text),
});

function violation(action: () => void): string {
  try {
    action();
  } catch (error) {
    if (error instanceof InvariantViolation) return error.kind;
    throw error;
  }
  return 'none';
}

describe('invariant checker', () => {
  it('catches two leaders in one term, but not one leader per term', () => {
    const checker = new InvariantChecker();
    checker.observeLeader(1, 2);
    checker.observeLeader(2, 3);
    checker.observeLeader(2, 3);
    expect(violation(() => checker.observeLeader(3, 3))).toBe('electionSafety');
  });

  it('catches two different entries applied at one index', () => {
    const checker = new InvariantChecker();
    checker.observeApplied(1, 1, [entry(1, 1), entry(2, 1)]);
    checker.observeApplied(2, 1, [entry(1, 1)]);
    expect(violation(() => checker.observeApplied(2, 1, [entry(2, 2)]))).toBe('stateMachineSafety');
  });

  it('catches apply gaps and repeats; a restart starts again from its snapshot', () => {
    const checker = new InvariantChecker();
    checker.observeApplied(1, 1, [entry(1, 1)]);
    expect(violation(() => checker.observeApplied(1, 1, [entry(3, 1)]))).toBe('applyOrder');
    const other = new InvariantChecker();
    other.observeApplied(1, 1, [entry(1, 1), entry(2, 1)]);
    expect(violation(() => other.observeApplied(1, 1, [entry(2, 1)]))).toBe('applyOrder');
    other.observeRestart(1, 2, 1);
    expect(violation(() => other.observeApplied(1, 2, [entry(2, 1)]))).toBe('none');
    expect(violation(() => other.observeSnapshotApplied(1, 2, 1, 1))).toBe('applyOrder');
  });

  it('catches a commit index that goes down while the node runs, not across a restart', () => {
    const checker = new InvariantChecker();
    checker.observeCommit(1, 1, 5);
    expect(violation(() => checker.observeCommit(1, 2, 3))).toBe('none');
    expect(violation(() => checker.observeCommit(1, 2, 2))).toBe('commitRegressed');
  });

  it('catches one (index, term) holding two different entries', () => {
    const checker = new InvariantChecker();
    checker.observePersisted(1, [entry(1, 1, 'x')]);
    expect(violation(() => checker.observePersisted(2, [entry(1, 1, 'y')]))).toBe('logMatching');
  });

  it('scans logs: divergent prefixes under a shared (index, term), and committed entries rewritten', () => {
    const checker = new InvariantChecker();
    const a = { nodeId: 1, commit: 0, entries: [entry(1, 1, 'x'), entry(2, 2)] };
    const b = { nodeId: 2, commit: 0, entries: [entry(1, 1, 'y'), entry(2, 2)] };
    expect(violation(() => checker.checkLogs([a, b]))).toBe('logMatching');
    // Diverging after the last shared term is allowed (an uncommitted suffix to be overwritten).
    const c = { nodeId: 3, commit: 0, entries: [entry(1, 1, 'x'), entry(2, 3)] };
    expect(violation(() => checker.checkLogs([a, c]))).toBe('none');
    checker.observeApplied(1, 1, [entry(1, 1, 'x')]);
    const rewritten = { nodeId: 4, commit: 1, entries: [entry(1, 1, 'z')] };
    expect(violation(() => checker.checkLogs([rewritten]))).toBe('committedPrefix');
  });
});

describe('simulation harness', () => {
  const options = (seed: number): SimulationOptions => ({
    seed,
    faultMs: 15_000,
    livenessMs: 30_000,
    clients: 4,
    membershipChanges: true,
  });

  it('replays a seed exactly', () => {
    const first = runSimulation(options(7));
    const second = runSimulation(options(7));
    expect(second.trace).toEqual(first.trace);
    expect(second.stats).toEqual(first.stats);
    expect(first.stats.operations).toBeGreaterThan(50);
    expect(first.trace.some((line) => line.includes('crash') || line.includes('partition'))).toBe(true);
  });

  it('catches a driver that never fsyncs (acknowledged votes and entries lost in crashes)', () => {
    const failures = [];
    for (let seed = 1; seed <= 8; seed++) {
      const shape = { ...clusterShape(createPrng(seed).fork('shape')), unsafeSkipFsync: true };
      const report = runSimulation({ ...options(seed), nemesis: 'crashes' }, shape);
      if (report.failure?.startsWith('invariant')) failures.push(report.seed);
    }
    expect(failures.length).toBeGreaterThan(1);
  });

  it('catches a driver that serves reads from local state without ReadIndex (stale reads)', () => {
    const failures = [];
    for (let seed = 1; seed <= 12; seed++) {
      const shape = { ...clusterShape(createPrng(seed).fork('shape')), unsafeLocalReads: true };
      const report = runSimulation(options(seed), shape);
      if (report.failure?.startsWith('linearizability: not linearizable')) failures.push(report.seed);
    }
    expect(failures.length).toBeGreaterThan(2);
  });
});
