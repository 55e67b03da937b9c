/** Whole pipeline (filter -> score -> select) over a cache, placing pods one after another. */
import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '../../../agent/src/api/index.ts';
import { SchedulerCache } from '../../../agent/src/scheduler/cache.ts';
import { defaultProfile, type Profile } from '../../../agent/src/scheduler/framework.ts';
import { compilePod } from '../../../agent/src/scheduler/pod-info.ts';
import { type ScheduleResult, schedulePod } from '../../../agent/src/scheduler/schedule-one.ts';
import { seededRandom } from '../../../agent/src/scheduler/seeded-random.ts';
import { bound, node, pod } from './fixtures.ts';

/** Schedules and assumes each pod in turn; returns the results and pods per node. */
function placeAll(cache: SchedulerCache, pods: Pod[], profile: Profile = defaultProfile(), seed = 1) {
  const algo = { nextStartNodeIndex: 0, random: seededRandom(seed) };
  const results: ScheduleResult[] = [];
  const perNode = new Map<string, number>();
  for (const p of pods) {
    const info = compilePod(p);
    const r = schedulePod(cache, info, profile, algo);
    results.push(r);
    if (r.kind === 'Scheduled') {
      cache.assumePod(info, r.nodeName);
      perNode.set(r.nodeName, (perNode.get(r.nodeName) ?? 0) + 1);
    }
  }
  return { results, perNode };
}

const replicas = (n: number, o: Parameters<typeof pod>[1] = {}) =>
  Array.from({ length: n }, (_, i) =>
    pod(`web-${i}`, { owner: 'web', labels: { app: 'web' }, cpu: '100m', memory: '128Mi', ...o }),
  );

describe('spreading', () => {
  it('puts 10 replicas on 3 equal nodes as 4/3/3', () => {
    for (const seed of [1, 2, 3, 42]) {
      const cache = SchedulerCache.fromObjects({ nodes: [node('a'), node('b'), node('c')] });
      const { perNode } = placeAll(cache, replicas(10), defaultProfile(), seed);
      expect([...perNode.values()].sort()).toEqual([3, 3, 4]);
    }
  });
  it('spreads one owner even when another owner already fills a node', () => {
    const others = Array.from({ length: 3 }, (_, i) =>
      bound(pod(`db-${i}`, { owner: 'db', cpu: '100m', memory: '128Mi' }), 'a'),
    );
    const cache = SchedulerCache.fromObjects({ nodes: [node('a'), node('b'), node('c')], pods: others });
    const { perNode } = placeAll(cache, replicas(6));
    expect(Math.max(...perNode.values()) - Math.min(...perNode.values())).toBeLessThanOrEqual(1);
  });
});

describe('anti-affinity', () => {
  it('places at most one replica per node and reports the rest', () => {
    const anti = {
      spec: {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
            ],
          },
        },
      },
    };
    const cache = SchedulerCache.fromObjects({ nodes: [node('a'), node('b'), node('c')] });
    const { results, perNode } = placeAll(cache, replicas(5, anti));
    expect([...perNode.values()]).toEqual([1, 1, 1]);
    const failed = results.filter((r) => r.kind === 'Unschedulable');
    expect(failed).toHaveLength(2);
    expect(failed[0]?.kind === 'Unschedulable' && failed[0].message).toBe(
      "0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules.",
    );
  });
});

describe('taints', () => {
  it('keeps pods off tainted nodes unless they tolerate the taint', () => {
    const edge = node('edge', { taints: [{ key: 'node-role', value: 'edge', effect: 'NoSchedule' }] });
    const cache = SchedulerCache.fromObjects({ nodes: [edge, node('core')] });
    const { perNode } = placeAll(cache, replicas(4));
    expect(perNode.get('edge')).toBeUndefined();
    const tolerant = replicas(4, {
      owner: 'edge-app',
      tolerations: [{ key: 'node-role', value: 'edge', effect: 'NoSchedule' }],
    });
    const again = placeAll(
      cache,
      tolerant.map((p, i) => ({ ...p, metadata: { ...p.metadata, uid: `t-${i}` } })),
    );
    expect(again.perNode.get('edge')).toBeGreaterThan(0);
  });
});

describe('utilisation steering', () => {
  const busy = (): SchedulerCache => {
    const cache = SchedulerCache.fromObjects({ nodes: [node('a'), node('b'), node('c')] });
    // Same requests everywhere (none); node a is measurably busy.
    cache.apply({
      kind: 'NodeUtilisation',
      nodeName: 'a',
      utilisation: { cpuMilli: 3600, memoryBytes: 6 * 1024 ** 3 },
    });
    cache.apply({
      kind: 'NodeUtilisation',
      nodeName: 'b',
      utilisation: { cpuMilli: 400, memoryBytes: 1024 ** 3 },
    });
    cache.apply({
      kind: 'NodeUtilisation',
      nodeName: 'c',
      utilisation: { cpuMilli: 400, memoryBytes: 1024 ** 3 },
    });
    return cache;
  };
  it('sends ownerless pods away from the busy node', () => {
    const pods = Array.from({ length: 8 }, (_, i) => pod(`job-${i}`, { cpu: '100m', memory: '128Mi' }));
    const { perNode } = placeAll(busy(), pods);
    expect(perNode.get('a')).toBeUndefined();
    expect((perNode.get('b') ?? 0) + (perNode.get('c') ?? 0)).toBe(8);
  });
  it('gives the busy node fewer replicas than spreading by requests alone would', () => {
    const { perNode } = placeAll(busy(), replicas(9));
    expect(perNode.get('a') ?? 0).toBeLessThan(3);
    const idle = SchedulerCache.fromObjects({ nodes: [node('a'), node('b'), node('c')] });
    expect(placeAll(idle, replicas(9)).perNode.get('a')).toBe(3);
  });
});

describe('FailedScheduling message', () => {
  it('aggregates reasons per node and sorts them as strings, as kube-scheduler does', () => {
    const nodes: Node[] = [
      node('small-1', { cpu: '1' }),
      node('small-2', { cpu: '1' }),
      node('edge', { cpu: '8', taints: [{ key: 'node-role', value: 'edge', effect: 'NoSchedule' }] }),
    ];
    const cache = SchedulerCache.fromObjects({ nodes });
    const { results } = placeAll(cache, [pod('big', { cpu: '2' })]);
    const r = results[0];
    expect(r?.kind).toBe('Unschedulable');
    if (r?.kind !== 'Unschedulable') return;
    expect(r.message).toBe(
      '0/3 nodes are available: 1 node(s) had untolerated taint {node-role: edge}, 2 Insufficient cpu.',
    );
    expect([...r.unschedulablePlugins].sort()).toEqual(['NodeResourcesFit', 'TaintToleration']);
  });
  it('counts every shortfall of a node, and says so when there are no nodes or no claim', () => {
    const cache = SchedulerCache.fromObjects({
      nodes: [node('n1', { cpu: '1', memory: '1Gi' }), node('n2', { ready: false })],
    });
    const { results } = placeAll(cache, [pod('p', { cpu: '2', memory: '2Gi' })]);
    expect(results[0]?.kind === 'Unschedulable' && results[0].message).toBe(
      '0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) were not ready.',
    );
    expect(placeAll(new SchedulerCache(), [pod('p')]).results[0]).toMatchObject({
      message: 'no nodes available to schedule pods',
    });
    const claim = pod('c', {
      spec: { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] },
    });
    expect(placeAll(cache, [claim]).results[0]).toMatchObject({
      message: '0/2 nodes are available: persistentvolumeclaim "data" not found.',
    });
  });
});

describe('sampling (percentageOfNodesToScore)', () => {
  it('stops filtering after enough feasible nodes and rotates the start', () => {
    const nodes = Array.from({ length: 500 }, (_, i) => node(`n${String(i).padStart(3, '0')}`));
    const cache = SchedulerCache.fromObjects({ nodes });
    const { results } = placeAll(cache, [pod('p1'), pod('p2')]);
    // 500 nodes: 50 - 500/125 = 46% -> 230 feasible nodes sought.
    expect(results[0]).toMatchObject({ kind: 'Scheduled', evaluatedNodes: 230, feasibleNodes: 230 });
    const full = placeAll(
      SchedulerCache.fromObjects({ nodes }),
      [pod('p3')],
      defaultProfile({ percentageOfNodesToScore: 100 }),
    );
    expect(full.results[0]).toMatchObject({ evaluatedNodes: 500 });
  });
});
