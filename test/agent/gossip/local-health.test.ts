import { describe, expect, it } from 'vitest';
import { LocalHealth } from '../../../agent/src/gossip/local-health.ts';

describe('Lifeguard local health multiplier', () => {
  it('stretches timeouts by (score + 1) as evidence of our own slowness accumulates, capped', () => {
    const h = new LocalHealth({ maxScore: 7, lagThresholdMs: 50 });
    expect(h.scale(200)).toBe(200);
    h.nacksMissed(2);
    expect(h.score).toBe(2);
    expect(h.scale(200)).toBe(600);
    h.refutedSuspicionOfSelf();
    h.accusationRefuted();
    expect(h.score).toBe(4);
    h.nacksMissed(10);
    expect(h.score).toBe(7);
    expect(h.scale(250)).toBe(2000);
  });

  it('falls by one per answered probe, never below zero', () => {
    const h = new LocalHealth({ maxScore: 7, lagThresholdMs: 50 });
    h.nacksMissed(2);
    h.probeAcked();
    expect(h.score).toBe(1);
    h.probeAcked();
    h.probeAcked();
    expect(h.score).toBe(0);
    expect(h.scale(200)).toBe(200);
  });

  it('counts a timer that fired late beyond the threshold as a lagging event loop', () => {
    const h = new LocalHealth({ maxScore: 7, lagThresholdMs: 50 });
    h.timerLagged(3);
    h.timerLagged(50);
    expect(h.score).toBe(0);
    h.timerLagged(51);
    h.timerLagged(900);
    expect(h.score).toBe(2);
  });
});
