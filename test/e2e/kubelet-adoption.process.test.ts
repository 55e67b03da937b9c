/**
 * kill -9 of a real agent process: its pods keep running, and the agent restarted on the same data
 * dir adopts them (same container ids, restart counts unchanged, no duplicate containers), removes
 * what no pod owns (an orphan sandbox and container with kedge labels for a pod that does not
 * exist), and manages the adopted pods again (a killed container is restarted by it).
 *
 *   up(2 agents: agent-1 voter, agent-2 worker) ─> Deployment keeper (2 pods on agent-2)
 *   ─> SIGKILL agent-2 ─> podman: still running ─> orphan created ─> spawnAgent(agent-2's dir)
 *   ─> orphan gone, same containers, kill one ─> restartCount 1 in the pod's status
 */
import { randomUUID } from 'node:crypto';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnAgent } from '../../agent/src/cluster/local-cluster.ts';
import { LABEL } from '../../agent/src/runtime/labels.ts';
import { defaultPodmanConfig } from '../../agent/src/runtime/podman-cli.ts';
import { createPodmanRuntime, type PodmanRuntime } from '../../agent/src/runtime/podman-runtime.ts';
import type { ContainerStatus } from '../../agent/src/runtime/runtime.ts';
import {
  BUSYBOX,
  isRunningReady,
  type LocalTestCluster,
  type PodView,
  startLocalCluster,
  waitFor,
} from './local-cluster-harness.ts';

let cluster: LocalTestCluster | undefined;
let podman: PodmanRuntime;
let restartedPid = 0;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
};

beforeAll(async () => {
  cluster = await startLocalCluster('adopt', 2);
  // The CLI (no service of our own to clean up); everything it lists is read back from podman.
  podman = await createPodmanRuntime({
    nodeName: cluster.nodeNames[1] ?? '',
    config: defaultPodmanConfig,
    kernelOomLog: false,
    api: false,
  });
}, 120_000);

afterAll(async () => {
  // The restarted agent is not in cluster.json: stop it (TERM, then KILL) before `down`.
  if (restartedPid > 0 && alive(restartedPid)) {
    process.kill(restartedPid, 'SIGTERM');
    const deadline = Date.now() + 3000;
    while (alive(restartedPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive(restartedPid)) process.kill(restartedPid, 'SIGKILL');
  }
  const keep = process.env.KEDGE_KEEP_LOGS;
  if (keep)
    for (const a of cluster?.up.agents ?? [])
      await cp(path.join(a.dataDir, 'agent.log'), path.join(keep, `adoption-agent-${a.index}.log`));
  await cluster?.stop();
}, 120_000);

const byId = (runs: ContainerStatus[]) => [...runs].sort((a, b) => a.id.localeCompare(b.id));

describe('kubelet adoption across kill -9 of the agent process', () => {
  it('keeps the pods running, adopts them without duplicates and removes the orphan', async () => {
    const c = cluster as LocalTestCluster;
    const worker = c.nodeNames[1] ?? '';
    const agent = c.up.agents.find((a) => a.index === 2);
    if (!agent) throw new Error('no agent-2 in the cluster file');
    const onWorker = { [LABEL.node]: worker };

    await c.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'keeper' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'keeper' } },
        template: {
          metadata: { labels: { app: 'keeper' } },
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': worker },
            terminationGracePeriodSeconds: 1,
            // The agent's gossip dies with it, so the node lifecycle controller soon holds the node
            // dead and force-deletes its pods (deadEvictionSeconds). Tolerating that forever keeps
            // the pods bound here: this test is about the kubelet's adoption, not eviction.
            tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }],
            containers: [{ name: 'app', image: BUSYBOX, command: ['sleep', '3600'] }],
          },
        },
      },
    });
    const ready = await waitFor(
      'two keeper pods running and ready on the worker',
      async () => {
        const pods = (await c.pods('app=keeper')).filter(isRunningReady);
        return pods.length === 2 ? pods : undefined;
      },
      45_000,
      async () => JSON.stringify((await c.pods('app=keeper')).map((p) => p.status)),
    );
    expect(ready.every((p) => p.spec.nodeName === worker)).toBe(true);
    const containersBefore = byId(await podman.listContainers(onWorker));
    const sandboxesBefore = (await podman.listPodSandboxes(onWorker)).map((s) => s.id).sort();
    expect(containersBefore).toHaveLength(2);
    expect(sandboxesBefore).toHaveLength(2);

    // The agent dies without a chance to clean anything up.
    process.kill(agent.pid, 'SIGKILL');
    await waitFor('agent-2 gone', async () => !alive(agent.pid) || undefined, 5000);
    const whileDead = byId(await podman.listContainers(onWorker));
    expect(whileDead.map((r) => [r.id, r.state])).toEqual(containersBefore.map((r) => [r.id, 'running']));

    // Something no pod owns, with this node's labels: a sandbox and a container of a made-up pod.
    const ghost = { name: 'ghost', uid: randomUUID(), namespace: 'default' };
    const ghostSandbox = await podman.createPodSandbox({
      ...ghost,
      labels: {},
      hostname: 'ghost',
      portMappings: [],
    });
    const ghostContainer = await podman.createContainer(ghostSandbox, {
      name: 'app',
      image: BUSYBOX,
      command: ['sleep', '3600'],
    });
    await podman.startContainer(ghostContainer);

    const child = spawnAgent(agent.dataDir);
    restartedPid = child.pid ?? 0;
    await waitFor(
      'the orphan removed by the restarted agent',
      async () => {
        const left = await podman.listPodSandboxes({ [LABEL.podUid]: ghost.uid });
        const runs = await podman.listContainers({ [LABEL.podUid]: ghost.uid });
        return left.length === 0 && runs.length === 0 ? true : undefined;
      },
      40_000,
    );

    // The same containers, never restarted, and nothing new beside them.
    expect(byId(await podman.listContainers(onWorker)).map((r) => [r.id, r.state])).toEqual(
      containersBefore.map((r) => [r.id, 'running']),
    );
    expect((await podman.listPodSandboxes(onWorker)).map((s) => s.id).sort()).toEqual(sandboxesBefore);
    const statusIds = (pods: PodView[]) =>
      pods
        .map((p) => {
          const s = p.status?.containerStatuses?.[0] as { containerID?: string; restartCount?: number };
          return [p.metadata.uid, s?.containerID?.replace(/^\w+:\/\//, ''), s?.restartCount];
        })
        .sort();
    // While the agent was away its pods were marked not Ready; the adopting kubelet reports them
    // Ready again, with the same containers and restart counts.
    await waitFor(
      'both keeper pods Ready again with the containers they had',
      async () => {
        const after = (await c.pods('app=keeper')).filter(isRunningReady);
        return JSON.stringify(statusIds(after)) === JSON.stringify(statusIds(ready)) || undefined;
      },
      30_000,
      async () => JSON.stringify(statusIds(await c.pods('app=keeper'))),
    );

    // The adopted pod is managed by the new agent: its killed container is restarted in place.
    const victim = containersBefore[0] as ContainerStatus;
    await podman.stopContainer(victim.id, 0);
    const restarted = await waitFor(
      'the killed container restarted by the adopting agent',
      async () => {
        const pod = (await c.pods('app=keeper')).find((p) => p.metadata.uid === victim.labels[LABEL.podUid]);
        return pod && isRunningReady(pod) && pod.status?.containerStatuses?.[0]?.restartCount === 1
          ? pod
          : undefined;
      },
      30_000,
      async () => JSON.stringify((await c.pods('app=keeper')).map((p) => p.status)),
    );
    expect(restarted.metadata.uid).toBe(victim.labels[LABEL.podUid]);
    const finalRuns = await podman.listContainers(onWorker);
    // Two pods, one current run each, plus the exited run kept for `logs --previous`.
    expect(finalRuns.filter((r) => r.state === 'running')).toHaveLength(2);
    expect(finalRuns.filter((r) => r.labels[LABEL.podUid] === victim.labels[LABEL.podUid])).toHaveLength(2);
    expect((await podman.listPodSandboxes(onWorker)).map((s) => s.id).sort()).toEqual(sandboxesBefore);
  }, 90_000);
});
