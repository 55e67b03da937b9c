import { describe, expect, it } from 'vitest';
import { Membership } from '../../../agent/src/gossip/membership.ts';
import { seededRandom } from './seeded-random.ts';

const suspicion = { minMs: 1000, maxMs: 5000, confirmations: 3 };

/** A membership view from `self`, having heard every other member alive at incarnation 1. */
function membership(self = 'a', members = ['a', 'b', 'c', 'd']): Membership {
  const m = new Membership({ selfNodeId: self, selfIncarnation: 10, members, suspicion });
  for (const id of members)
    if (id !== self) m.apply({ nodeId: id, status: 'alive', incarnation: 1 }, 0, id, true);
  return m;
}

describe('SWIM membership', () => {
  it('a failed probe makes a member suspect; alone, we wait the long timeout before declaring it dead', () => {
    const m = membership();
    const { update, events } = m.suspect('b', 0);
    expect(update).toEqual({ nodeId: 'b', status: 'suspect', incarnation: 1 });
    expect(events).toEqual([{ nodeId: 'b', status: 'suspect', incarnation: 1, previous: 'alive' }]);
    expect(m.tick(4999).updates).toEqual([]);
    const done = m.tick(5000);
    expect(done.updates).toEqual([{ nodeId: 'b', status: 'dead', incarnation: 1 }]);
    expect(done.events[0]).toMatchObject({ nodeId: 'b', status: 'dead', previous: 'suspect' });
    expect(m.status('b')).toBe('dead');
  });

  it('independent confirmations from other members shorten the suspicion to the minimum', () => {
    // Four members: c and d are the two that can confirm our suspicion of b.
    const m = membership();
    m.suspect('b', 0);
    m.apply({ nodeId: 'b', status: 'suspect', incarnation: 1 }, 100, 'c', true);
    expect(m.suspicion('b')?.confirmed).toBe(1);
    expect(m.tick(2475).updates).toEqual([]);
    expect(m.tick(2476).updates).toHaveLength(1);

    const n = membership();
    n.suspect('b', 0);
    n.apply({ nodeId: 'b', status: 'suspect', incarnation: 1 }, 100, 'c', true);
    n.apply({ nodeId: 'b', status: 'suspect', incarnation: 1 }, 200, 'd', true);
    expect(n.tick(999).updates).toEqual([]);
    expect(n.tick(1000).updates).toEqual([{ nodeId: 'b', status: 'dead', incarnation: 1 }]);
  });

  it('hearsay (a digest repeating a suspicion) and repeated accusers do not count as confirmations', () => {
    const m = membership();
    m.suspect('b', 0);
    m.apply({ nodeId: 'b', status: 'suspect', incarnation: 1 }, 100, 'c', false);
    m.apply({ nodeId: 'b', status: 'suspect', incarnation: 1 }, 100, 'a', true);
    expect(m.suspicion('b')?.confirmed).toBe(0);
    m.apply({ nodeId: 'b', status: 'suspect', incarnation: 1 }, 100, 'd', true);
    m.apply({ nodeId: 'b', status: 'suspect', incarnation: 1 }, 100, 'd', true);
    expect(m.suspicion('b')?.confirmed).toBe(1);
  });

  it('our own failed probe of a member others suspect is a confirmation we gossip, once', () => {
    const m = membership();
    m.apply({ nodeId: 'b', status: 'suspect', incarnation: 1 }, 0, 'c', true);
    expect(m.suspicion('b')?.confirmed).toBe(0);
    expect(m.suspect('b', 100).update).toEqual({ nodeId: 'b', status: 'suspect', incarnation: 1 });
    expect(m.suspicion('b')?.confirmed).toBe(1);
    expect(m.suspect('b', 200).update).toBeUndefined();
  });

  it('a member nobody has heard from yet (still booting) gets the long timeout whatever the others say', () => {
    const m = new Membership({
      selfNodeId: 'a',
      selfIncarnation: 10,
      members: ['a', 'b', 'c', 'd'],
      suspicion,
    });
    m.suspect('b', 0);
    m.apply({ nodeId: 'b', status: 'suspect', incarnation: 0 }, 0, 'c', true);
    m.apply({ nodeId: 'b', status: 'suspect', incarnation: 0 }, 0, 'd', true);
    expect(m.tick(4999).updates).toEqual([]);
    expect(m.tick(5000).updates).toHaveLength(1);
  });

  it('in a two-node cluster nobody can confirm, so the short timeout applies', () => {
    const m = membership('a', ['a', 'b']);
    m.suspect('b', 0);
    expect(m.tick(999).updates).toEqual([]);
    expect(m.tick(1000).updates).toHaveLength(1);
  });

  it('tells when a member we accused proves alive (our timeout said more about us than about it)', () => {
    const m = membership();
    m.suspect('b', 0);
    expect(m.apply({ nodeId: 'b', status: 'alive', incarnation: 2 }, 500, 'b', true).accusationRefuted).toBe(
      true,
    );
    m.apply({ nodeId: 'c', status: 'suspect', incarnation: 1 }, 0, 'd', true);
    expect(m.apply({ nodeId: 'c', status: 'alive', incarnation: 2 }, 500, 'c', true).accusationRefuted).toBe(
      false,
    );
  });

  it('a slow member that refutes the suspicion in time is never declared dead', () => {
    const m = membership();
    m.suspect('b', 0);
    // b hears the suspicion and answers alive at a higher incarnation.
    const r = m.apply({ nodeId: 'b', status: 'alive', incarnation: 2 }, 600);
    expect(r.events).toEqual([{ nodeId: 'b', status: 'alive', incarnation: 2, previous: 'suspect' }]);
    expect(m.tick(5000).updates).toEqual([]);
    expect(m.status('b')).toBe('alive');
  });

  it('refutes news of its own suspicion or death by raising its incarnation', () => {
    const m = membership();
    const r = m.apply({ nodeId: 'a', status: 'suspect', incarnation: 10 }, 0);
    expect(r.refutation).toEqual({ nodeId: 'a', status: 'alive', incarnation: 11 });
    expect(r.selfAccused).toBe(true);
    expect(m.apply({ nodeId: 'a', status: 'dead', incarnation: 11 }, 0).refutation?.incarnation).toBe(12);
    // Stale news about an incarnation we already left: the sender missed our newer alive, so repeat it.
    const stale = m.apply({ nodeId: 'a', status: 'suspect', incarnation: 3 }, 0);
    expect(stale.refutation).toEqual({ nodeId: 'a', status: 'alive', incarnation: 12 });
    expect(stale.selfAccused).toBe(false);
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
    m.apply({ nodeId: 'e', status: 'dead', incarnation: 1 }, 0);
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
      (id) =>
        new Membership({
          selfNodeId: id,
          selfIncarnation: 1,
          members: ids,
          suspicion,
        }),
    );
    // 'e' crashed before anyone heard from it: a suspects it, the (long) suspicion times out at a only.
    const views = agents.slice(0, 4);
    views[0]!.suspect('e', 0);
    views[0]!.tick(5000);
    // b was wrongly suspected by c.
    views[2]!.suspect('b', 0);
    for (let round = 0; round < 30; round++) {
      for (const from of views) {
        for (const to of views) {
          if (from === to || random() < 0.5) continue;
          for (const u of from.digest()) {
            const r = to.apply(u, 5000 + round * 100);
            if (r.refutation) for (const other of views) other.apply(r.refutation, 5000 + round * 100);
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
