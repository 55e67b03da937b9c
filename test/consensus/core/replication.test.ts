// Log replication and commitment, after the Raft paper §5.3-5.4 and etcd's raft_paper_test.
import { describe, expect, it } from 'vitest';
import { ConsensusError, type Message } from '../../../consensus/src/types.ts';
import { enc, Network, seedLog } from './network.ts';

describe('log replication (§5.3)', () => {
  it('commits an entry once a majority stores it, not before', () => {
    const net = new Network([1, 2, 3, 4, 5]);
    net.elect(1);
    net.isolate(3);
    net.isolate(4);
    net.isolate(5);
    // Only the leader and node 2: 2 of 5 is no majority.
    net.propose(1, 'a');
    expect(net.get(1).applied).toEqual([]);
    net.heal();
    net.node(1).propose(enc('b'));
    net.settle();
    net.tickAll(2);
    for (const id of [1, 2, 3, 4, 5]) expect(net.get(id).applied).toEqual(['a', 'b']);
  });

  it('followers learn the commit index from later appends and heartbeats', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    for (const id of [2, 3]) expect(net.node(id).status().commit).toBe(net.node(1).status().commit);
  });

  it('a leader brings followers with conflicting logs in line with its own (Figure 7)', () => {
    const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    const followers: number[][] = [
      [1, 1, 1, 4, 4, 5, 5, 6, 6], // (a) missing one
      [1, 1, 1, 4], // (b) missing many
      [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6], // (c) one extra
      [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7], // (d) extra of a newer term
      [1, 1, 1, 4, 4, 4, 4], // (e) conflicting term 4 entries
      [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3], // (f) many conflicting terms
    ];
    for (const followerLog of followers) {
      const net = new Network([1, 2, 3], [], { preVote: false }, (id, storage) => {
        seedLog(storage, id === 2 ? followerLog : leaderLog, id === 2 ? 7 : 7);
      });
      net.elect(1);
      expect(net.node(1).status().role).toBe('leader');
      const expected = net.logOf(1).map((e) => e.term);
      expect(expected).toEqual([...leaderLog, 8]);
      expect(net.logOf(2).map((e) => e.term)).toEqual(expected);
    }
  });

  it('fixes a divergent follower in O(terms) round trips, not O(entries) (fast backtracking)', () => {
    // Leader: 100 entries of term 1, then 100 of term 3. Follower: 100 of term 1, then 200 of term 2.
    const leaderLog = [...Array(100).fill(1), ...Array(100).fill(3)] as number[];
    const followerLog = [...Array(100).fill(1), ...Array(200).fill(2)] as number[];
    const net = new Network([1, 2, 3], [], { preVote: false }, (id, storage) => {
      seedLog(storage, id === 2 ? followerLog : leaderLog, 3);
    });
    const before = net.sent.length;
    net.elect(1);
    const rejects = net.sent.slice(before).filter((m) => m.type === 'appResp' && m.from === 2 && m.reject);
    expect(rejects.length).toBeLessThanOrEqual(2);
    expect(net.logOf(2).map((e) => e.term)).toEqual([...leaderLog, 4]);
  });

  it('pipelines at most maxInflightMsgs unacknowledged appends to a follower', () => {
    const net = new Network([1, 2, 3], [], { maxInflightMsgs: 3 });
    net.elect(1);
    net.propose(1, 'warm-up'); // node 2 is now in replicate state
    expect(net.node(1).status().progress.get(2)?.state).toBe('replicate');
    net.filter = (m: Message) => !(m.type === 'appResp' && m.from === 2);
    const mark = net.sent.length;
    for (let i = 0; i < 10; i++) {
      net.node(1).propose(enc(`p${i}`));
      net.settle();
    }
    const appsTo2 = net.sent
      .slice(mark)
      .filter((m) => m.type === 'app' && m.to === 2 && (m.entries?.length ?? 0) > 0);
    expect(appsTo2).toHaveLength(3);
    // Node 3 still acknowledges, so everything commits; node 2 catches up once its acks flow again.
    expect(net.get(1).applied).toHaveLength(11);
    net.filter = undefined;
    net.tickAll(3);
    expect(net.get(2).applied).toEqual(net.get(1).applied);
  });

  it('batches several proposals into one append when the follower is probing', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    for (let i = 0; i < 5; i++) net.node(1).propose(enc(`p${i}`));
    net.settle();
    expect(net.get(2).applied).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    // Five proposals stepped before any Ready: one local append and ack cycle, all in order.
    expect(net.logOf(1).filter((e) => e.data.byteLength > 0)).toHaveLength(5);
  });

  it('forwards proposals from followers to the leader', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(3, 'from-follower');
    for (const id of [1, 2, 3]) expect(net.get(id).applied).toEqual(['from-follower']);
  });

  it('refuses proposals with NotLeader when forwarding is disabled, and ProposalDropped without a leader', () => {
    const net = new Network([1, 2, 3], [], { disableProposalForwarding: true });
    expect(() => net.node(2).propose(enc('x'))).toThrowError(
      expect.objectContaining({ kind: 'ProposalDropped' }) as Error,
    );
    net.elect(1);
    let err: unknown;
    try {
      net.node(2).propose(enc('x'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConsensusError);
    expect((err as ConsensusError).kind).toBe('NotLeader');
    expect((err as ConsensusError).leader).toBe(1);
  });

  it('drops proposals beyond maxUncommittedEntriesSize', () => {
    const net = new Network([1, 2, 3], [], { maxUncommittedEntriesSize: 100 });
    net.elect(1);
    net.isolate(1);
    net.node(1).propose(new Uint8Array(60));
    expect(() => net.node(1).propose(new Uint8Array(60))).toThrowError(
      expect.objectContaining({ kind: 'ProposalDropped' }) as Error,
    );
  });
});

describe('commitment rules (§5.4.2)', () => {
  it('a leader does not commit an entry of an earlier term by counting replicas', () => {
    // Node 1 has an uncommitted entry of term 1 at index 1, as does node 2: a majority.
    const net = new Network([1, 2, 3], [], { preVote: false }, (id, storage) => {
      seedLog(storage, id === 3 ? [] : [1], 1);
    });
    // Strip the new leader's own-term entry from its appends.
    net.transform = (m) =>
      m.type === 'app' ? { ...m, entries: (m.entries ?? []).filter((e) => e.term !== 2) } : m;
    net.elect(1);
    expect(net.node(1).status().role).toBe('leader');
    expect(net.node(1).status().progress.get(2)?.match).toBe(1);
    expect(net.node(1).status().commit).toBe(0);
    // Once an entry of its own term is on a majority, both commit.
    net.transform = undefined;
    net.tickAll(2);
    expect(net.node(1).status().commit).toBe(2);
  });

  it('Figure 8: an old-term entry stored on a majority is not committed and may be overwritten', () => {
    // (b) S1 led term 2 and put index 2 on S2; S5 led term 3 and wrote its own index 2.
    const logs: Record<number, number[]> = { 1: [1, 2], 2: [1, 2], 3: [1], 4: [1], 5: [1, 3] };
    const net = new Network([1, 2, 3, 4, 5], [], { preVote: false, checkQuorum: false }, (id, storage) =>
      seedLog(storage, logs[id]!, 3, 1),
    );
    // (c) S5 is down; S1 is elected in term 4 and replicates index 2 (term 2) to S3, but its
    // own index 3 (term 4) reaches nobody.
    net.crash(5);
    net.transform = (m) =>
      m.type === 'app' && m.from === 1 ? { ...m, entries: (m.entries ?? []).filter((e) => e.index <= 2) } : m;
    net.elect(1);
    expect(net.node(1).status().term).toBe(4);
    expect(net.logOf(3).map((e) => e.term)).toEqual([1, 2]);
    expect(net.node(1).status().progress.get(3)?.match).toBe(2);
    // Index 2 is on S1, S2, S3 (a majority), yet it is of term 2: not committed.
    expect(net.node(1).status().commit).toBe(1);
    // (d) S1 crashes; S5 (last term 3) wins with S2, S3, S4 and overwrites index 2 everywhere.
    net.transform = undefined;
    net.heal();
    net.crash(1);
    // Its first campaign (term 4) meets voters who already voted for S1 in term 4; the next wins.
    net.node(5).campaign();
    net.settle();
    net.elect(5);
    expect(net.node(5).status().role).toBe('leader');
    for (const id of [2, 3, 4, 5]) expect(net.logOf(id)[1]!.term).toBe(3);
    // Had S1 committed index 2 in (c), this would have lost a committed entry. No node applied it.
    for (const id of [2, 3, 4, 5]) {
      const at2 = net.get(id).appliedEntries.find((e) => e.index === 2);
      expect(at2?.term).toBe(3);
    }
  });

  it('Figure 8 (e): once the leader commits an entry of its term, the older entry is committed and safe', () => {
    const logs: Record<number, number[]> = { 1: [1, 2], 2: [1, 2], 3: [1], 4: [1], 5: [1, 3] };
    const net = new Network([1, 2, 3, 4, 5], [], { preVote: false, checkQuorum: false }, (id, storage) =>
      seedLog(storage, logs[id]!, 3, 1),
    );
    net.crash(5);
    net.elect(1);
    expect(net.node(1).status().commit).toBe(3);
    net.heal();
    net.crash(1);
    net.node(5).campaign();
    net.settle();
    expect(net.node(5).status().role).not.toBe('leader');
    net.tickAll(40);
    const leader = net.leaders()[0]!;
    expect(leader).not.toBe(5);
    expect(net.logOf(leader)[1]!.term).toBe(2);
  });
});
