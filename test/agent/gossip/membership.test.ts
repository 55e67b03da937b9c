import { describe, expect, it } from 'vitest';
import { Membership } from '../../../agent/src/gossip/membership.ts';
import { seededRandom } from './seeded-random.ts';

function membership(self = 'a', members = ['a', 'b', 'c', 'd']): Membership {
  return new Membership({ selfNodeId: self, selfIncarnation: 10, members, suspicionTimeoutMs: 1000 });
}

describe('SWIM membership', () => {
  it('a failed probe makes a member suspect; dead only after the suspicion timeout', () => {
    const m = membership();
    const { update, events } = m.suspect('b', 0);
    expect(update).toEqual({ nodeId: 'b', status: 'suspect', incarnation: 0 });
    expect(events).toEqual([{ nodeId: 'b', status: 'suspect', incarnation: 0, previous: 'alive' }]);
    expect(m.tick(999).updates).toEqual([]);
    const done = m.tick(1000);
    expect(done.updates).toEqual([{ nodeId: 'b', status: 'dead', incarnation: 0 }]);
    expect(done.events[0]).toMatchObject({ nodeId: 'b', status: 'dead', previous: 'suspect' });
    expect(m.status('b')).toBe('dead');
  });

  it('a slow member that refutes the suspicion in time is never declared dead', () => {
    const m = membership();
    m.suspect('b', 0);
    // b hears the suspicion and answers alive at a higher incarnation.
    const r = m.apply({ nodeId: 'b', status: 'alive', incarnation: 1 }, 600);
    expect(r.events).toEqual([{ nodeId: 'b', status: 'alive', incarnation: 1, previous: 'suspect' }]);
    expect(m.tick(5000).updates).toEqual([]);
    expect(m.status('b')).toBe('alive');
  });

  it('refutes news of its own suspicion or death by raising its incarnation', () => {
    const m = membership();
    expect(m.apply({ nodeId: 'a', status: 'suspect', incarnation: 10 }, 0).refutation).toEqual({
      nodeId: 'a',
      status: 'alive',
      incarnation: 11,
    });
    expect(m.apply({ nodeId: 'a', status: 'dead', incarnation: 11 }, 0).refutation?.incarnation).toBe(12);
    // Old news about an incarnation we already left behind needs no answer.
    expect(m.apply({ nodeId: 'a', status: 'suspect', incarnation: 3 }, 0).refutation).toBeUndefined();
  });

  it('applies SWIM precedence: suspect beats alive at equal incarnation, alive needs a higher one, dead sticks', () => {
    const m = membership();
    m.apply({ nodeId: 'c', status: 'alive', incarnation: 5 }, 0);
    expect(m.apply({ nodeId: 'c', status: 'alive', incarnation: 5 }, 0).events).toEqual([]);
    m.apply({ nodeId: 'c', status: 'suspect', incarnation: 5 }, 0);
    expect(m.status('c')).toBe('suspect');
    m.apply({ nodeId: 'c', status: 'alive', incarnation: 5 }, 0);
    expect(m.status('c')).toBe('suspect');
    m.apply({ nodeId: 'c', status: 'dead', incarnation: 5 }, 0);
    m.apply({ nodeId: 'c', status: 'alive', incarnation: 5 }, 0);
    expect(m.status('c')).toBe('dead');
    // A restarted agent comes back with its boot time as incarnation.
    m.apply({ nodeId: 'c', status: 'alive', incarnation: 1_700_000_000_000 }, 0);
    expect(m.status('c')).toBe('alive');
  });

  it('ignores news about nodes that are not cluster members', () => {
    const m = membership();
    expect(m.apply({ nodeId: 'intruder', status: 'alive', incarnation: 1 }, 0).events).toEqual([]);
    expect(m.status('intruder')).toBeUndefined();
  });

  it('probes every live member once per round, in a shuffled order, skipping the dead', () => {
    const m = membership('a', ['a', 'b', 'c', 'd', 'e']);
    m.apply({ nodeId: 'e', status: 'dead', incarnation: 0 }, 0);
    const random = seededRandom(7);
    const rounds = [0, 1, 2].map(() => [0, 1, 2].map(() => m.nextProbeTarget(random)));
    for (const round of rounds) expect([...round].sort()).toEqual(['b', 'c', 'd']);
    expect(rounds.map((r) => r.join())).not.toEqual([
      rounds[0]!.join(),
      rounds[0]!.join(),
      rounds[0]!.join(),
    ]);
  });

  it('converges across agents from digests alone, with news lost at random (seeded)', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const random = seededRandom(99);
    const agents = ids.map(
      (id) => new Membership({ selfNodeId: id, selfIncarnation: 1, members: ids, suspicionTimeoutMs: 1000 }),
    );
    // 'e' crashed: a suspects it, the suspicion times out at a only.
    const views = agents.slice(0, 4);
    views[0]!.suspect('e', 0);
    views[0]!.tick(1000);
    // b was wrongly suspected by c.
    views[2]!.suspect('b', 0);
    for (let round = 0; round < 30; round++) {
      for (const from of views) {
        for (const to of views) {
          if (from === to || random() < 0.5) continue;
          for (const u of from.digest()) {
            const r = to.apply(u, 1000 + round * 100);
            if (r.refutation) for (const other of views) other.apply(r.refutation, 1000 + round * 100);
          }
        }
      }
    }
    for (const v of views) {
      expect(v.status('e')).toBe('dead');
      expect(v.status('b')).toBe('alive');
    }
  });
});
