// Fast failover on the transport's hint that the leader's connection dropped (core/failover.ts):
// one election round when every survivor hears it at once, the next in line when the first is
// behind, and no leader change when the leader is in fact alive.
import { describe, expect, it } from 'vitest';
import { failoverRank, failoverStagger } from '../../../consensus/src/core/failover.ts';
import { seededRandom } from '../../../consensus/src/core/index.ts';
import type { NodeId } from '../../../consensus/src/types.ts';
import { Network } from './network.ts';

const ELECTION_TICK = 10;

function termOf(net: Network, id: NodeId): number {
  return net.node(id).status().term;
}

/** Ticks every live node until a leader other than `old` is known; returns the ticks it took. */
function ticksToNewLeader(net: Network, old: NodeId, limit: number): number {
  for (let ticks = 0; ticks <= limit; ticks++) {
    const leaders = net.leaders().filter((id) => id !== old);
    if (leaders.length > 0) return ticks;
    net.tickAll();
  }
  return Number.POSITIVE_INFINITY;
}

/** A settled cluster led by `leader`, with a few committed entries. */
function ledBy(voters: readonly NodeId[], leader: NodeId, learners: readonly NodeId[] = []): Network {
  const net = new Network(voters, learners, { electionTick: ELECTION_TICK });
  expect(net.elect(leader)).toBe(leader);
  net.propose(leader, 'a');
  net.propose(leader, 'b');
  return net;
}

describe('failoverRank', () => {
  it('orders the voters not passed over by id, and leaves out non-voters and the passed over', () => {
    const voters = [5, 1, 4, 2, 3];
    expect(failoverRank(voters, new Set([1]), 2)).toBe(0);
    expect(failoverRank(voters, new Set([1]), 5)).toBe(3);
    expect(failoverRank(voters, new Set([1, 2]), 4)).toBe(1);
    expect(failoverRank(voters, new Set([1]), 1)).toBe(-1);
    expect(failoverRank(voters, new Set(), 9)).toBe(-1);
  });

  it('staggers ranks by a tenth of the election timeout, at least one tick', () => {
    expect(failoverStagger(5)).toBe(1);
    expect(failoverStagger(10)).toBe(1);
    expect(failoverStagger(50)).toBe(5);
  });
});

describe('leader crash with the hint at every survivor at once', () => {
  for (const voters of [
    [1, 2, 3],
    [1, 2, 3, 4, 5],
  ]) {
    for (const leader of voters) {
      it(`${voters.length} voters, leader ${leader}: one election round, a new leader without a tick`, () => {
        const net = ledBy(voters, leader);
        const term = termOf(net, leader);
        net.crash(leader);
        const survivors = voters.filter((id) => id !== leader);
        for (const id of survivors) net.node(id).leaderConnectionLost(leader);
        net.settle();
        const leaders = net.leaders();
        expect(leaders).toEqual([Math.min(...survivors)]);
        for (const id of survivors) {
          expect(termOf(net, id), `node ${id}: exactly one election`).toBe(term + 1);
          expect(net.node(id).status().lead).toBe(leaders[0]);
        }
        net.propose(leaders[0]!, 'after');
        for (const id of survivors) expect(net.get(id).applied).toEqual(['a', 'b', 'after']);
      });
    }
  }

  it('when the first in line hears of it first, the others answer its pre-vote on their own hint', () => {
    const net = ledBy([1, 2, 3, 4, 5], 1);
    const term = termOf(net, 1);
    net.crash(1);
    // Node 2 asks while 3, 4 and 5 still hold the lease and ignore it; their hints come later.
    net.node(2).leaderConnectionLost(1);
    net.settle();
    expect(net.leaders()).toEqual([]);
    for (const id of [3, 4, 5]) {
      net.node(id).leaderConnectionLost(1);
      net.settle();
    }
    expect(net.leaders()).toEqual([2]);
    expect(termOf(net, 3)).toBe(term + 1);
  });

  it('with the hint only at the last in line, a new leader comes within an election timeout', () => {
    const net = ledBy([1, 2, 3], 1);
    const term = termOf(net, 1);
    net.crash(1);
    // Node 3 waits its turn; node 2 holds the lease until it expires, then grants the pre-vote.
    net.node(3).leaderConnectionLost(1);
    net.settle();
    const ticks = ticksToNewLeader(net, 1, 2 * ELECTION_TICK);
    expect(ticks).toBeLessThanOrEqual(ELECTION_TICK + failoverStagger(ELECTION_TICK));
    expect(net.leaders()).toHaveLength(1);
    expect(termOf(net, 2)).toBe(term + 1);
  });
});

describe('survivors that campaign at once, and lost requests', () => {
  it('two pre-candidates at once: the first in line refuses the other, one election round', () => {
    const net = ledBy([1, 2, 3], 3);
    const term = termOf(net, 3);
    net.crash(3);
    net.node(1).leaderConnectionLost(3);
    net.node(2).leaderConnectionLost(3);
    // Node 2 pre-campaigns too (its stagger cut short by the tick phase, say) before any delivery.
    net.node(2).campaign();
    expect(net.node(2).status().role).toBe('preCandidate');
    net.settle();
    expect(net.leaders()).toEqual([1]);
    expect(termOf(net, 2)).toBe(term + 1);
  });

  for (const lost of ['preVote', 'preVoteResp', 'vote', 'voteResp'] as const) {
    it(`a lost ${lost} is asked again on the next tick, not after an election timeout`, () => {
      const net = ledBy([1, 2, 3], 3);
      const term = termOf(net, 3);
      net.crash(3);
      let dropped = 0;
      net.filter = (m) => !(m.type === lost && (m.from === 1 || m.to === 1) && dropped++ === 0);
      net.node(1).leaderConnectionLost(3);
      net.node(2).leaderConnectionLost(3);
      net.settle();
      expect(dropped).toBeGreaterThan(0);
      expect(net.leaders()).toEqual([]);
      const ticks = ticksToNewLeader(net, 3, ELECTION_TICK);
      expect(ticks).toBeLessThanOrEqual(2);
      expect(net.leaders()).toEqual([1]);
      expect(termOf(net, 2)).toBe(term + 1);
    });
  }
});

describe('the first in line is behind', () => {
  /** Leader `leader` commits `extra` entries that `behind` never receives. */
  function leaveBehind(net: Network, leader: NodeId, behind: readonly NodeId[], extra: number): void {
    net.filter = (m) => !(behind.includes(m.to) && (m.type === 'app' || m.type === 'heartbeat'));
    for (let i = 0; i < extra; i++) net.propose(leader, `x${i}`);
    net.filter = undefined;
  }

  it('3 voters: the one ahead refuses it and wins at once, in one election round', () => {
    const net = ledBy([1, 2, 3], 3);
    leaveBehind(net, 3, [1], 3);
    const term = termOf(net, 3);
    net.crash(3);
    net.node(1).leaderConnectionLost(3);
    net.node(2).leaderConnectionLost(3);
    net.settle();
    expect(net.leaders()).toEqual([2]);
    expect(termOf(net, 1)).toBe(term + 1);
    net.settle();
    expect(net.get(1).applied).toEqual(['a', 'b', 'x0', 'x1', 'x2']);
  });

  it('5 voters: the next in line that is ahead wins, the rest stay in line (one election round)', () => {
    const net = ledBy([1, 2, 3, 4, 5], 5);
    leaveBehind(net, 5, [1], 2);
    const term = termOf(net, 5);
    net.crash(5);
    for (const id of [1, 2, 3, 4]) net.node(id).leaderConnectionLost(5);
    net.settle();
    expect(net.leaders()).toEqual([2]);
    for (const id of [1, 2, 3, 4]) expect(termOf(net, id)).toBe(term + 1);
  });

  it('5 voters, the first two behind: the first one ahead wins within a stagger, one election round', () => {
    const net = ledBy([1, 2, 3, 4, 5], 5);
    leaveBehind(net, 5, [1, 2], 2);
    const term = termOf(net, 5);
    net.crash(5);
    for (const id of [1, 2, 3, 4]) net.node(id).leaderConnectionLost(5);
    net.settle();
    // Node 2 got node 1's pre-vote granted (same log); it learns it is behind when it asks in turn.
    const ticks = ticksToNewLeader(net, 5, ELECTION_TICK);
    expect(ticks).toBeLessThanOrEqual(failoverStagger(ELECTION_TICK));
    expect(net.leaders()).toEqual([3]);
    for (const id of [1, 2, 3, 4]) expect(termOf(net, id)).toBe(term + 1);
  });
});

describe('a live leader is not deposed by the hint', () => {
  for (const voters of [
    [1, 2, 3],
    [1, 2, 3, 4, 5],
  ]) {
    for (const hinted of voters.slice(1)) {
      it(`${voters.length} voters, hint at follower ${hinted} only: no leader change`, () => {
        const net = ledBy(voters, 1);
        const term = termOf(net, 1);
        net.node(hinted).leaderConnectionLost(1);
        net.settle();
        net.tickAll(3 * ELECTION_TICK);
        expect(net.leaders()).toEqual([1]);
        for (const id of voters) expect(termOf(net, id)).toBe(term);
        expect(net.node(hinted).status().lead).toBe(1);
        net.propose(1, 'still');
        expect(net.get(hinted).applied).toEqual(['a', 'b', 'still']);
      });
    }
  }

  it('flapping hints at one follower at a time, hundreds of times, never change the leader', () => {
    for (const voters of [
      [1, 2, 3],
      [1, 2, 3, 4, 5],
    ]) {
      const net = ledBy(voters, 1);
      const term = termOf(net, 1);
      const random = seededRandom(voters.length);
      for (let flap = 0; flap < 300; flap++) {
        const follower = voters[1 + Math.floor(random() * (voters.length - 1))]!;
        net.node(follower).leaderConnectionLost(1);
        net.settle();
        net.tickAll(1 + Math.floor(random() * 3));
        if (flap % 50 === 0) net.propose(1, `p${flap}`);
      }
      expect(net.leaders()).toEqual([1]);
      for (const id of voters) expect(termOf(net, id)).toBe(term);
    }
  });

  it('flapping hints under 5% message loss never change the leader', () => {
    const net = ledBy([1, 2, 3], 1);
    const term = termOf(net, 1);
    const loss = seededRandom(42);
    net.filter = () => loss() >= 0.05;
    for (let flap = 0; flap < 300; flap++) {
      net.node(2).leaderConnectionLost(1);
      net.settle();
      net.tickAll(2);
    }
    net.filter = undefined;
    net.tickAll(2);
    expect(net.leaders()).toEqual([1]);
    expect(termOf(net, 3)).toBe(term);
    expect(net.node(2).status().lead).toBe(1);
  });
});

describe('learners and configuration', () => {
  it('a learner that gets the hint never campaigns; the voters elect in one round', () => {
    const net = ledBy([1, 2, 3], 1, [4]);
    const term = termOf(net, 1);
    net.crash(1);
    for (const id of [2, 3, 4]) net.node(id).leaderConnectionLost(1);
    expect(net.node(4).status().role).toBe('follower');
    net.settle();
    expect(net.leaders()).toEqual([2]);
    expect(termOf(net, 3)).toBe(term + 1);
    expect(net.count('preVote') + net.count('vote')).toBeGreaterThan(0);
    expect(net.sent.filter((m) => m.from === 4 && (m.type === 'preVote' || m.type === 'vote'))).toEqual([]);
  });

  it('a hint at a learner alone changes nothing for the voters', () => {
    const net = ledBy([1, 2, 3], 1, [4]);
    const sent = net.sent.length;
    net.node(4).leaderConnectionLost(1);
    net.settle();
    net.tickAll(2 * ELECTION_TICK);
    expect(net.leaders()).toEqual([1]);
    expect(net.sent.slice(sent).filter((m) => m.type === 'preVote' || m.type === 'vote')).toEqual([]);
    expect(net.node(4).status().lead).toBe(1);
  });

  it('without CheckQuorum there is no lease to protect a live leader: the hint only shortens the timeout', () => {
    const net = new Network([1, 2, 3], [], { electionTick: ELECTION_TICK, checkQuorum: false });
    net.elect(1);
    const term = termOf(net, 1);
    net.node(2).leaderConnectionLost(1);
    expect(net.node(2).status().role).toBe('follower');
    net.settle();
    net.tickAll(3 * ELECTION_TICK);
    expect(net.leaders()).toEqual([1]);
    expect(termOf(net, 2)).toBe(term);
  });
});
