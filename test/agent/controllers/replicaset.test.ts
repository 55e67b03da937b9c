import { describe, expect, it } from 'vitest';
import type { Pod, ReplicaSet } from '../../../agent/src/api/index.ts';
import { replicaSetController } from '../../../agent/src/controllers/replicaset/controller.ts';
import { deletionOrder } from '../../../agent/src/controllers/replicaset/pod-ranking.ts';
import { reconcileReplicaSet } from '../../../agent/src/controllers/replicaset/reconcile.ts';
import { PODS, REPLICASETS } from '../../../agent/src/controllers/runtime/client.ts';
import { seededRandom } from '../../../agent/src/controllers/shared/names.ts';
import { NOW, pod, replicaSet } from './fixtures.ts';
import { readyPods, TestCluster } from './harness.ts';

const random = seededRandom(1);
const kinds = (r: { actions: readonly { kind: string }[] }) => r.actions.map((a) => a.kind);

describe('ReplicaSet reconcile', () => {
  it('creates the missing pods named <rs>-<5 chars> with a controller reference and the template labels', () => {
    const rs = replicaSet('web-abc', 3);
    const r = reconcileReplicaSet({
      rs,
      pods: [pod('web-abc-1', { owner: rs, node: 'n1' })],
      now: NOW,
      random,
    });
    const creates = r.actions.filter((a) => a.kind === 'create');
    expect(creates).toHaveLength(2);
    for (const c of creates) {
      if (c.kind !== 'create') continue;
      expect(c.object.metadata.name).toMatch(/^web-abc-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(c.object.metadata.labels).toEqual({ app: 'web' });
      expect(c.object.metadata.ownerReferences?.[0]).toMatchObject({
        kind: 'ReplicaSet',
        uid: rs.metadata.uid,
        controller: true,
      });
    }
    expect(r.actions.filter((a) => a.kind === 'event')).toHaveLength(2);
  });

  it('deletes the cheapest pods first: unscheduled, then not ready, then newest', () => {
    const rs = replicaSet('web-abc', 1);
    const pods = [
      pod('old-ready', { owner: rs, node: 'n1', ready: true, createdAt: NOW - 100_000 }),
      pod('new-ready', { owner: rs, node: 'n2', ready: true, createdAt: NOW - 10_000 }),
      pod('not-ready', { owner: rs, node: 'n3', ready: false }),
      pod('unscheduled', { owner: rs }),
    ];
    const r = reconcileReplicaSet({ rs, pods, now: NOW, random });
    const deleted = r.actions.flatMap((a) => (a.kind === 'delete' ? [a.name] : []));
    expect(deleted).toEqual(['unscheduled', 'not-ready', 'new-ready']);
  });

  it('prefers deleting a pod that shares its node with another replica', () => {
    const rs = replicaSet('web-abc', 2);
    const pods = [
      pod('a', { owner: rs, node: 'n1', ready: true, createdAt: NOW - 50_000 }),
      pod('b', { owner: rs, node: 'n1', ready: true, createdAt: NOW - 90_000 }),
      pod('c', { owner: rs, node: 'n2', ready: true, createdAt: NOW - 10_000 }),
    ];
    expect(deletionOrder(pods).map((p) => p.metadata.name)[0]).toBe('a');
  });

  it('ignores pods being deleted or finished when counting', () => {
    const rs = replicaSet('web-abc', 2);
    const pods = [
      pod('a', { owner: rs, node: 'n1', ready: true }),
      pod('gone', { owner: rs, node: 'n1', ready: true, deleting: true }),
      pod('done', { owner: rs, node: 'n1', phase: 'Failed' }),
    ];
    const r = reconcileReplicaSet({ rs, pods, now: NOW, random });
    expect(r.actions.filter((a) => a.kind === 'create')).toHaveLength(1);
  });

  it('adopts a matching orphan and releases an owned pod whose labels no longer match', () => {
    const rs = replicaSet('web-abc', 2);
    const orphan = pod('orphan', { node: 'n1', ready: true });
    const strayed = pod('strayed', { owner: rs, node: 'n1', ready: true, labels: { app: 'other' } });
    const foreign = pod('foreign', { owner: replicaSet('other', 1), node: 'n1' });
    const r = reconcileReplicaSet({ rs, pods: [orphan, strayed, foreign], now: NOW, random });
    const updates = r.actions.filter((a) => a.kind === 'update');
    expect(updates.map((u) => (u.kind === 'update' ? u.object.metadata.name : ''))).toEqual([
      'orphan',
      'strayed',
    ]);
    const adopted = updates[0];
    if (adopted?.kind !== 'update') throw new Error('no adoption');
    expect(adopted.object.metadata.ownerReferences?.[0]?.uid).toBe(rs.metadata.uid);
    expect(adopted.object.metadata.resourceVersion).toBe(orphan.metadata.resourceVersion);
    const released = updates[1];
    expect(released?.kind === 'update' && released.object.metadata.ownerReferences).toBeUndefined();
    // orphan adopted: one more pod needed to reach 2.
    expect(r.actions.filter((a) => a.kind === 'create')).toHaveLength(1);
  });

  it('counts a ready pod as available only after minReadySeconds, and asks to be woken then', () => {
    const rs = replicaSet('web-abc', 1, { app: 'web' }, { minReadySeconds: 10 });
    const p = pod('a', { owner: rs, node: 'n1', ready: true, readySince: NOW - 4_000 });
    const r = reconcileReplicaSet({ rs, pods: [p], now: NOW, random });
    const st = r.actions.find((a) => a.kind === 'updateStatus');
    expect(st?.kind === 'updateStatus' && (st.object as ReplicaSet).status).toMatchObject({
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 0,
      observedGeneration: 1,
    });
    expect(r.requeueAfterMs).toBe(6_000);
  });

  it('does nothing when the world already matches', () => {
    const rs = replicaSet('web-abc', 1);
    rs.status = {
      replicas: 1,
      fullyLabeledReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      observedGeneration: 1,
    };
    const r = reconcileReplicaSet({
      rs,
      pods: [pod('a', { owner: rs, node: 'n1', ready: true })],
      now: NOW,
      random,
    });
    expect(kinds(r)).toEqual([]);
  });
});

describe('ReplicaSet controller loop', () => {
  it('keeps the replica count through pod deletions and scaling', async () => {
    const c = new TestCluster({ nodes: ['n1', 'n2'] });
    await c.start([replicaSetController({ random: seededRandom(3) })]);
    const rs = replicaSet('web-abc', 3);
    await c.create(REPLICASETS, { ...rs, metadata: { name: 'web-abc', namespace: 'default' } });
    await c.settle();
    expect(readyPods(c.list<Pod>(PODS))).toHaveLength(3);
    const victim = c.list<Pod>(PODS)[0];
    await c.client.delete(PODS, 'default', victim?.metadata.name ?? '', { gracePeriodSeconds: 0 });
    await c.settle();
    expect(readyPods(c.list<Pod>(PODS))).toHaveLength(3);
    await c.modify<ReplicaSet>(REPLICASETS, 'default', 'web-abc', (x) => {
      x.spec.replicas = 1;
    });
    await c.settle();
    expect(c.list<Pod>(PODS)).toHaveLength(1);
    expect(c.get<ReplicaSet>(REPLICASETS, 'default', 'web-abc')?.status).toMatchObject({
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
    });
    expect(c.errors).toEqual([]);
    c.stop();
  });
});
