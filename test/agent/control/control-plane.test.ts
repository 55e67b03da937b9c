/**
 * The scheduler and the controllers as leader components of a 3-voter in-process cluster (memory
 * transport, real WALs): a Deployment of 3 gets one ReplicaSet and 3 pods bound to the registered
 * Nodes; when the leader dies the new leader's control plane carries on, and nothing is created
 * twice.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../agent/src/api/types/meta.ts';
import type { Pod } from '../../../agent/src/api/types/pod.ts';
import {
  createLeaderComponentRunner,
  type LeaderComponentRunner,
} from '../../../agent/src/cluster/leader-components.ts';
import { BackendClusterClient } from '../../../agent/src/control/backend-cluster-client.ts';
import {
  type ControlPlaneContext,
  controlPlaneComponents,
} from '../../../agent/src/control/control-plane.ts';
import type { Logger } from '../../../consensus/src/node/logger.ts';
import { type MemoryVoter, type MemoryVoters, startMemoryVoters } from '../../support/memory-voters.ts';

/** A voter that runs the control plane's leader components while it leads. */
interface Voter extends MemoryVoter {
  readonly runner: LeaderComponentRunner;
}

const PODS = { group: '', resource: 'pods' };
const NODES = { group: '', resource: 'nodes' };
const NAMESPACES = { group: '', resource: 'namespaces' };
const DEPLOYMENTS = { group: 'apps', resource: 'deployments' };
const REPLICASETS = { group: 'apps', resource: 'replicasets' };

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let cluster: MemoryVoters;
let voters: Voter[];

async function waitForLeader(): Promise<Voter> {
  const leader = await cluster.waitForLeader();
  return voters.find((v) => v.id === leader.id)!;
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
  const runners = new Map<number, LeaderComponentRunner>();
  cluster = await startMemoryVoters({
    beforeStart: (v) => {
      const context: ControlPlaneContext = {
        backend: v.backend,
        identity: { name: `agent-${v.id}` },
        logger: quiet,
      };
      const runner = createLeaderComponentRunner(controlPlaneComponents(), context, quiet);
      v.node.on('role', ({ role, term }) => (role === 'leader' ? runner.leading(term) : runner.notLeading()));
      runners.set(v.id, runner);
    },
  });
  // The harness's voter objects themselves, so that `running` stays one flag.
  voters = cluster.voters.map((v) => Object.assign(v, { runner: runners.get(v.id)! }));
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
  for (const v of voters) await v.runner.stop();
  await cluster.close();
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
    await leader.runner.stop();
    await cluster.stop(leader);
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
