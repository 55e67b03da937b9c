import { describe, expect, it } from 'vitest';
import { Network } from './network.ts';

describe('core smoke', () => {
  it('elects a leader by ticks and replicates proposals to every member', () => {
    const net = new Network([1, 2, 3]);
    net.tickAll(40);
    const leaders = net.leaders();
    expect(leaders).toHaveLength(1);
    const leader = leaders[0]!;
    net.propose(leader, 'a');
    net.propose(leader, 'b');
    for (const id of [1, 2, 3]) expect(net.get(id).applied).toEqual(['a', 'b']);
  });

  it('a single-member cluster elects itself and commits', () => {
    const net = new Network([1]);
    expect(net.elect(1)).toBe(1);
    net.propose(1, 'x');
    expect(net.get(1).applied).toEqual(['x']);
  });
});
