// The Raft safety properties (paper Figure 3) checked over seeded random runs: partitions, message
// loss, crashes and restarts, proposals everywhere.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../consensus/src/core/index.ts';
import { ConsensusError, type Entry, type NodeId } from '../../../consensus/src/types.ts';
import { enc, Network } from './network.ts';

const IDS: readonly NodeId[] = [1, 2, 3, 4, 5];

function runChaos(seed: number, steps: number): { net: Network; commits: number } {
  const rnd = seededRandom(seed);
  const pick = (): NodeId => IDS[Math.floor(rnd() * IDS.length)]!;
  const net = new Network(IDS, [], { random: seededRandom(seed * 31) });
  let lossRate = 0;
  net.filter = () => rnd() >= lossRate;
  const leadersByTerm = new Map<number, NodeId>();
  const seenLeader = new Set<string>();
  let proposals = 0;

  const check = (): void => {
    // Election safety: at most one leader per term.
    for (const t of net.nodes.values()) {
      const s = t.node.status();
      if (s.role !== 'leader') continue;
      const prev = leadersByTerm.get(s.term);
      if (prev !== undefined) expect(prev).toBe(s.id);
      leadersByTerm.set(s.term, s.id);
      // Leader completeness: a new leader's log holds every entry any member has applied.
      const key = `${s.term}/${s.id}`;
      if (!seenLeader.has(key)) {
        seenLeader.add(key);
        const log = net.logOf(s.id);
        const first = t.storage.firstIndex();
        for (const other of net.nodes.values()) {
          for (const e of other.appliedEntries) {
            if (e.index < first) continue;
            expect(log[e.index - first]?.term).toBe(e.term);
          }
        }
      }
    }
  };

  for (let step = 0; step < steps; step++) {
    const r = rnd();
    if (r < 0.55) {
      net.tickAll(1);
    } else if (r < 0.8) {
      const id = pick();
      try {
        net.node(id).propose(enc(`s${seed}-${proposals++}`));
      } catch (err) {
        // Dropped proposals (no leader, transfer) are expected under chaos; the client would retry.
        if (!(err instanceof ConsensusError)) throw err;
      }
      net.settle();
    } else if (r < 0.85) {
      net.isolate(pick());
    } else if (r < 0.9) {
      net.heal();
    } else if (r < 0.93) {
      const id = pick();
      net.crash(id);
      net.restart(id);
    } else if (r < 0.96) {
      lossRate = rnd() < 0.5 ? 0 : 0.2;
    } else {
      const leader = net.leaders()[0];
      if (leader !== undefined) net.node(leader).transferLeadership(pick());
      net.settle();
    }
    check();
  }
  // Quiesce: heal and let everyone catch up.
  net.heal();
  net.filter = undefined;
  net.tickAll(60);
  check();
  return { net, commits: Math.max(...[...net.nodes.values()].map((t) => t.applied.length)) };
}

function assertLogMatching(net: Network): void {
  const logs = IDS.map((id) => net.logOf(id));
  for (let a = 0; a < logs.length; a++) {
    for (let b = a + 1; b < logs.length; b++) {
      const la = logs[a]!;
      const lb = logs[b]!;
      const n = Math.min(la.length, lb.length);
      // If two logs hold an entry with the same index and term, they agree on every entry before it.
      let lastSame = -1;
      for (let i = 0; i < n; i++) if (la[i]!.term === lb[i]!.term) lastSame = i;
      for (let i = 0; i <= lastSame; i++) expect(la[i]!.term).toBe(lb[i]!.term);
    }
  }
}

function assertStateMachineSafety(net: Network): void {
  const applied: Entry[][] = IDS.map((id) => net.get(id).appliedEntries);
  const longest = applied.reduce((x, y) => (y.length > x.length ? y : x));
  for (const seq of applied) {
    for (let i = 0; i < seq.length; i++) {
      expect(seq[i]!.index).toBe(longest[i]!.index);
      expect(seq[i]!.term).toBe(longest[i]!.term);
    }
  }
}

describe('safety under random faults', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: election safety, leader completeness, log matching, state machine safety`, () => {
      const { net, commits } = runChaos(seed, 400);
      assertLogMatching(net);
      assertStateMachineSafety(net);
      // Liveness after healing: everyone converged on the same applied state, and work got done.
      const first = net.get(1).applied;
      for (const id of IDS) expect(net.get(id).applied).toEqual(first);
      expect(commits).toBeGreaterThan(10);
    });
  }
});
