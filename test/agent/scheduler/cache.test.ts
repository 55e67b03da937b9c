import { describe, expect, it } from 'vitest';
import type { Namespace, Node, PersistentVolumeClaim, Pod } from '../../../agent/src/api/index.ts';
import { SchedulerCache } from '../../../agent/src/scheduler/cache.ts';
import { compilePod, podKey } from '../../../agent/src/scheduler/pod-info.ts';
import { seededRandom } from '../../../agent/src/scheduler/seeded-random.ts';
import { bound, node, pod } from './fixtures.ts';

/** The final objects of a random history, and the cache that saw the history event by event. */
function randomHistory(seed: number, steps: number) {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(r() * xs.length)];
  const cache = new SchedulerCache();
  const nodes = new Map<string, Node>();
  const pods = new Map<string, Pod>();
  const claims = new Map<string, PersistentVolumeClaim>();
  const namespaces = new Map<string, Namespace>();
  /** Assumed pods awaiting confirmation or forgetting. */
  const assumed = new Map<string, string>();
  const nodeNames = ['n1', 'n2', 'n3', 'n4'];
  let podSeq = 0;

  const newPod = (): Pod => {
    const i = podSeq++;
    const anti = r() < 0.2;
    return pod(`p${i}`, {
      cpu: `${1 + Math.floor(r() * 500)}m`,
      memory: `${1 + Math.floor(r() * 512)}Mi`,
      labels: { app: pick(['a', 'b', 'c'])! },
      ...(r() < 0.5 ? { owner: pick(['x', 'y'])! } : {}),
      ...(r() < 0.2 ? { hostPort: 8000 + Math.floor(r() * 3) } : {}),
      ...(anti
        ? {
            spec: {
              affinity: {
                podAntiAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: [
                    { labelSelector: { matchLabels: { app: 'a' } }, topologyKey: 'kubernetes.io/hostname' },
                  ],
                },
              },
            },
          }
        : {}),
    });
  };
  const emit = (p: Pod) =>
    cache.apply({ kind: 'Pod', type: pods.has(podKey(p)) ? 'MODIFIED' : 'ADDED', object: p });

  for (let step = 0; step < steps; step++) {
    const roll = r();
    const unbound = [...pods.values()].filter((p) => !p.spec.nodeName && !assumed.has(podKey(p)));
    const boundPods = [...pods.values()].filter((p) => p.spec.nodeName);
    if (roll < 0.12) {
      const n = node(pick(nodeNames)!, {
        cpu: pick(['2', '4', '8'])!,
        labels: { zone: pick(['a', 'b'])! },
        ready: r() < 0.9,
      });
      cache.apply({ kind: 'Node', type: nodes.has(n.metadata.name!) ? 'MODIFIED' : 'ADDED', object: n });
      nodes.set(n.metadata.name!, n);
    } else if (roll < 0.16) {
      const name = pick([...nodes.keys()]);
      if (name !== undefined) {
        cache.apply({ kind: 'Node', type: 'DELETED', object: nodes.get(name)! });
        nodes.delete(name);
      }
    } else if (roll < 0.36) {
      const p = newPod();
      emit(p);
      pods.set(podKey(p), p);
    } else if (roll < 0.5) {
      const p = pick(unbound);
      if (p !== undefined) {
        cache.assumePod(compilePod(p), pick(nodeNames)!);
        assumed.set(podKey(p), '');
      }
    } else if (roll < 0.62) {
      // The binding commits (usually where assumed) or fails (forget).
      const key = pick([...assumed.keys()]);
      if (key !== undefined) {
        assumed.delete(key);
        const p = pods.get(key)!;
        if (r() < 0.7) {
          const b = bound(p, cache.nodeOf(key) ?? 'n1');
          emit(b);
          pods.set(key, b);
        } else {
          expect(cache.forgetPod(key)).toBeUndefined();
        }
      }
    } else if (roll < 0.7) {
      const p = pick(unbound);
      if (p !== undefined) {
        const b = bound(p, pick(nodeNames)!);
        emit(b);
        pods.set(podKey(b), b);
      }
    } else if (roll < 0.78) {
      const p = pick(boundPods);
      if (p !== undefined) {
        const next: Pod = { ...p, metadata: { ...p.metadata, labels: { app: pick(['a', 'b', 'c'])! } } };
        emit(next);
        pods.set(podKey(next), next);
      }
    } else if (roll < 0.84) {
      const p = pick(boundPods);
      if (p !== undefined) {
        const done: Pod = { ...p, status: { phase: r() < 0.5 ? 'Succeeded' : 'Failed' } };
        emit(done);
        pods.set(podKey(done), done);
      }
    } else if (roll < 0.94) {
      const p = pick([...pods.values()]);
      if (p !== undefined && !assumed.has(podKey(p))) {
        cache.apply({ kind: 'Pod', type: 'DELETED', object: p });
        pods.delete(podKey(p));
      }
    } else if (roll < 0.97) {
      const name = pick(['c1', 'c2'])!;
      const c: PersistentVolumeClaim = { metadata: { name, namespace: 'default' }, spec: {} };
      if (claims.has(name) && r() < 0.5) {
        cache.apply({ kind: 'PersistentVolumeClaim', type: 'DELETED', object: c });
        claims.delete(name);
      } else {
        cache.apply({
          kind: 'PersistentVolumeClaim',
          type: claims.has(name) ? 'MODIFIED' : 'ADDED',
          object: c,
        });
        claims.set(name, c);
      }
    } else {
      const ns: Namespace = { metadata: { name: pick(['x', 'y'])!, labels: { team: pick(['t1', 't2'])! } } };
      cache.apply({
        kind: 'Namespace',
        type: namespaces.has(ns.metadata.name!) ? 'MODIFIED' : 'ADDED',
        object: ns,
      });
      namespaces.set(ns.metadata.name!, ns);
    }
  }
  // Every binding in flight resolves before the comparison.
  for (const key of assumed.keys()) {
    const p = pods.get(key)!;
    const b = bound(p, cache.nodeOf(key)!);
    emit(b);
    pods.set(key, b);
  }
  return {
    cache,
    rebuilt: SchedulerCache.fromObjects({
      nodes: [...nodes.values()],
      pods: [...pods.values()],
      claims: [...claims.values()],
      namespaces: [...namespaces.values()],
    }),
  };
}

describe('scheduler cache', () => {
  it('after any random sequence of events equals a cache rebuilt from the final objects', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const { cache, rebuilt } = randomHistory(seed, 400);
      expect(cache.describe(), `seed ${seed}`).toEqual(rebuilt.describe());
    }
  });

  it('an assumed pod takes room at once and gives it back when forgotten', () => {
    const cache = SchedulerCache.fromObjects({ nodes: [node('n1', { cpu: '1' })] });
    const p = compilePod(pod('p', { cpu: '600m' }));
    expect(cache.assumePod(p, 'n1')).toBeUndefined();
    expect(cache.nodeInfo('n1')!.requested.cpu).toBe(600);
    expect(cache.assumePod(p, 'n1')?.kind).toBe('Conflict');
    // A status update of the still-unbound pod does not drop the assumption.
    cache.apply({ kind: 'Pod', type: 'MODIFIED', object: p.pod });
    expect(cache.isAssumed(p.key)).toBe(true);
    expect(cache.forgetPod(p.key)).toBeUndefined();
    expect(cache.nodeInfo('n1')!.requested.cpu).toBe(0);
    expect(cache.forgetPod(p.key)?.kind).toBe('NotFound');
  });

  it('confirms an assumed pod when the watch shows it bound, and then cannot forget it', () => {
    const cache = SchedulerCache.fromObjects({ nodes: [node('n1'), node('n2')] });
    const p = pod('p', { cpu: '500m' });
    cache.assumePod(compilePod(p), 'n1');
    cache.apply({ kind: 'Pod', type: 'MODIFIED', object: bound(p, 'n2') });
    expect(cache.isAssumed(podKey(p))).toBe(false);
    expect(cache.nodeInfo('n1')!.requested.cpu).toBe(0);
    expect(cache.nodeInfo('n2')!.requested.cpu).toBe(500);
    expect(cache.forgetPod(podKey(p))?.kind).toBe('NotFound');
  });
});
