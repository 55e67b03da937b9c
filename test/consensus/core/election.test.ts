// Leader election, after the Raft paper §5.2 and etcd's raft_paper_test, plus PreVote and CheckQuorum.
import { describe, expect, it } from 'vitest';
import { createRawNode, MemoryStorage, seededRandom } from '../../../consensus/src/core/index.ts';
import type { Message, NodeId } from '../../../consensus/src/types.ts';
import { Network, seedLog } from './network.ts';

function drain(node: ReturnType<typeof createRawNode>): Message[] {
  const out: Message[] = [];
  while (node.hasReady()) {
    const rd = node.ready();
    out.push(...rd.messages);
    node.advance(rd);
  }
  return out;
}

describe('leader election (§5.2)', () => {
  it('a follower that hears nothing campaigns after a randomized timeout in [election, 2*election-1]', () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 60; seed++) {
      const node = createRawNode({
        id: 1,
        storage: new MemoryStorage({ voters: [1, 2, 3], learners: [] }),
        electionTick: 10,
        random: seededRandom(seed),
      });
      let ticks = 0;
      while (node.status().role === 'follower') {
        node.tick();
        ticks++;
        expect(ticks).toBeLessThan(20);
      }
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(ticks).toBeLessThanOrEqual(19);
      seen.add(ticks);
    }
    // Randomized: many different timeouts, so split votes do not repeat forever.
    expect(seen.size).toBeGreaterThanOrEqual(6);
  });

  it('elects exactly one leader per term across seeds and repeated leader failures (election safety)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const net = new Network([1, 2, 3, 4, 5], [], { random: seededRandom(seed) });
      // Every node shares one stream so that seeds change the race between candidates.
      const leadersByTerm = new Map<number, Set<NodeId>>();
      const record = (): void => {
        for (const t of net.nodes.values()) {
          const s = t.node.status();
          if (s.role !== 'leader') continue;
          const set = leadersByTerm.get(s.term) ?? new Set();
          set.add(s.id);
          leadersByTerm.set(s.term, set);
        }
      };
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 60; i++) {
          net.tickAll();
          record();
        }
        const leaders = net.leaders();
        expect(leaders.length).toBe(1);
        net.heal();
        net.crash(leaders[0]!);
      }
      for (const [, set] of leadersByTerm) expect(set.size).toBe(1);
    }
  });

  it('a candidate that wins a majority becomes leader and announces itself with an empty entry', () => {
    const net = new Network([1, 2, 3], [], { preVote: false });
    expect(net.elect(1)).toBe(1);
    const s = net.node(1).status();
    expect(s.role).toBe('leader');
    expect(s.term).toBe(1);
    const log = net.logOf(2);
    expect(log).toHaveLength(1);
    expect(log[0]!.term).toBe(1);
    expect(log[0]!.data.byteLength).toBe(0);
  });

  it('a candidate without a majority does not become leader', () => {
    const net = new Network([1, 2, 3, 4, 5], [], { preVote: false });
    net.crash(3);
    net.crash(4);
    net.crash(5);
    net.node(1).campaign();
    net.settle();
    expect(net.node(1).status().role).toBe('candidate');
  });

  it('a voter grants at most one vote per term', () => {
    const node = createRawNode({ id: 1, storage: new MemoryStorage({ voters: [1, 2, 3], learners: [] }) });
    node.step({ type: 'vote', from: 2, to: 1, term: 1, index: 0, logTerm: 0 });
    node.step({ type: 'vote', from: 3, to: 1, term: 1, index: 0, logTerm: 0 });
    const resps = drain(node).filter((m) => m.type === 'voteResp');
    expect(resps.map((m) => [m.to, m.reject === true])).toEqual([
      [2, false],
      [3, true],
    ]);
    expect(node.status().vote).toBe(2);
  });

  it('a voter rejects a candidate whose log is less up to date (§5.4.1)', () => {
    const storage = new MemoryStorage({ voters: [1, 2, 3], learners: [] });
    seedLog(storage, [1, 2, 2], 2);
    const node = createRawNode({ id: 1, storage });
    // Lower last term, longer log: rejected.
    node.step({ type: 'vote', from: 2, to: 1, term: 3, index: 10, logTerm: 1 });
    // Same last term, shorter log: rejected.
    node.step({ type: 'vote', from: 3, to: 1, term: 4, index: 2, logTerm: 2 });
    // Same last term, same length: granted.
    node.step({ type: 'vote', from: 2, to: 1, term: 5, index: 3, logTerm: 2 });
    const resps = drain(node).filter((m) => m.type === 'voteResp');
    expect(resps.map((m) => m.reject === true)).toEqual([true, true, false]);
  });

  it('a candidate returns to follower when a leader of its term appears', () => {
    const net = new Network([1, 2, 3], [], { preVote: false });
    net.elect(1);
    net.isolate(2);
    net.node(2).campaign();
    net.settle();
    expect(net.node(2).status().role).toBe('candidate');
    const term = net.node(2).status().term;
    // A leader at the candidate's term sends it an append.
    net.node(2).step({ type: 'app', from: 3, to: 2, term, index: 1, logTerm: 1, entries: [], commit: 1 });
    expect(net.node(2).status().role).toBe('follower');
    expect(net.node(2).status().lead).toBe(3);
  });
});

describe('PreVote', () => {
  it('a partitioned node rejoining does not disrupt the leader or bump the term', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const term = net.node(1).status().term;
    net.isolate(3);
    net.tickAll(100);
    expect(net.node(3).status().term).toBe(term);
    net.heal();
    net.tickAll(5);
    expect(net.node(1).status().role).toBe('leader');
    expect(net.node(1).status().term).toBe(term);
    expect(net.node(3).status().lead).toBe(1);
  });

  it('without PreVote (and without CheckQuorum) the same rejoin does disrupt the term', () => {
    const net = new Network([1, 2, 3], [], { preVote: false, checkQuorum: false });
    net.elect(1);
    const term = net.node(1).status().term;
    net.isolate(3);
    net.tickAll(100);
    expect(net.node(3).status().term).toBeGreaterThan(term);
    net.heal();
    net.tickAll(5);
    expect(net.node(1).status().term).toBeGreaterThan(term);
  });
});

describe('CheckQuorum', () => {
  it('an isolated leader steps down within two election timeouts; the others elect a new one', () => {
    const net = new Network([1, 2, 3], [], { electionTick: 10 });
    net.elect(1);
    net.isolate(1);
    // The check runs every election timeout over what was heard since the previous check.
    net.tickAll(10);
    expect(net.node(1).status().role).toBe('leader');
    net.tickAll(10);
    expect(net.node(1).status().role).toBe('follower');
    net.tickAll(30);
    const leaders = net.leaders();
    expect(leaders).toHaveLength(1);
    expect(leaders[0]).not.toBe(1);
  });

  it('a leader that keeps hearing from a quorum stays leader', () => {
    const net = new Network([1, 2, 3, 4, 5]);
    net.elect(1);
    net.isolate(5);
    net.isolate(4);
    net.tickAll(50);
    expect(net.node(1).status().role).toBe('leader');
  });

  it('a follower that heard from its leader within the timeout ignores higher-term votes', () => {
    const net = new Network([1, 2, 3], [], { preVote: false });
    net.elect(1);
    const term = net.node(2).status().term;
    net.node(2).step({ type: 'vote', from: 3, to: 2, term: term + 5, index: 100, logTerm: 100 });
    expect(net.node(2).status().term).toBe(term);
    expect(net.node(2).hasReady()).toBe(false);
  });
});

describe('leaderConnectionLost', () => {
  it('starts a pre-vote at once, but a leader the others still hear is not deposed', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const term = net.node(1).status().term;
    net.node(2).leaderConnectionLost(1);
    expect(net.node(2).status().role).toBe('preCandidate');
    net.settle();
    net.tickAll(3);
    expect(net.leaders()).toEqual([1]);
    expect(net.node(1).status().term).toBe(term);
    expect(net.node(2).status().role).toBe('follower');
    expect(net.node(2).status().lead).toBe(1);
  });

  it('elects a new leader without waiting for an election timeout when the leader is gone', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.crash(1);
    // Both followers' transports notice the dropped connection, one after the other.
    net.node(2).leaderConnectionLost(1);
    net.settle();
    net.node(3).leaderConnectionLost(1);
    net.settle();
    const leaders = net.leaders();
    expect(leaders).toHaveLength(1);
    expect(leaders[0]).not.toBe(1);
  });

  it('is ignored when the named node is not our leader', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(2).leaderConnectionLost(3);
    expect(net.node(2).status().role).toBe('follower');
  });
});
