import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '../../../agent/src/api/index.ts';
import { deploymentController } from '../../../agent/src/controllers/deployment/controller.ts';
import {
  DEFAULT_NODE_LIFECYCLE,
  type GossipHealth,
  type NodeHealthSource,
} from '../../../agent/src/controllers/node/config.ts';
import { nodeLifecycleController } from '../../../agent/src/controllers/node/controller.ts';
import { reconcileNode } from '../../../agent/src/controllers/node/reconcile.ts';
import { replicaSetController } from '../../../agent/src/controllers/replicaset/controller.ts';
import { DEPLOYMENTS, NODES, PODS } from '../../../agent/src/controllers/runtime/client.ts';
import { seededRandom } from '../../../agent/src/controllers/shared/names.ts';
import { deployment, iso, NOW, pod, stored } from './fixtures.ts';
import { readyPods, TestCluster } from './harness.ts';

const config = DEFAULT_NODE_LIFECYCLE;

function node(ready: 'True' | 'False' | 'Unknown', taints?: Node['spec']): Node {
  return stored<Node>({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1' },
    spec: taints ?? {},
    status: { conditions: [{ type: 'Ready', status: ready, lastHeartbeatTime: iso(NOW - 60_000) }] },
  });
}

const unreachable = (since: number): Node['spec'] => ({
  taints: [
    { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: iso(since) },
    { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: iso(since) },
  ],
});

describe('node lifecycle reconcile', () => {
  it('a silent node becomes Unknown first, then gets the unreachable taints', () => {
    const r1 = reconcileNode({
      node: node('True'),
      pods: [],
      lastHeartbeatAt: NOW - 11_000,
      gossip: undefined,
      deadSince: undefined,
      now: NOW,
      config,
    });
    const st = r1.actions[0];
    expect(st?.kind === 'updateStatus' && (st.object as Node).status?.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
    });
    const r2 = reconcileNode({
      node: node('Unknown'),
      pods: [],
      lastHeartbeatAt: NOW - 11_000,
      gossip: undefined,
      deadSince: undefined,
      now: NOW,
      config,
    });
    const up = r2.actions.find((a) => a.kind === 'update');
    expect(
      up?.kind === 'update' && (up.object as Node).spec?.taints?.map((t) => `${t.key}:${t.effect}`),
    ).toEqual(['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute']);
  });

  it('a fresh heartbeat within the grace changes nothing and asks to look again when it would expire', () => {
    const r = reconcileNode({
      node: node('True'),
      pods: [],
      lastHeartbeatAt: NOW - 4_000,
      gossip: 'alive',
      deadSince: undefined,
      now: NOW,
      config,
    });
    expect(r.actions).toEqual([]);
    expect(r.requeueAfterMs).toBe(6_001);
  });

  it('evicts by toleration: none -> after the default, bounded -> after its seconds, unbounded -> never', () => {
    const n = node('Unknown', unreachable(NOW - 10_000));
    const plain = pod('plain', { node: 'n1', ready: false });
    const bounded = pod('bounded', { node: 'n1', ready: false });
    bounded.spec.tolerations = [
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 5,
      },
    ];
    const forever = pod('forever', { node: 'n1', ready: false });
    forever.spec.tolerations = [{ operator: 'Exists' }];
    const r = reconcileNode({
      node: n,
      pods: [plain, bounded, forever],
      lastHeartbeatAt: NOW - 20_000,
      gossip: undefined,
      deadSince: undefined,
      now: NOW,
      config,
    });
    expect(r.actions.flatMap((a) => (a.kind === 'delete' ? [a.name] : []))).toEqual(['bounded']);
    expect(r.requeueAfterMs).toBe(20_000);
    const later = reconcileNode({
      node: n,
      pods: [plain, forever],
      lastHeartbeatAt: NOW - 20_000,
      gossip: undefined,
      deadSince: undefined,
      now: NOW + 20_000,
      config,
    });
    const del = later.actions.find((a) => a.kind === 'delete');
    expect(del?.kind === 'delete' && [del.name, del.gracePeriodSeconds]).toEqual(['plain', undefined]);
  });

  it('gossip-dead evicts untolerating pods after deadEvictionSeconds and force-deletes them', () => {
    const n = node('Unknown', unreachable(NOW - 500));
    const p = pod('p', { node: 'n1', ready: false });
    const early = reconcileNode({
      node: n,
      pods: [p],
      lastHeartbeatAt: NOW - 3_000,
      gossip: 'dead',
      deadSince: NOW - 500,
      now: NOW,
      config,
    });
    expect(early.actions.filter((a) => a.kind === 'delete')).toEqual([]);
    expect(early.requeueAfterMs).toBe(500);
    const due = reconcileNode({
      node: n,
      pods: [p],
      lastHeartbeatAt: NOW - 3_000,
      gossip: 'dead',
      deadSince: NOW - 1_000,
      now: NOW,
      config,
    });
    const del = due.actions.find((a) => a.kind === 'delete');
    expect(del?.kind === 'delete' && del.gracePeriodSeconds).toBe(0);
  });

  it('a NotReady kubelet gets the not-ready taints; a node Ready again loses ours but keeps the others', () => {
    const nr = reconcileNode({
      node: node('False'),
      pods: [],
      lastHeartbeatAt: NOW,
      gossip: 'alive',
      deadSince: undefined,
      now: NOW,
      config,
    });
    const up = nr.actions.find((a) => a.kind === 'update');
    expect(up?.kind === 'update' && (up.object as Node).spec?.taints?.map((t) => t.key)).toEqual([
      'node.kubernetes.io/not-ready',
      'node.kubernetes.io/not-ready',
    ]);
    const back = node('True', {
      taints: [
        ...(unreachable(NOW - 5_000)?.taints ?? []),
        { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
      ],
    });
    const r = reconcileNode({
      node: back,
      pods: [],
      lastHeartbeatAt: NOW,
      gossip: 'alive',
      deadSince: undefined,
      now: NOW,
      config,
    });
    const u = r.actions.find((a) => a.kind === 'update');
    expect(u?.kind === 'update' && (u.object as Node).spec?.taints).toEqual([
      { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
    ]);
  });

  it('marks the pods of an unheard node not ready, so that Endpoints drop them', () => {
    const n = node('Unknown', unreachable(NOW));
    const r = reconcileNode({
      node: n,
      pods: [pod('p', { node: 'n1', ready: true })],
      lastHeartbeatAt: NOW - 12_000,
      gossip: undefined,
      deadSince: undefined,
      now: NOW,
      config,
    });
    const st = r.actions.find((a) => a.kind === 'updateStatus');
    expect(st?.kind === 'updateStatus' && (st.object as Pod).status?.conditions?.[0]?.status).toBe('False');
  });
});

class FakeGossip implements NodeHealthSource {
  private readonly states = new Map<string, GossipHealth>();
  private readonly listeners = new Set<(n: string) => void>();
  health(n: string) {
    return this.states.get(n);
  }
  set(n: string, h: GossipHealth) {
    this.states.set(n, h);
    for (const l of this.listeners) l(n);
  }
  subscribe(l: (n: string) => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

async function cluster(gossip: FakeGossip) {
  const c = new TestCluster({ nodes: ['n1', 'n2', 'n3'], readyDelayMs: 500 });
  c.heartbeats = true;
  await c.beat();
  await c.start([
    deploymentController(),
    replicaSetController({ random: seededRandom(9) }),
    nodeLifecycleController({ health: gossip }),
  ]);
  await c.create(DEPLOYMENTS, deployment('web', 3));
  await c.advance(2_000);
  expect(readyPods(c.list<Pod>(PODS))).toHaveLength(3);
  return c;
}

describe('node lifecycle loop', () => {
  it('a node that gossip declares dead has its pods replaced on the other nodes within seconds', async () => {
    const gossip = new FakeGossip();
    const c = await cluster(gossip);
    const victims = c.list<Pod>(PODS).filter((p) => p.spec.nodeName === 'n1');
    expect(victims.length).toBeGreaterThan(0);
    c.deadNodes.add('n1');
    gossip.set('n1', 'dead');
    let healedAt: number | undefined;
    const start = c.clock.now();
    await c.advance(10_000, 100, () => {
      const healthy = readyPods(c.list<Pod>(PODS)).filter((p) => p.spec.nodeName !== 'n1');
      if (healedAt === undefined && healthy.length === 3) healedAt = c.clock.now() - start;
    });
    expect(healedAt).toBeDefined();
    expect(healedAt ?? Infinity).toBeLessThanOrEqual(2_000);
    expect(c.list<Pod>(PODS).filter((p) => p.spec.nodeName === 'n1')).toEqual([]);
    expect(c.get<Node>(NODES, '', 'n1')?.spec?.taints?.map((t) => t.key)).toContain(
      'node.kubernetes.io/unreachable',
    );
    c.stop();
  });

  it('a short network blip taints the node but moves no pod, and the node comes back clean', async () => {
    const gossip = new FakeGossip();
    const c = await cluster(gossip);
    const before = c
      .list<Pod>(PODS)
      .map((p) => p.metadata.name)
      .sort();
    c.deadNodes.add('n1');
    gossip.set('n1', 'suspect');
    let tainted = false;
    await c.advance(25_000, 250, () => {
      if ((c.get<Node>(NODES, '', 'n1')?.spec?.taints ?? []).length > 0) tainted = true;
    });
    expect(tainted).toBe(true);
    c.deadNodes.delete('n1');
    gossip.set('n1', 'alive');
    await c.advance(3_000);
    expect(c.get<Node>(NODES, '', 'n1')?.spec?.taints).toBeUndefined();
    expect(
      c
        .list<Pod>(PODS)
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(before);
    expect(readyPods(c.list<Pod>(PODS))).toHaveLength(3);
    c.stop();
  });

  it('a node unheard past grace + unreachableEvictionSeconds has its pods evicted and replaced', async () => {
    const gossip = new FakeGossip();
    const c = await cluster(gossip);
    c.deadNodes.add('n2');
    await c.advance(45_000, 500);
    expect(readyPods(c.list<Pod>(PODS)).filter((p) => p.spec.nodeName !== 'n2')).toHaveLength(3);
    // Graceful eviction: the pods wait, Terminating, for n2's kubelet to confirm.
    expect(
      c
        .list<Pod>(PODS)
        .filter((p) => p.spec.nodeName === 'n2')
        .every((p) => p.metadata.deletionTimestamp !== undefined),
    ).toBe(true);
    c.deadNodes.delete('n2');
    await c.advance(3_000);
    expect(c.list<Pod>(PODS).filter((p) => p.spec.nodeName === 'n2')).toEqual([]);
    expect(c.list<Pod>(PODS)).toHaveLength(3);
    c.stop();
  });
});
