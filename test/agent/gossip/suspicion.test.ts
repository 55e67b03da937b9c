import { describe, expect, it } from 'vitest';
import { Suspicion, suspicionTimeoutMs, wantedConfirmations } from '../../../agent/src/gossip/suspicion.ts';

const timing = { minMs: 1000, maxMs: 5000, confirmations: 3 };

describe('Lifeguard suspicion timeout', () => {
  it('starts at the maximum and reaches the minimum with the wanted confirmations, on a log scale', () => {
    expect(suspicionTimeoutMs(0, 3, 1000, 5000)).toBe(5000);
    // log(2)/log(4) = 0.5: the first confirmation takes half the way.
    expect(suspicionTimeoutMs(1, 3, 1000, 5000)).toBe(3000);
    // log(3)/log(4) = 0.79
    expect(suspicionTimeoutMs(2, 3, 1000, 5000)).toBe(1830);
    expect(suspicionTimeoutMs(3, 3, 1000, 5000)).toBe(1000);
    // More confirmations than wanted never go below the minimum.
    expect(suspicionTimeoutMs(9, 3, 1000, 5000)).toBe(1000);
  });

  it('uses the minimum when nobody could confirm (a two-node cluster)', () => {
    expect(suspicionTimeoutMs(0, 0, 1000, 5000)).toBe(1000);
  });

  it('wants as many confirmations as there are members besides us and the suspect, capped', () => {
    expect(wantedConfirmations(2, timing)).toBe(0);
    expect(wantedConfirmations(3, timing)).toBe(1);
    expect(wantedConfirmations(4, timing)).toBe(2);
    expect(wantedConfirmations(10, timing)).toBe(3);
  });

  it('counts each accuser once, never the first one, and moves the deadline as confirmations arrive', () => {
    const s = new Suspicion('a', 10_000, 2, timing);
    expect(s.deadline()).toBe(15_000);
    expect(s.confirm('a')).toBe(false); // the accuser hearing its own suspicion gossiped back
    expect(s.confirm('b')).toBe(true);
    expect(s.confirm('b')).toBe(false);
    expect(s.confirmed).toBe(1);
    // log(2)/log(3) = 0.63 of the way: 5000 - 0.63 * 4000
    expect(s.deadline()).toBe(10_000 + 2476);
    s.confirm('c');
    expect(s.deadline()).toBe(11_000);
    expect(s.accusedBy('c')).toBe(true);
    expect(s.accusedBy('d')).toBe(false);
  });
});
