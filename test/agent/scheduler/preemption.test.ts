import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../agent/src/api/index.ts';
import { SchedulerCache } from '../../../agent/src/scheduler/cache.ts';
import { defaultProfile } from '../../../agent/src/scheduler/framework.ts';
import { NominatedPods } from '../../../agent/src/scheduler/nominated-pods.ts';
import { compilePod } from '../../../agent/src/scheduler/pod-info.ts';
import {
  type Candidate,
  type PreemptionResult,
  pickCandidate,
  preempt,
} from '../../../agent/src/scheduler/preemption.ts';
import { type AlgorithmState, schedulePod } from '../../../agent/src/scheduler/schedule-one.ts';
import { seededRandom } from '../../../agent/src/scheduler/seeded-random.ts';
import { bound, node, pod } from './fixtures.ts';

const profile = defaultProfile();
const algo = (): AlgorithmState => ({ nextStartNodeIndex: 0, random: seededRandom(1) });

/** Runs a cycle for `incoming` and, as the scheduler does when nothing fits, preemption. */
function decide(
  nodes: ReturnType<typeof node>[],
  pods: Pod[],
  incoming: Pod,
  nominated?: NominatedPods,
): PreemptionResult {
  const cache = SchedulerCache.fromObjects({ nodes, pods });
  const info = compilePod(incoming);
  const r = schedulePod(cache, info, profile, algo(), nominated);
  if (r.kind !== 'Unschedulable') throw new Error(`expected no fit, got ${r.nodeName}`);
  return preempt({ snapshot: cache, pod: info, failures: r.failures, profile, nominated });
}

const victimsOf = (r: PreemptionResult) =>
  r.kind === 'Preempt' ? [r.nodeName, r.victims.map((v) => v.name).sort()] : [r.kind, r.message];

const at = (p: Pod, iso: string): Pod => ({ ...p, status: { ...p.status, startTime: iso } });

describe('preemption decision', () => {
  // Each node: 2 cpu. The incoming pod asks for 1 cpu at priority 100.
  const n1 = node('n1', { cpu: '2' });
  const n2 = node('n2', { cpu: '2' });
  const high = pod('high', { cpu: '1', priority: 100 });
  const cases: { name: string; pods: Pod[]; incoming?: Pod; want: unknown[] }[] = [
    {
      name: 'evicts only as much as needed: one of two lower pods',
      pods: [
        bound(pod('a', { cpu: '1', priority: 1 }), 'n1'),
        bound(pod('b', { cpu: '1', priority: 2 }), 'n1'),
        bound(pod('x', { cpu: '2', priority: 500 }), 'n2'),
      ],
      // The less important one (priority 1) goes; b is reprieved.
      want: ['n1', ['a']],
    },
    {
      name: 'minimises the highest victim priority across nodes',
      pods: [
        bound(pod('a', { cpu: '2', priority: 50 }), 'n1'),
        bound(pod('b', { cpu: '1', priority: 10 }), 'n2'),
        bound(pod('c', { cpu: '1', priority: 20 }), 'n2'),
      ],
      want: ['n2', ['b']],
    },
    {
      name: 'then the sum of priorities',
      pods: [
        bound(pod('a', { cpu: '1', priority: 30 }), 'n1'),
        bound(pod('b', { cpu: '1', priority: 20 }), 'n1'),
        bound(pod('c', { cpu: '1', priority: 30 }), 'n2'),
        bound(pod('d', { cpu: '1', priority: 5 }), 'n2'),
      ],
      // Both nodes must be emptied for a 2-cpu pod; the top victim is 30 on both; n2's sum is lower.
      incoming: pod('big', { cpu: '2', priority: 100 }),
      want: ['n2', ['c', 'd']],
    },
    {
      name: 'reprieves the more important pods first; full ties go to the first node',
      pods: [
        bound(pod('a', { cpu: '500m', priority: -5 }), 'n1'),
        bound(pod('b', { cpu: '1500m', priority: 10 }), 'n1'),
        bound(pod('c', { cpu: '1', priority: 10 }), 'n2'),
        bound(pod('d', { cpu: '1', priority: 10 }), 'n2'),
      ],
      // n1: b (more important) is tried back first and does not fit, so b goes and a stays;
      // n2: one of c, d. Same top priority, sum, count and start: n1 wins by order.
      want: ['n1', ['b']],
    },
    {
      name: 'never evicts pods of equal or higher priority',
      pods: [
        bound(pod('a', { cpu: '2', priority: 100 }), 'n1'),
        bound(pod('b', { cpu: '2', priority: 200 }), 'n2'),
      ],
      want: [
        'NoCandidate',
        'preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
      ],
    },
    {
      name: 'preemptionPolicy Never does not preempt',
      pods: [
        bound(pod('a', { cpu: '2', priority: 1 }), 'n1'),
        bound(pod('b', { cpu: '2', priority: 1 }), 'n2'),
      ],
      incoming: pod('polite', { cpu: '1', priority: 100, spec: { preemptionPolicy: 'Never' } }),
      want: ['NotEligible', 'preemption: not eligible due to preemptionPolicy=Never.'],
    },
    {
      name: 'nodes rejected for reasons eviction cannot fix are not candidates',
      pods: [
        bound(pod('a', { cpu: '2', priority: 1 }), 'n1'),
        bound(pod('b', { cpu: '2', priority: 1 }), 'n2'),
      ],
      incoming: pod('picky', { cpu: '1', priority: 100, nodeSelector: { disk: 'ssd' } }),
      want: [
        'NoCandidate',
        'preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
      ],
    },
    {
      name: 'a host port conflict is resolved by evicting its holder',
      pods: [
        bound(pod('web', { cpu: '100m', priority: 1, hostPort: 80 }), 'n1'),
        bound(pod('web2', { cpu: '100m', priority: 5, hostPort: 80 }), 'n2'),
      ],
      incoming: pod('proxy', { cpu: '100m', priority: 100, hostPort: 80 }),
      want: ['n1', ['web']],
    },
    {
      name: 'anti-affinity conflict: evicting the matching lower pod clears it',
      pods: [
        bound(pod('db1', { cpu: '100m', priority: 1, labels: { app: 'db' } }), 'n1'),
        bound(pod('db2', { cpu: '100m', priority: 3, labels: { app: 'db' } }), 'n2'),
        bound(pod('other', { cpu: '100m', priority: 0 }), 'n1'),
      ],
      incoming: pod('db3', {
        cpu: '100m',
        priority: 100,
        labels: { app: 'db' },
        spec: {
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' },
              ],
            },
          },
        },
      }),
      // Only db1 needs to go on n1 (other is reprieved: it does not conflict).
      want: ['n1', ['db1']],
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      expect(victimsOf(decide([n1, n2], c.pods, c.incoming ?? high))).toEqual(c.want);
    });

  it('spares the pod that has run longer among equal priorities', () => {
    const pods = [
      bound(at(pod('old', { cpu: '1', priority: 1 }), '2024-01-01T00:00:00Z'), 'n1'),
      bound(at(pod('new', { cpu: '1', priority: 1 }), '2024-06-01T00:00:00Z'), 'n1'),
    ];
    expect(victimsOf(decide([n1], pods, high))).toEqual(['n1', ['new']]);
  });

  it('waits instead of preempting again while its victims on the nominated node terminate', () => {
    const dying = bound(pod('a', { cpu: '2', priority: 1 }), 'n1');
    dying.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
    const nominated = new NominatedPods();
    nominated.add(compilePod(high), 'n1');
    expect(victimsOf(decide([n1], [dying], high, nominated))).toEqual([
      'NotEligible',
      'preemption: not eligible due to a terminating pod on the nominated node.',
    ]);
  });

  it('room nominated to a more important pod is not taken by a less important one', () => {
    const cache = SchedulerCache.fromObjects({ nodes: [n1] });
    const nominated = new NominatedPods();
    nominated.add(compilePod(pod('vip', { cpu: '2', priority: 1000 })), 'n1');
    const r = schedulePod(
      cache,
      compilePod(pod('late', { cpu: '1', priority: 10 })),
      profile,
      algo(),
      nominated,
    );
    expect(r.kind).toBe('Unschedulable');
    // A pod more important than the nominated one may still go there.
    const r2 = schedulePod(
      cache,
      compilePod(pod('boss', { cpu: '1', priority: 2000 })),
      profile,
      algo(),
      nominated,
    );
    expect(r2.kind).toBe('Scheduled');
  });

  it('a nominated pod goes to its node first', () => {
    const cache = SchedulerCache.fromObjects({ nodes: [n1, n2] });
    const nominated = new NominatedPods();
    const p = compilePod(pod('p', { cpu: '1', priority: 5 }));
    nominated.add(p, 'n2');
    for (let i = 0; i < 5; i++) {
      const r = schedulePod(cache, p, profile, { nextStartNodeIndex: i, random: seededRandom(i) }, nominated);
      expect(r.kind === 'Scheduled' && r.nodeName).toBe('n2');
    }
  });

  it('pickCandidate orders by highest priority, sum, count, then latest start of the top victims', () => {
    const v = (name: string, priority: number, start = 0) =>
      compilePod(at(pod(name, { priority }), new Date(start).toISOString()));
    const c = (nodeName: string, ...victims: ReturnType<typeof v>[]): Candidate => ({ nodeName, victims });
    const table: [Candidate[], string][] = [
      [[c('a', v('x', 9)), c('b', v('y', 3), v('z', 3))], 'b'],
      [[c('a', v('x', 3), v('w', 2)), c('b', v('y', 3), v('z', 1))], 'b'],
      [[c('a', v('x', 3), v('w', -1)), c('b', v('y', 3))], 'b'],
      [[c('a', v('x', 3, 1000)), c('b', v('y', 3, 5000))], 'b'],
      [[c('a', v('x', 3, 5000)), c('b', v('y', 3, 5000))], 'a'],
      [[c('a', v('x', -10), v('w', -10)), c('b', v('y', -10))], 'b'],
    ];
    for (const [cands, want] of table) expect(pickCandidate(cands)?.nodeName).toBe(want);
    expect(pickCandidate([])).toBeUndefined();
  });
});
