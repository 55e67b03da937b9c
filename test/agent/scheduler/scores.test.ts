import { describe, expect, it } from 'vitest';
import { selectHost } from '../../../agent/src/scheduler/schedule-one.ts';
import {
  normalizeReversed,
  normalizeToMax,
  preferredNodeAffinity,
  untoleratedPreferNoSchedule,
} from '../../../agent/src/scheduler/scores/node-preferences.ts';
import { normalizeOwnerSpread, ownerPodsOnNode } from '../../../agent/src/scheduler/scores/owner-spread.ts';
import {
  balancedAllocation,
  leastAllocated,
} from '../../../agent/src/scheduler/scores/resource-allocation.ts';
import { utilisationScore } from '../../../agent/src/scheduler/scores/utilisation.ts';
import { seededRandom } from '../../../agent/src/scheduler/seeded-random.ts';
import { bound, info, node, nodeInfo, pod } from './fixtures.ts';

describe('least allocated', () => {
  it('is the mean free share of cpu and memory after the pod', () => {
    const n = nodeInfo(node('n', { cpu: '4', memory: '4Gi' }), [
      bound(pod('a', { cpu: '1', memory: '1Gi' }), 'n'),
    ]);
    // cpu: (4000 - 2000) / 4000 = 50; memory: (4 - 2) / 4 = 50
    expect(leastAllocated(info(pod('p', { cpu: '1', memory: '1Gi' })), n)).toBe(50);
    // BestEffort pods count as 100m / 200Mi: cpu (4000-1100)/4000=72.5, memory (4096-1224)/4096=70.1
    expect(leastAllocated(info(pod('p')), n)).toBeCloseTo((72.5 + (2872 / 4096) * 100) / 2, 6);
  });
  it('is 0 for a node already over-committed', () => {
    const n = nodeInfo(node('n', { cpu: '1', memory: '1Gi' }), [
      bound(pod('a', { cpu: '2', memory: '2Gi' }), 'n'),
    ]);
    expect(leastAllocated(info(pod('p', { cpu: '1', memory: '1Gi' })), n)).toBe(0);
  });
});

describe('balanced allocation', () => {
  it('is 100 when cpu and memory fractions match and falls with their distance', () => {
    const n = nodeInfo(node('n', { cpu: '4', memory: '4Gi' }));
    expect(balancedAllocation(info(pod('p', { cpu: '1', memory: '1Gi' })), n)).toBe(100);
    // cpu 1.0, memory 0.25 -> std 0.375 -> 62.5
    expect(balancedAllocation(info(pod('p', { cpu: '4', memory: '1Gi' })), n)).toBe(62.5);
  });
});

describe('owner spread', () => {
  it('counts pods of the same controller only, and the emptiest node scores 100', () => {
    const nodes = [
      nodeInfo(node('a'), [bound(pod('w1', { owner: 'web' }), 'a'), bound(pod('w2', { owner: 'web' }), 'a')]),
      nodeInfo(node('b'), [bound(pod('w3', { owner: 'web' }), 'b'), bound(pod('d1', { owner: 'db' }), 'b')]),
      nodeInfo(node('c'), [bound(pod('d2', { owner: 'db' }), 'c')]),
    ];
    const p = info(pod('w4', { owner: 'web' }));
    const raw = Float64Array.from(nodes.map((n) => ownerPodsOnNode(p, n)));
    expect([...raw]).toEqual([2, 1, 0]);
    normalizeOwnerSpread(nodes, raw, 3);
    expect([...raw]).toEqual([0, 50, 100]);
  });
  it('weighs zones two thirds when nodes carry zone labels', () => {
    const z = (name: string, zone: string, n: number) =>
      nodeInfo(
        node(name, { labels: { 'topology.kubernetes.io/zone': zone } }),
        Array.from({ length: n }, (_, i) => bound(pod(`${name}-${i}`, { owner: 'web' }), name)),
      );
    const nodes = [z('a1', 'a', 1), z('a2', 'a', 1), z('b1', 'b', 1)];
    const raw = Float64Array.from([1, 1, 1]);
    normalizeOwnerSpread(nodes, raw, 3);
    // Equal per node (each 0); zone a holds 2, zone b 1 -> b scores (2-1)/2 of 100, weighted 2/3.
    expect(raw[2]).toBeCloseTo(100 / 3, 6);
    expect(raw[0]).toBe(0);
  });
});

describe('node preferences', () => {
  it('sums the weights of matching preferred terms, scaled to the best node', () => {
    const p = info(
      pod('p', {
        spec: {
          affinity: {
            nodeAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 80,
                  preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
                },
                { weight: 20, preference: { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] } },
              ],
            },
          },
        },
      }),
    );
    const scores = Float64Array.from(
      [
        node('a', { labels: { disk: 'ssd', gpu: '1' } }),
        node('b', { labels: { disk: 'ssd' } }),
        node('c'),
      ].map((n) => preferredNodeAffinity(p, nodeInfo(n))),
    );
    expect([...scores]).toEqual([100, 80, 0]);
    normalizeToMax(scores, 3);
    expect([...scores]).toEqual([100, 80, 0]);
  });
  it('penalises untolerated PreferNoSchedule taints', () => {
    const n = nodeInfo(
      node('a', {
        taints: [
          { key: 'x', effect: 'PreferNoSchedule' },
          { key: 'y', effect: 'PreferNoSchedule' },
        ],
      }),
    );
    expect(untoleratedPreferNoSchedule(info(pod('p')), n)).toBe(2);
    expect(
      untoleratedPreferNoSchedule(info(pod('p', { tolerations: [{ key: 'x', operator: 'Exists' }] })), n),
    ).toBe(1);
    const s = Float64Array.from([2, 1, 0]);
    normalizeReversed(s, 3);
    expect([...s]).toEqual([0, 50, 100]);
  });
});

describe('utilisation', () => {
  it('scores by the busier of measured cpu and memory, with the pod projected on top', () => {
    const n = nodeInfo(node('n', { cpu: '4', memory: '4Gi' }));
    n.utilisation = { cpuMilli: 3000, memoryBytes: 1024 ** 3 };
    // cpu (3000 + 1000) / 4000 = 1.0 -> 0
    expect(utilisationScore(info(pod('p', { cpu: '1', memory: '1Gi' })), n)).toBe(0);
    n.utilisation = { cpuMilli: 1000, memoryBytes: 1024 ** 3 };
    // cpu 0.5, memory 0.5 -> 50
    expect(utilisationScore(info(pod('p', { cpu: '1', memory: '1Gi' })), n)).toBe(50);
  });
  it('falls back to requests without a measurement', () => {
    const n = nodeInfo(node('n', { cpu: '4', memory: '4Gi' }), [
      bound(pod('a', { cpu: '2', memory: '1Gi' }), 'n'),
    ]);
    // cpu (2000 + 1000) / 4000 = 0.75 -> 25
    expect(utilisationScore(info(pod('p', { cpu: '1', memory: '1Gi' })), n)).toBe(25);
  });
});

describe('select host', () => {
  it('takes the highest score and breaks ties with the seed, reproducibly and fairly', () => {
    const nodes = ['a', 'b', 'c', 'd'].map((n) => nodeInfo(node(n)));
    const scores = Float64Array.from([10, 30, 30, 30]);
    const pick = (seed: number) => {
      const r = seededRandom(seed);
      return Array.from({ length: 300 }, () => selectHost(nodes, scores, r).name);
    };
    expect(pick(7)).toEqual(pick(7));
    const counts = new Map<string, number>();
    for (const n of pick(7)) counts.set(n, (counts.get(n) ?? 0) + 1);
    expect(counts.get('a')).toBeUndefined();
    for (const n of ['b', 'c', 'd']) expect(counts.get(n)).toBeGreaterThan(70);
  });
});
