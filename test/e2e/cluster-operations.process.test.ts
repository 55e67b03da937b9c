/**
 * The operator's cluster commands with the real `kedge` bin against real agent processes:
 * `kedge up`-style local cluster of 5 (3 voters, 2 workers), then
 *
 *   cluster autopilot   settings shown and set through the CLI, the same on every voter
 *   transfer-leader     to a named voter (status shows it, writes go on); to a worker or an
 *                       unknown node: refused with the voters listed, exit code 1
 *   snapshot save       with a Deployment, a ConfigMap and a Secret in the store
 *   leave (voter)       the leader leaves: it hands over first, leaves the Raft configuration,
 *                       the autopilot promotes a worker (3 voters again), writes go on
 *   leave (worker)      drained first: its Deployment pod is recreated on another node, its
 *                       DaemonSet pod is left for the agent to delete with the Node; then the
 *                       Node disappears, no pod stays bound to it, it is no member any more
 *   snapshot restore    into a new data dir: a new one-agent cluster serves the same objects;
 *                       a truncated or altered file is refused and writes nothing
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callAgent } from '../../agent/src/cluster/agent-client.ts';
import { spawnAgent } from '../../agent/src/cluster/local-cluster.ts';
import { removeNodeContainers } from '../../agent/src/control/sample-workload.ts';
import { KEDGE } from '../cli/cluster-fixture.ts';
import {
  BUSYBOX,
  isRunningReady,
  type LocalTestCluster,
  type PodView,
  startLocalCluster,
  waitFor,
} from './local-cluster-harness.ts';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let cluster: LocalTestCluster;
const restoredNode = `opsrestore${process.pid}`;
let restoredPid: number | undefined;

beforeAll(async () => {
  cluster = await startLocalCluster('ops', 5);
}, 120_000);

afterAll(async () => {
  if (restoredPid !== undefined) {
    try {
      process.kill(restoredPid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
    await removeNodeContainers([restoredNode]);
  }
  if (process.env.KEDGE_KEEP_LOGS && cluster) {
    const { cp } = await import('node:fs/promises');
    for (const a of cluster.up.agents)
      await cp(
        path.join(a.dataDir, 'agent.log'),
        path.join(process.env.KEDGE_KEEP_LOGS, `agent-${a.index}.log`),
      );
  }
  await cluster?.stop();
});

/** The kedge bin; never rejects (the exit code is part of what is checked). */
function kedge(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      KEDGE,
      args,
      { env: { PATH: process.env.PATH, HOME: cluster.dir }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const dirFlag = () => ['--dir', cluster.dir];
const kubeconfigFlag = () => ['--kubeconfig', cluster.up.kubeconfig];
const admin = () => ({ ca: cluster.up.caPem, token: cluster.up.adminToken, timeoutMs: 3000 });

interface Member {
  id: number;
  name: string;
  role: string;
  apiAddress: string;
}

/** The registry and the Raft configuration as the leader holds them, asked through `through`. */
async function leaderView(through: string) {
  const view = await callAgent(through, '/kedge/v1/cluster', admin());
  if (view.status !== 200) return undefined;
  const c = view.json as { leader: number; members: Member[] };
  const leader = c.members.find((m) => m.id === c.leader);
  if (leader === undefined) return undefined;
  const conf = await callAgent(leader.apiAddress, '/kedge/v1/autopilot', admin());
  if (conf.status !== 200) return undefined;
  const raft = conf.json as { voters: number[]; learners: number[]; leader: number };
  return raft.leader === c.leader ? { ...c, ...raft } : undefined;
}

/** A ConfigMap written through the CLI: the cluster accepts writes. */
async function write(name: string): Promise<void> {
  const file = path.join(cluster.dir, `${name}.yaml`);
  await writeFile(
    file,
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\ndata: {written: "yes"}\n`,
  );
  const run = await kedge('apply', '-f', file, ...kubeconfigFlag());
  expect(run.code, run.stderr).toBe(0);
}

const agentOf = (m: Member) => cluster.up.agents.find((a) => a.apiAddress === m.apiAddress)!;
const api = () => cluster.up.agents[0]!.apiAddress;

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const snapshotFile = () => path.join(cluster.dir, 'backup.snap');

describe('cluster operations through the kedge CLI', () => {
  it('shows and sets the autopilot settings, held in the replicated registry', async () => {
    const shown = await kedge('cluster', 'autopilot', ...dirFlag());
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/dead-voter grace\s+15s/);
    expect(shown.stdout).toMatch(/voters wanted\s+3 \(now 3:/);
    const set = await kedge(
      'cluster',
      'autopilot',
      '--dead-voter-grace',
      '3s',
      '--stabilization',
      '1s',
      ...dirFlag(),
    );
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/dead-voter grace\s+3s/);
    expect(set.stdout).toMatch(/stabilization\s+1s/);
    // Every voter applied it (it is a Raft entry), not only the one that took the request.
    const view = await waitFor('a leader', () => leaderView(api()), 10_000);
    for (const m of view.members.filter((m) => m.role === 'voter')) {
      const reply = await callAgent(m.apiAddress, '/kedge/v1/autopilot', admin());
      expect((reply.json as { settings: { deadVoterGraceMs: number } }).settings.deadVoterGraceMs).toBe(3000);
    }
    const bad = await kedge('cluster', 'autopilot', '--voters', '4', ...dirFlag());
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/one of 1, 3, 5, 7/);
  });

  it('moves leadership to a named voter and refuses a worker or an unknown node', async () => {
    const before = await waitFor('a leader', () => leaderView(api()), 10_000);
    // Not agent 1: the kubeconfig points at it, and the leave test below makes the leader leave.
    const target = before.members.find(
      (m) => m.role === 'voter' && m.id !== before.leader && agentOf(m).index !== 1,
    )!;
    const moved = await kedge('cluster', 'transfer-leader', target.name, ...dirFlag());
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(new RegExp(`to node ${target.id} \\(term \\d+\\)`));
    const status = await kedge('cluster', 'status', ...dirFlag());
    expect(status.stdout).toMatch(new RegExp(`leader node ${target.id}\\b`));
    expect(status.stdout).toMatch(new RegExp(`\\n${target.id}\\s+${target.name}\\s+leader\\b`));
    await write('after-transfer');

    const worker = before.members.find((m) => m.role === 'worker')!;
    const toWorker = await kedge('cluster', 'transfer-leader', String(worker.id), ...dirFlag());
    expect(toWorker.code).toBe(1);
    expect(toWorker.stderr).toMatch(
      new RegExp(
        `node ${worker.id} \\(${worker.name}\\) is a worker, and only a voter can lead; the voters are`,
      ),
    );
    const unknown = await kedge('cluster', 'transfer-leader', 'no-such-node', ...dirFlag());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/node "no-such-node" is not a member of this cluster; the voters are/);
    // Neither moved anything.
    expect((await leaderView(api()))?.leader).toBe(target.id);
  });

  it('saves a snapshot of a cluster with a Deployment, a ConfigMap and a Secret', async () => {
    const file = path.join(cluster.dir, 'objects.yaml');
    await writeFile(
      file,
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: keep-web}
spec:
  replicas: 0
  selector: {matchLabels: {app: keep-web}}
  template:
    metadata: {labels: {app: keep-web}}
    spec:
      containers: [{name: web, image: localhost/kedge/busybox:latest, command: [sleep, "3600"]}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: keep-settings}
data: {colour: teal}
---
apiVersion: v1
kind: Secret
metadata: {name: keep-password}
data: {password: ${Buffer.from('s3cret').toString('base64')}}
`,
    );
    const applied = await kedge('apply', '-f', file, ...kubeconfigFlag());
    expect(applied.code, applied.stderr).toBe(0);
    const saved = await kedge('snapshot', 'save', snapshotFile(), ...dirFlag());
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toMatch(
      /^saved .*backup\.snap: cluster \S+, raft index \d+, revision \d+, \d+ bytes, sha256 [0-9a-f]{64}/,
    );
  });

  it('lets the leader leave: it hands over, leaves Raft, a worker takes its seat, writes go on', async () => {
    const before = await waitFor('a leader', () => leaderView(api()), 10_000);
    const leaving = before.members.find((m) => m.id === before.leader)!;
    expect(agentOf(leaving).index).not.toBe(1);
    const left = await kedge('leave', '--data-dir', agentOf(leaving).dataDir);
    expect(left.code, left.stderr).toBe(0);
    expect(left.stdout).toMatch(
      new RegExp(
        `node ${leaving.id} left the cluster \\(voter removed from the Raft configuration; leadership went to node \\d+\\); the agent is stopping`,
      ),
    );
    await waitFor(
      'the agent that left to exit',
      async () => (processGone(agentOf(leaving).pid) ? true : undefined),
      15_000,
    );
    const workers = before.members.filter((m) => m.role === 'worker').map((m) => m.id);
    const healed = await waitFor(
      'a worker to take the seat (3 voters, none of them the one that left)',
      async () => {
        const v = await leaderView(api());
        return v !== undefined &&
          v.voters.length === 3 &&
          !v.voters.includes(leaving.id) &&
          v.learners.length === 0 &&
          v.voters.some((id) => workers.includes(id))
          ? v
          : undefined;
      },
      40_000,
      async () => JSON.stringify(await leaderView(api())),
    );
    expect(healed.members.map((m) => m.id)).not.toContain(leaving.id);
    const nodes = await kedge('get', 'nodes', ...kubeconfigFlag());
    expect(nodes.stdout).not.toContain(leaving.name);
    await write('after-voter-left');
  });

  it('lets a worker leave: drained first, its Node is deleted and it is no member any more', async () => {
    // The seat the voter left is filled (no designation under way): the worker left is one.
    const view = await waitFor(
      'three voters and a worker',
      async () => {
        const v = await leaderView(api());
        return v?.voters.length === 3 && v.learners.length === 0 && v.members.some((m) => m.role === 'worker')
          ? v
          : undefined;
      },
      40_000,
    );
    const worker = view.members.find((m) => m.role === 'worker')!;
    const nodes = await kedge('get', 'nodes', ...kubeconfigFlag());
    expect(nodes.stdout).toContain(worker.name);
    const t0 = Date.now();
    const onWorker = await placeWorkloadOn(worker.name);
    const t1 = Date.now();
    const left = await kedge('leave', '--data-dir', agentOf(worker).dataDir);
    const t2 = Date.now();
    expect(left.code, left.stderr).toBe(0);
    // The drain, in `kedge node drain`'s words, before the leave.
    expect(left.stdout).toContain(`node/${worker.name} cordoned\ndeleting pod default/${onWorker.web}\n`);
    expect(left.stdout).toContain(`pod/${onWorker.web} deleted\nnode/${worker.name} drained\n`);
    expect(left.stderr).toContain(`ignoring DaemonSet-managed Pods: default/${onWorker.daemon}`);
    expect(left.stdout).toMatch(new RegExp(`node ${worker.id} left the cluster \\(worker deregistered\\)`));
    const moved = await waitFor(
      'the Deployment pod to run on another node',
      async () => {
        const pods = await cluster.pods('app=leave-web');
        return pods.length === 1 && isRunningReady(pods[0]!) ? pods[0] : undefined;
      },
      20_000,
      async () =>
        JSON.stringify((await cluster.pods('app=leave-web')).map((p) => [p.spec.nodeName, p.status])),
    );
    console.log('worker leave figures', {
      placeWorkloadMs: t1 - t0,
      drainAndLeaveMs: t2 - t1,
      replacementRunningMs: Date.now() - t2,
    });
    expect(moved.spec.nodeName).not.toBe(worker.name);
    expect(moved.metadata.name).not.toBe(onWorker.web);
    const bound = await cluster.getJson<{ items: PodView[] }>(
      'pods',
      '-A',
      '--field-selector',
      `spec.nodeName=${worker.name}`,
    );
    expect(bound.items.map((p) => p.metadata.name)).toEqual([]);
    await waitFor(
      'the worker Node to be gone',
      async () => {
        const run = await kedge('get', 'nodes', ...kubeconfigFlag());
        return run.code === 0 && !run.stdout.includes(worker.name) ? true : undefined;
      },
      15_000,
    );
    // The kubelet is stopped before the delete: nothing registers the Node again.
    await new Promise((r) => setTimeout(r, 2500));
    const missing = await kedge('get', 'node', worker.name, ...kubeconfigFlag());
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/not found/);
    expect((await leaderView(api()))?.members.map((m) => m.id)).not.toContain(worker.id);
    await write('after-worker-left');
  });

  /**
   * A Deployment pod and a DaemonSet pod on `node`: the other nodes are cordoned while the
   * Deployment's pod is placed (a preference could lose to the utilisation score).
   */
  async function placeWorkloadOn(node: string): Promise<{ web: string; daemon: string }> {
    const others = `kubernetes.io/hostname!=${node}`;
    const pod = {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: BUSYBOX, command: ['sleep', '3600'] }],
    };
    await cluster.kubectl('cordon', '-l', others);
    try {
      for (const kind of ['Deployment', 'DaemonSet'] as const) {
        const app = kind === 'Deployment' ? 'leave-web' : 'leave-agent';
        await cluster.create({
          apiVersion: 'apps/v1',
          kind,
          metadata: { name: app },
          spec: {
            ...(kind === 'Deployment' ? { replicas: 1 } : {}),
            selector: { matchLabels: { app } },
            template: { metadata: { labels: { app } }, spec: pod },
          },
        });
      }
      const web = await waitFor(
        'the Deployment pod to run on the worker',
        async () => {
          const pods = await cluster.pods('app=leave-web');
          return pods.length === 1 && pods[0]!.spec.nodeName === node && isRunningReady(pods[0]!)
            ? pods[0]!.metadata.name
            : undefined;
        },
        20_000,
      );
      const daemon = await waitFor(
        'a DaemonSet pod on the worker',
        async () =>
          (await cluster.pods('app=leave-agent')).find((p) => p.spec.nodeName === node)?.metadata.name,
        10_000,
      );
      return { web, daemon };
    } finally {
      await cluster.kubectl('uncordon', '-l', others);
    }
  }

  it('refuses a truncated or altered snapshot and writes nothing', async () => {
    const bytes = await readFile(snapshotFile());
    const truncated = path.join(cluster.dir, 'truncated.snap');
    await writeFile(truncated, bytes.subarray(0, bytes.length - 100));
    const altered = path.join(cluster.dir, 'altered.snap');
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 10] = flipped[flipped.length - 10]! ^ 0xff;
    await writeFile(altered, flipped);
    for (const [file, why] of [
      [truncated, /holds \d+ bytes but its header says \d+: the file is truncated/],
      [altered, /checksum does not match .*the file is damaged; use another backup/],
    ] as const) {
      const dataDir = path.join(cluster.dir, `restore-${path.basename(file)}`);
      const run = await kedge('snapshot', 'restore', file, '--data-dir', dataDir);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(why);
      expect(existsSync(dataDir)).toBe(false);
    }
  });

  it('restores the snapshot into a new cluster that serves the same objects', async () => {
    const dataDir = path.join(cluster.dir, 'restored');
    const host = '127.0.0.20';
    const restored = await kedge(
      'snapshot',
      'restore',
      snapshotFile(),
      '--data-dir',
      dataDir,
      '--cluster-key',
      path.join(cluster.up.agents[0]!.dataDir, 'cluster-key.json'),
      '--advertise',
      host,
      '--api-port',
      String(await freePort(host)),
      '--raft-port',
      String(await freePort(host)),
      '--name',
      restoredNode,
    );
    expect(restored.code, restored.stderr).toBe(0);
    const kubeconfig = /admin kubeconfig: (\S+)/.exec(restored.stdout)?.[1];
    expect(kubeconfig).toBeDefined();
    restoredPid = spawnAgent(dataDir).pid;
    const listed = await waitFor(
      'the restored cluster to serve the objects',
      async () => {
        const run = await kedge('get', 'deployments,configmaps,secrets', '--kubeconfig', kubeconfig!);
        return run.code === 0 ? run.stdout : undefined;
      },
      30_000,
    );
    for (const name of ['keep-web', 'keep-settings', 'keep-password', 'after-transfer'])
      expect(listed).toContain(name);
    // Written after the snapshot: not in it.
    expect(listed).not.toContain('after-voter-left');
    const secret = await kedge('get', 'secret', 'keep-password', '-o', 'json', '--kubeconfig', kubeconfig!);
    expect(secret.code, secret.stderr).toBe(0);
    const password = (JSON.parse(secret.stdout) as { data: { password: string } }).data.password;
    expect(Buffer.from(password, 'base64').toString()).toBe('s3cret');
  });
});
