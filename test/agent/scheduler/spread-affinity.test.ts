import { describe, expect, it } from 'vitest';
import type { Pod, TopologySpreadConstraint } from '../../../agent/src/api/index.ts';
import { SchedulerCache } from '../../../agent/src/scheduler/cache.ts';
import { defaultProfile, prepareCycle } from '../../../agent/src/scheduler/framework.ts';
import { compilePod } from '../../../agent/src/scheduler/pod-info.ts';
import { runFilters, schedulePod, scoreNodes } from '../../../agent/src/scheduler/schedule-one.ts';
import { seededRandom } from '../../../agent/src/scheduler/seeded-random.ts';
import { bound, node, pod } from './fixtures.ts';

const zoned = (name: string, zone?: string) =>
  node(name, { labels: zone === undefined ? {} : { 'topology.kubernetes.io/zone': zone } });
const nodes = [zoned('a1', 'a'), zoned('a2', 'a'), zoned('b1', 'b'), zoned('nozone')];
const web = (name: string) => pod(name, { labels: { app: 'web' }, cpu: '10m' });
const spread = (c: Partial<TopologySpreadConstraint>): Pod =>
  pod('new', {
    labels: { app: 'web' },
    cpu: '10m',
    spec: {
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: 'web' } },
          ...c,
        },
      ],
    },
  });

/** Filter verdict per node name: undefined (fits) or the first reason. */
function verdicts(pods: Pod[], incoming: Pod): Record<string, string | undefined> {
  const cache = SchedulerCache.fromObjects({ nodes, pods });
  const prepared = prepareCycle(compilePod(incoming), cache);
  if (!prepared.ok) throw new Error(prepared.message);
  const filters = defaultProfile().filters.filter((f) => f.applies(prepared.state));
  return Object.fromEntries(
    cache.nodes.map((n) => [n.name, runFilters(prepared.state, filters, n)?.reasons[0]]),
  );
}

describe('topologySpreadConstraints', () => {
  const SKEW = "node(s) didn't match pod topology spread constraints";
  const MISSING = "node(s) didn't match pod topology spread constraints (missing required label)";

  it('DoNotSchedule rejects the domain that would exceed maxSkew and nodes without the key', () => {
    // zone a: 2 web pods, zone b: 0 → a would reach skew 3 − 0 > 1.
    const pods = [bound(web('w1'), 'a1'), bound(web('w2'), 'a2')];
    expect(verdicts(pods, spread({}))).toEqual({ a1: SKEW, a2: SKEW, b1: undefined, nozone: MISSING });
    // maxSkew 2 still rejects a (2 + 1 − 0 = 3); maxSkew 3 allows it.
    expect(verdicts(pods, spread({ maxSkew: 3 })).a1).toBeUndefined();
  });

  it('counts only matching pods of the same namespace, not terminating ones', () => {
    const other = { ...web('w3'), metadata: { ...web('w3').metadata, namespace: 'other' } };
    const dying = web('w4');
    dying.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
    const pods = [bound(web('w1'), 'a1'), bound(other, 'a1'), bound(dying, 'a2'), bound(pod('x'), 'a2')];
    // zone a: 1, zone b: 0 → a: 1 + 1 − 0 = 2 > 1.
    expect(verdicts(pods, spread({})).a1).toBe(SKEW);
    expect(verdicts(pods, spread({ maxSkew: 2 })).a1).toBeUndefined();
  });

  it('minDomains above the number of domains makes the global minimum 0', () => {
    const pods = [bound(web('w1'), 'a1'), bound(web('w2'), 'b1')];
    // Minimum is 1 in both zones: skew 1 + 1 − 1 = 1 is fine...
    expect(verdicts(pods, spread({})).a1).toBeUndefined();
    // ...unless 3 domains are required: then the minimum counts as 0 and 2 > 1.
    expect(verdicts(pods, spread({ minDomains: 3 })).a1).toBe(SKEW);
  });

  it('places a whole set evenly across zones through the scheduler', () => {
    const cache = SchedulerCache.fromObjects({ nodes });
    const algo = { nextStartNodeIndex: 0, random: seededRandom(7) };
    const perZone: Record<string, number> = {};
    for (let i = 0; i < 6; i++) {
      const p = spread({});
      p.metadata.name = `w${i}`;
      p.metadata.uid = `uid-w${i}`;
      const r = schedulePod(cache, compilePod(p), defaultProfile(), algo);
      if (r.kind !== 'Scheduled') throw new Error(r.message);
      cache.assumePod(compilePod(p), r.nodeName);
      const zone = cache.nodeInfo(r.nodeName)?.zone ?? '';
      perZone[zone] = (perZone[zone] ?? 0) + 1;
    }
    expect(perZone).toEqual({ a: 3, b: 3 });
  });

  it('ScheduleAnyway scores emptier domains higher and never rejects', () => {
    const pods = [bound(web('w1'), 'a1'), bound(web('w2'), 'a2')];
    const cache = SchedulerCache.fromObjects({ nodes, pods });
    const soft = spread({ whenUnsatisfiable: 'ScheduleAnyway' });
    const prepared = prepareCycle(compilePod(soft), cache);
    if (!prepared.ok) throw new Error(prepared.message);
    expect(prepared.state.spread).toBeUndefined();
    const plugin = defaultProfile().scores.filter((p) => p.name === 'PodTopologySpread');
    const scores = scoreNodes(prepared.state, plugin, cache.nodes);
    const byName = Object.fromEntries(cache.nodes.map((n, i) => [n.name, (scores[i] ?? 0) / 2]));
    // a: 2 pods, b: 0 → max 2·log 4, min 0: a scores 0, b 100; the node without a zone 0.
    expect(byName).toEqual({ a1: 0, a2: 0, b1: 100, nozone: 0 });
  });
});

describe('preferred pod affinity and anti-affinity', () => {
  const withPrefs = (affinity: number, anti: number): Pod =>
    pod('new', {
      spec: {
        affinity: {
          podAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: affinity,
                podAffinityTerm: {
                  labelSelector: { matchLabels: { app: 'cache' } },
                  topologyKey: 'topology.kubernetes.io/zone',
                },
              },
            ],
          },
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: anti,
                podAffinityTerm: {
                  labelSelector: { matchLabels: { app: 'noisy' } },
                  topologyKey: 'kubernetes.io/hostname',
                },
              },
            ],
          },
        },
      },
    });
  const pods = [
    bound(pod('c1', { labels: { app: 'cache' } }), 'a1'),
    bound(pod('n1', { labels: { app: 'noisy' } }), 'a1'),
  ];

  function scores(p: Pod): Record<string, number> {
    const cache = SchedulerCache.fromObjects({ nodes, pods });
    const prepared = prepareCycle(compilePod(p), cache);
    if (!prepared.ok) throw new Error(prepared.message);
    const plugin = defaultProfile().scores.filter((s) => s.name === 'InterPodAffinity');
    const totals = scoreNodes(prepared.state, plugin, cache.nodes);
    return Object.fromEntries(cache.nodes.map((n, i) => [n.name, (totals[i] ?? 0) / 2]));
  }

  it('zone a attracts (cache there), node a1 repels (noisy there): a2 is best', () => {
    // raw: a1 = 10 − 20 = −10, a2 = 10, b1 = 0, nozone = 0 → min −10, max 10.
    expect(scores(withPrefs(10, 20))).toEqual({ a1: 0, a2: 100, b1: 50, nozone: 50 });
  });

  it('weights decide between attraction and repulsion', () => {
    // a1 = 50 − 1 = 49 is now the best, a2 = 50 close behind.
    const s = scores(withPrefs(50, 1));
    expect(s.a2).toBe(100);
    expect(s.a1).toBe(98);
    expect(s.b1).toBe(0);
  });

  it('changes where the scheduler puts the pod', () => {
    const cache = SchedulerCache.fromObjects({ nodes, pods });
    const r = schedulePod(cache, compilePod(withPrefs(100, 100)), defaultProfile(), {
      nextStartNodeIndex: 0,
      random: seededRandom(3),
    });
    expect(r.kind === 'Scheduled' && r.nodeName).toBe('a2');
  });
});
