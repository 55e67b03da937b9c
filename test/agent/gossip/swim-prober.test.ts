import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalHealth } from '../../../agent/src/gossip/local-health.ts';
import { Membership, type MemberUpdate } from '../../../agent/src/gossip/membership.ts';
import {
  defaultProbeTiming,
  type ProbeTransport,
  SwimProber,
} from '../../../agent/src/gossip/swim-prober.ts';
import { seededRandom } from './seeded-random.ts';

/** A transport scripted per test: each call is recorded; answers come from the functions given. */
function transport(script: Partial<ProbeTransport>): ProbeTransport & { pings: (number | undefined)[] } {
  const hang = (signal: AbortSignal) =>
    new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
  const pings: (number | undefined)[] = [];
  return {
    pings,
    ping: (nodeId, signal, suspectedAt) => {
      pings.push(suspectedAt);
      return script.ping ? script.ping(nodeId, signal, suspectedAt) : hang(signal);
    },
    pingThrough: (helper, target, timeoutMs, signal) =>
      script.pingThrough ? script.pingThrough(helper, target, timeoutMs, signal) : hang(signal),
  };
}

function setup(t: ProbeTransport) {
  const membership = new Membership({
    selfNodeId: 'a',
    selfIncarnation: 10,
    members: ['a', 'b', 'c', 'd'],
    suspicion: { minMs: 1000, maxMs: 5000, confirmations: 3 },
  });
  for (const id of ['b', 'c', 'd'])
    membership.apply({ nodeId: id, status: 'alive', incarnation: 1 }, 0, id, true);
  const health = new LocalHealth({ maxScore: 7, lagThresholdMs: 50 });
  const gossiped: MemberUpdate[] = [];
  const prober = new SwimProber({
    membership,
    transport: t,
    timing: defaultProbeTiming,
    health,
    gossip: (u) => gossiped.push(...u),
    report: () => {},
    random: seededRandom(1),
  });
  return { membership, health, gossiped, prober };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('SWIM prober with Lifeguard', () => {
  it('suspects a member that answers neither directly nor through helpers, after timeouts stretched by local health', async () => {
    const { membership, health, gossiped, prober } = setup(transport({ pingThrough: async () => false }));
    health.nacksMissed(1); // score 1: the 200 ms direct timeout becomes 400 ms
    const done = prober.probe('b');
    await vi.advanceTimersByTimeAsync(399);
    expect(membership.status('b')).toBe('alive');
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(membership.status('b')).toBe('suspect');
    expect(gossiped).toEqual([{ nodeId: 'b', status: 'suspect', incarnation: 1 }]);
  });

  it('an ack through any helper keeps the member alive', async () => {
    const { membership, prober } = setup(transport({ pingThrough: async (helper) => helper === 'd' }));
    const done = prober.probe('b');
    await vi.advanceTimersByTimeAsync(600);
    await done;
    expect(membership.status('b')).toBe('alive');
  });

  it('helpers that do not even answer "no" in time raise our local health score (missed nacks)', async () => {
    const { health, prober } = setup(transport({}));
    const done = prober.probe('b');
    await vi.advanceTimersByTimeAsync(200 + 300);
    await done;
    expect(health.score).toBe(2); // two helpers (c, d) silent
  });

  it('a probe that failed only after a stall of our own is not held against the member', async () => {
    // The ping's failure reaches us 3 s late (its timeout could not fire: our loop was stuck).
    const t = transport({
      ping: () => new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 3000)),
      pingThrough: async () => false,
    });
    const { membership, prober } = setup(t);
    const done = prober.probe('b');
    await vi.advanceTimersByTimeAsync(3000);
    await done;
    expect(membership.status('b')).toBe('alive');
  });

  it('buddy system: a ping to a suspect carries the suspicion, and the refuted answer clears it at once', async () => {
    const t = transport({ ping: async (_n, _s, suspectedAt) => (suspectedAt ?? 0) + 1 });
    const { membership, health, prober } = setup(t);
    health.nacksMissed(3);
    membership.apply({ nodeId: 'b', status: 'suspect', incarnation: 1 }, 0, 'c', true);
    await prober.probe('b');
    expect(t.pings).toEqual([1]);
    expect(membership.status('b')).toBe('alive');
    expect(membership.incarnation('b')).toBe(2);
    expect(health.score).toBe(2); // the ack brought the score down
  });

  it('being pinged as a suspect refutes: the answer and the gossip carry a raised incarnation', () => {
    const { membership, health, gossiped, prober } = setup(transport({}));
    expect(prober.pinged(10)).toBe(11);
    expect(gossiped).toEqual([{ nodeId: 'a', status: 'alive', incarnation: 11 }]);
    expect(health.score).toBe(1);
    expect(prober.pinged(undefined)).toBe(membership.selfIncarnation);
  });
});
