// Leadership transfer (thesis §3.10; etcd's TestLeaderTransfer*).
import { describe, expect, it } from 'vitest';
import { enc, Network } from './network.ts';

describe('leadership transfer', () => {
  it('hands leadership to an up-to-date follower with timeoutNow', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const term = net.node(1).status().term;
    const mark = net.sent.length;
    net.node(1).transferLeadership(2);
    net.settle();
    expect(net.count('timeoutNow', mark)).toBe(1);
    expect(net.leaders()).toEqual([2]);
    expect(net.node(2).status().term).toBe(term + 1);
    expect(net.node(1).status().lead).toBe(2);
  });

  it('catches a lagging transferee up before handing over', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    for (let i = 0; i < 5; i++) net.propose(1, `v${i}`);
    net.heal();
    net.node(1).transferLeadership(3);
    net.settle();
    expect(net.leaders()).toEqual([3]);
    expect(net.get(3).applied).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('drops proposals while a transfer is under way and aborts it after an election timeout', () => {
    const net = new Network([1, 2, 3], [], { electionTick: 10 });
    net.elect(1);
    net.isolate(3);
    net.propose(1, 'x');
    // 3 cannot catch up while isolated: the transfer stalls.
    net.node(1).transferLeadership(3);
    net.settle();
    expect(net.node(1).status().leadTransferee).toBe(3);
    expect(() => net.node(1).propose(enc('y'))).toThrowError(
      expect.objectContaining({ kind: 'ProposalDropped', leader: 3 }) as Error,
    );
    net.tickAll(10);
    expect(net.node(1).status().leadTransferee).toBe(0);
    expect(net.leaders()).toEqual([1]);
    net.propose(1, 'y');
    expect(net.get(2).applied).toEqual(['x', 'y']);
  });

  it('a transfer requested on a follower is forwarded to the leader', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(3).transferLeadership(3);
    net.settle();
    expect(net.leaders()).toEqual([3]);
  });

  it("the transferee's vote request overrides the other followers' leader lease", () => {
    const net = new Network([1, 2, 3, 4, 5]);
    net.elect(1);
    net.propose(1, 'x');
    // Followers heard from the leader just now (in lease), yet they vote for the transferee.
    net.node(1).transferLeadership(4);
    net.settle();
    expect(net.leaders()).toEqual([4]);
  });

  it('ignores a transfer to a learner', () => {
    const net = new Network([1, 2, 3], [4]);
    net.elect(1);
    net.node(1).transferLeadership(4);
    net.settle();
    expect(net.leaders()).toEqual([1]);
    expect(net.node(1).status().leadTransferee).toBe(0);
  });
});
