/**
 * The scheduler and the controllers as leader components of a 3-voter in-process cluster (memory
 * transport, real WALs): a Deployment of 3 gets one ReplicaSet and 3 pods bound to the registered
 * Nodes; when the leader dies the new leader's control plane carries on, and nothing is created
 * twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../agent/src/api/types/meta.ts';
import type { Pod } from '../../../agent/src/api/types/pod.ts';
import {
  createLeaderComponentRunner,
  type LeaderComponentRunner,
} from '../../../agent/src/cluster/leader-components.ts';
import { type AppliedResult, ReplicatedState } from '../../../agent/src/cluster/replicated-state.ts';
import { ReplicatedBackend } from '../../../agent/src/cluster/replicated-store.ts';
import { BackendClusterClient } from '../../../agent/src/control/backend-cluster-client.ts';
import {
  type ControlPlaneContext,
  controlPlaneComponents,
} from '../../../agent/src/control/control-plane.ts';
import type { Logger } from '../../../consensus/src/node/logger.ts';
import { createRaftNode, type RaftNode } from '../../../consensus/src/node/raft-node.ts';
import { createMemoryNetwork } from '../../../consensus/src/transport/memory-transport.ts';

interface Voter {
  id: number;
  node: RaftNode<AppliedResult>;
  backend: ReplicatedBackend;
  runner: LeaderComponentRunner;
  running: boolean;
}

const PODS = { group: '', resource: 'pods' };
const NODES = { group: '', resource: 'nodes' };
const NAMESPACES = { group: '', resource: 'namespaces' };
const DEPLOYMENTS = { group: 'apps', resource: 'deployments' };
const REPLICASETS = { group: 'apps', resource: 'replicasets' };

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let root: string;
let voters: Voter[];

async function waitForLeader(timeoutMs = 5000): Promise<Voter> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const live = voters.filter((v) => v.running);
    const leader = live.find((v) => v.node.status().role === 'leader');
    if (leader && live.every((v) => v.node.status().leader === leader.id)) return leader;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no leader within ${timeoutMs} ms`);
}

const readyNode = (name: string): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: {},
    status: {
      capacity: { cpu: '2', memory: '4Gi', pods: '110' },
      allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          lastHeartbeatTime: `${new Date().toISOString().slice(0, 19)}Z`,
          lastTransitionTime: `${new Date().toISOString().slice(0, 19)}Z`,
        },
      ],
    },
  }) as unknown as KubeObject;

const deployment = (replicas: number): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'hello', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'hello' } },
      template: {
        metadata: { labels: { app: 'hello' } },
        spec: { containers: [{ name: 'web', image: 'localhost/kedge/busybox:latest' }] },
      },
    },
  }) as unknown as KubeObject;

async function objects(v: Voter, ref: { group: string; resource: string }): Promise<KubeObject[]> {
  return (await v.backend.list(ref, { namespace: 'default' })).items as KubeObject[];
}

beforeEach(async () => {
  const network = createMemoryNetwork();
  root = mkdtempSync(path.join(os.tmpdir(), 'kedge-control-'));
  const peers = new Map([1, 2, 3].map((id) => [id, `mem-${id}`]));
  voters = [];
  for (const id of peers.keys()) {
    const state = new ReplicatedState();
    const node = createRaftNode<AppliedResult>({
      id,
      peers,
      dataDir: path.join(root, `node-${id}`),
      transport: network.transport(id),
      stateMachine: state,
      tickMs: 10,
      electionTick: 10,
      requestTimeoutMs: 1000,
    });
    const backend = new ReplicatedBackend(node, state);
    const context: ControlPlaneContext = { backend, identity: { name: `agent-${id}` }, logger: quiet };
    const runner = createLeaderComponentRunner(controlPlaneComponents(), context, quiet);
    node.on('role', ({ role, term }) => (role === 'leader' ? runner.leading(term) : runner.notLeading()));
    voters.push({ id, node, backend, runner, running: true });
  }
  for (const v of voters) await v.node.start();
  const leader = await waitForLeader();
  const client = new BackendClusterClient(leader.backend);
  for (const ns of ['default', 'kube-system', 'kube-node-lease'])
    await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (const name of ['agent-1', 'agent-2', 'agent-3']) {
    const created = await client.create(NODES, readyNode(name));
    if (created instanceof Error) throw created;
    // A Node's status is written through its own subresource (as a kubelet does).
    const withStatus = await client.updateStatus(NODES, { ...readyNode(name), metadata: created.metadata });
    if (withStatus instanceof Error) throw withStatus;
  }
});

afterEach(async () => {
  for (const v of voters) {
    await v.runner.stop();
    if (v.running) await v.node.stop();
  }
  rmSync(root, { recursive: true, force: true });
});

describe('the control plane as leader components', () => {
  it('a Deployment of 3 gets a ReplicaSet and 3 pods bound to the nodes; a new leader carries on', async () => {
    const leader = await waitForLeader();
    const client = new BackendClusterClient(leader.backend);
    const t0 = Date.now();
    expect(await client.create(DEPLOYMENTS, deployment(3))).not.toBeInstanceOf(Error);

    const bound = async (v: Voter) =>
      (await objects(v, PODS)).filter((p) => ((p as Pod).spec.nodeName ?? '') !== '') as Pod[];
    await expect.poll(async () => (await bound(leader)).length, { timeout: 10_000 }).toBe(3);
    const firstBound = Date.now() - t0;
    const pods = await bound(leader);
    expect(new Set(pods.map((p) => p.spec.nodeName))).toEqual(new Set(['agent-1', 'agent-2', 'agent-3']));
    const rs = await objects(leader, REPLICASETS);
    expect(rs).toHaveLength(1);
    expect(pods.every((p) => p.metadata.ownerReferences?.[0]?.uid === rs[0]?.metadata.uid)).toBe(true);
    // A Scheduled event per pod, written by the scheduler.
    const events = await leader.backend.list({ group: '', resource: 'events' }, { namespace: 'default' });
    expect(
      events.items.filter((e) => (e as unknown as { reason: string }).reason === 'Scheduled'),
    ).toHaveLength(3);
    expect(leader.runner.running().sort()).toEqual(['controllers', 'scheduler']);

    // The leader dies: its components stop, a new leader's components take over.
    leader.running = false;
    await leader.runner.stop();
    await leader.node.stop();
    const next = await waitForLeader();
    expect(next).not.toBe(leader);
    await expect
      .poll(() => next.runner.running().sort(), { timeout: 5000 })
      .toEqual(['controllers', 'scheduler']);
    const nextClient = new BackendClusterClient(next.backend);
    const current = await nextClient.get(DEPLOYMENTS, 'default', 'hello');
    if (current instanceof Error) throw current;
    (current as unknown as { spec: { replicas: number } }).spec.replicas = 5;
    expect(await nextClient.update(DEPLOYMENTS, current)).not.toBeInstanceOf(Error);
    await expect.poll(async () => (await bound(next)).length, { timeout: 10_000 }).toBe(5);
    // Settle, then check that nothing was created twice.
    await new Promise((r) => setTimeout(r, 500));
    expect(await objects(next, PODS)).toHaveLength(5);
    expect(await objects(next, REPLICASETS)).toHaveLength(1);
    expect(firstBound).toBeLessThan(10_000);
  }, 30_000);
});
