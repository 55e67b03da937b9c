// Linearizable reads with ReadIndex (thesis §6.4; etcd's read_only.go, TestReadOnly*).
import { describe, expect, it } from 'vitest';
import { enc, Network } from './network.ts';

describe('ReadIndex', () => {
  it('the leader answers once a heartbeat quorum confirms it, with its commit index', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    net.isolate(2);
    net.isolate(3);
    net.node(1).readIndex(enc('r1'));
    net.settle();
    // Nobody confirmed leadership: no answer yet.
    expect(net.get(1).readStates).toEqual([]);
    net.heal();
    net.tickAll(1);
    expect(net.get(1).readStates).toHaveLength(1);
    expect(net.get(1).readStates[0]!.index).toBe(net.node(1).status().commit);
    expect(new TextDecoder().decode(net.get(1).readStates[0]!.requestCtx)).toBe('r1');
  });

  it('a follower forwards the request and gets the read index back', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    net.node(3).readIndex(enc('r-follower'));
    net.settle();
    net.tickAll(1);
    const rs = net.get(3).readStates;
    expect(rs).toHaveLength(1);
    expect(rs[0]!.index).toBe(net.node(1).status().commit);
    expect(new TextDecoder().decode(rs[0]!.requestCtx)).toBe('r-follower');
    expect(net.get(1).readStates).toEqual([]);
  });

  it('a new leader answers only after committing an entry of its own term', () => {
    const net = new Network([1, 2, 3]);
    // The new leader's empty entry cannot reach anyone, so it is not committed.
    net.filter = (m) => !(m.type === 'app' && m.from === 1);
    net.elect(1);
    expect(net.node(1).status().role).toBe('leader');
    net.node(1).readIndex(enc('early'));
    net.settle();
    net.tickAll(1);
    expect(net.get(1).readStates).toEqual([]);
    net.filter = undefined;
    net.tickAll(2);
    expect(net.get(1).readStates).toHaveLength(1);
    expect(net.get(1).readStates[0]!.index).toBe(1);
  });

  it('confirms several queued reads with one quorum', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(2);
    net.isolate(3);
    net.node(1).readIndex(enc('a'));
    net.node(1).readIndex(enc('b'));
    net.settle();
    net.heal();
    net.tickAll(1);
    expect(net.get(1).readStates.map((r) => new TextDecoder().decode(r.requestCtx))).toEqual(['a', 'b']);
  });

  it('refuses with ProposalDropped when no leader is known', () => {
    const net = new Network([1, 2, 3]);
    expect(() => net.node(2).readIndex(enc('x'))).toThrowError(
      expect.objectContaining({ kind: 'ProposalDropped' }) as Error,
    );
  });

  it('a single-voter leader answers at once', () => {
    const net = new Network([1]);
    net.elect(1);
    net.node(1).readIndex(enc('solo'));
    net.settle();
    expect(net.get(1).readStates).toHaveLength(1);
  });
});
