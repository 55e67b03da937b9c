// Learners and single-server membership changes (etcd: campaign_learner_must_vote, confchange_*).
import { describe, expect, it } from 'vitest';
import type { ConsensusError } from '../../../consensus/src/types.ts';
import { Network } from './network.ts';

function kindOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as ConsensusError).kind;
  }
  return undefined;
}

describe('learners', () => {
  it('receive and apply the log', () => {
    const net = new Network([1, 2, 3], [4]);
    net.elect(1);
    net.propose(1, 'a');
    expect(net.get(4).applied).toEqual(['a']);
    expect(net.node(1).status().progress.get(4)?.isLearner).toBe(true);
  });

  it('never campaign, however long they hear nothing', () => {
    const net = new Network([1, 2, 3], [4]);
    net.elect(1);
    net.isolate(4);
    net.tickAll(200);
    expect(net.node(4).status().role).toBe('follower');
    expect(net.node(4).status().term).toBe(net.node(1).status().term);
    net.node(4).campaign();
    expect(net.node(4).status().role).toBe('follower');
  });

  it('do not count towards an election or commit quorum', () => {
    const net = new Network([1, 2], [3], { preVote: false });
    net.crash(2);
    net.node(1).campaign();
    net.settle();
    // Node 3 answers, but only voters count: 1 of 2 voters is no majority.
    expect(net.node(1).status().role).toBe('candidate');
    net.heal();
    net.tickAll(30);
    const leader = net.leaders()[0]!;
    net.crash(leader === 1 ? 2 : 1);
    net.node(leader).propose(new TextEncoder().encode('x'));
    net.settle();
    expect(net.get(leader).applied).toEqual([]);
  });
});

describe('membership changes', () => {
  it('adds a voter: it catches up from the beginning of the log and counts in the quorum', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    // A joining member starts from the membership it is told (the bootstrap one is not in the log).
    net.addNode(4, { voters: [1, 2, 3], learners: [] });
    net.node(1).proposeConfChange({ type: 'addVoter', nodeId: 4 });
    net.settle();
    net.tickAll(2);
    expect(net.node(1).status().confState.voters).toEqual([1, 2, 3, 4]);
    expect(net.get(4).applied).toEqual(['a']);
    expect(net.get(4).confState.voters).toEqual([1, 2, 3, 4]);
    // 4 voters: a majority is 3; with 3 and 4 cut off, nothing commits.
    net.isolate(3);
    net.isolate(4);
    net.propose(1, 'b');
    expect(net.get(1).applied).toEqual(['a']);
  });

  it('refuses a second change until the first is applied (one at a time)', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.addNode(4);
    net.addNode(5);
    net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 4 });
    expect(kindOf(() => net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 5 }))).toBe(
      'ConfChangePending',
    );
    net.settle();
    net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 5 });
    net.settle();
    expect(net.node(1).status().confState.learners).toEqual([4, 5]);
  });

  it('a forwarded change that arrives while another is pending becomes a no-op', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.addNode(4);
    net.addNode(5);
    net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 4 });
    net.node(2).proposeConfChange({ type: 'addLearner', nodeId: 5 });
    net.settle();
    expect(net.node(1).status().confState.learners).toEqual([4]);
  });

  it('promotes a learner to voter and demotes a voter to learner', () => {
    const net = new Network([1, 2, 3], [4]);
    net.elect(1);
    net.node(1).proposeConfChange({ type: 'addVoter', nodeId: 4 });
    net.settle();
    expect(net.node(1).status().confState).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 2 });
    net.settle();
    expect(net.node(1).status().confState).toEqual({ voters: [1, 3, 4], learners: [2] });
    // The demoted node no longer campaigns.
    net.isolate(2);
    net.tickAll(100);
    expect(net.node(2).status().role).toBe('follower');
  });

  it('removes a member; its id can never be added again', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(1).proposeConfChange({ type: 'removeNode', nodeId: 3 });
    net.settle();
    expect(net.node(1).status().confState.voters).toEqual([1, 2]);
    expect(kindOf(() => net.node(1).proposeConfChange({ type: 'addVoter', nodeId: 3 }))).toBe(
      'InvalidConfChange',
    );
    expect(kindOf(() => net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 3 }))).toBe(
      'InvalidConfChange',
    );
    // Two voters now: both are needed to commit.
    net.propose(1, 'a');
    expect(net.get(2).applied).toEqual(['a']);
  });

  it('refuses to remove or demote the last voter', () => {
    const net = new Network([1], [2]);
    net.elect(1);
    expect(kindOf(() => net.node(1).proposeConfChange({ type: 'removeNode', nodeId: 1 }))).toBe(
      'InvalidConfChange',
    );
    expect(kindOf(() => net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 1 }))).toBe(
      'InvalidConfChange',
    );
  });

  it('a removed leader steps down and the rest elect a new leader', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(1).proposeConfChange({ type: 'removeNode', nodeId: 1 });
    net.settle();
    expect(net.node(1).status().role).toBe('follower');
    net.tickAll(40);
    const leaders = net.leaders();
    expect(leaders).toHaveLength(1);
    expect(leaders[0]).not.toBe(1);
    expect(net.node(leaders[0]!).status().confState.voters).toEqual([2, 3]);
    net.propose(leaders[0]!, 'after');
    expect(net.get(2).applied).toEqual(['after']);
  });
});
