/**
 * The service data plane of a real `kedge up` cluster (4 agent processes: 3 voters + 1 worker,
 * real podman): the Service gets a ClusterIP from the API, every agent's DNS resolves
 * hello.default.svc.cluster.local to it (node:dns against the agent's port), the NodePort on
 * every node reaches the pods; an endpoint leaving (pod deleted) reaches every agent's gossip table
 * (convergence printed); then kill -9 of the three voter agents (their containers keep running): the worker
 * still serves the Service from its gossip table with no control plane at all.
 */
import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { down, type UpResult, up } from '../../agent/src/cluster/local-cluster.ts';
import { removeNodeContainers } from '../../agent/src/control/sample-workload.ts';

const run = promisify(execFile);
const kubectlBin = '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';
const prefix = `dp${process.pid}`;
const nodeName = (i: number) => `${prefix}-${i}`;
const AGENTS = 4;
const WORKER = 4;
const figures: Record<string, number | string> = {};

let dir: string;
let basePort: number;
let nodePort: number;
let cluster: UpResult;

interface TableEntry {
  ip: string;
  ready: boolean;
  nodeId: string;
  podName?: string;
}
interface GossipState {
  node: string;
  members: { nodeId: string; status: string }[];
  view: Record<string, TableEntry[]>;
}

const kubectl = async (...args: string[]) =>
  (
    await run(
      kubectlBin,
      ['--kubeconfig', cluster.kubeconfig, '--cache-dir', path.join(dir, 'kcache'), ...args],
      {
        timeout: 60_000,
      },
    )
  ).stdout;

function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** One agent's gossip table, read with the worker's node certificate. */
function gossipState(i: number): Promise<GossipState> {
  const pki = path.join(dir, `agent-${WORKER}`, 'pki');
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: `127.0.0.${i}`,
        port: basePort + i,
        path: '/kedge/node/v1/endpoints',
        ca: readFileSync(path.join(pki, 'ca.crt')),
        cert: readFileSync(path.join(pki, 'node.crt')),
        key: readFileSync(path.join(pki, 'node.key')),
        agent: false,
        timeout: 2000,
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(body))));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!(await ok().catch(() => false))) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - t0;
}

async function helloPods(): Promise<{ name: string; node: string; ready: boolean }[]> {
  const list = JSON.parse(await kubectl('get', 'pods', '-l', 'app=hello', '-o', 'json')) as {
    items: {
      metadata: { name: string };
      spec: { nodeName?: string };
      status?: { conditions?: { type: string; status: string }[] };
    }[];
  };
  return list.items.map((p) => ({
    name: p.metadata.name,
    node: p.spec.nodeName ?? '',
    ready: (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
  }));
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kedge-dataplane-'));
  basePort = 32_000 + Math.floor(Math.random() * 40) * 200;
  nodePort = 31_700 + Math.floor(Math.random() * 1000);
  cluster = await up({
    agents: AGENTS,
    voters: 3,
    dir,
    basePort,
    namePrefix: prefix,
    sample: { nodePort, replicas: 4 },
    timeoutMs: 90_000,
  });
}, 150_000);

afterAll(async () => {
  if (dir) await down({ dir, purge: true });
  await removeNodeContainers(Array.from({ length: AGENTS }, (_, i) => nodeName(i + 1)));
  console.log('figures', JSON.stringify(figures));
}, 60_000);

describe('service data plane on kedge up --agents 4', () => {
  let clusterIP: string;

  it("allocates a ClusterIP, which every agent's DNS answers for the Service name", async () => {
    const svc = JSON.parse(await kubectl('get', 'svc', 'hello', '-o', 'json')) as {
      spec: { clusterIP: string; clusterIPs: string[]; ports: { nodePort: number }[] };
    };
    clusterIP = svc.spec.clusterIP;
    expect(clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(svc.spec.clusterIPs).toEqual([clusterIP]);
    expect(svc.spec.ports[0]?.nodePort).toBe(nodePort);
    const times: number[] = [];
    for (let i = 1; i <= AGENTS; i++) {
      const resolver = new Resolver({ timeout: 1000, tries: 1 });
      resolver.setServers([`127.0.0.${i}:${basePort + i + 400}`]);
      const t0 = performance.now();
      expect(await resolver.resolve4('hello.default.svc.cluster.local')).toEqual([clusterIP]);
      times.push(performance.now() - t0);
      await expect(resolver.resolve4('nothing.default.svc.cluster.local')).rejects.toMatchObject({
        code: 'ENOTFOUND',
      });
    }
    figures.dnsAnswerMsPerAgent = times.map((t) => t.toFixed(2)).join(' ');
  });

  it("every node's NodePort reaches the pods, balanced over the gossip table", async () => {
    // Every agent's merged gossip view converges on the 4 ready endpoints first (a pod that just
    // turned ready may still be on its way to some agents; a node with none yet refuses).
    for (let i = 1; i <= AGENTS; i++) {
      await vi.waitFor(
        async () => {
          const state = await gossipState(i);
          expect(state.view['default/hello']?.filter((e) => e.ready)).toHaveLength(4);
        },
        { timeout: 15_000, interval: 200 },
      );
    }
    const seen = new Set<string>();
    for (let round = 0; round < 8; round++)
      for (let i = 1; i <= AGENTS; i++) seen.add((await get(`127.0.0.${i}`, nodePort)).trim());
    expect(seen.size).toBeGreaterThan(1);
  });

  it("an endpoint leaving (pod deleted) reaches every agent's table", async () => {
    const target = (await helloPods()).find((p) => p.ready);
    if (target === undefined) throw new Error('no ready hello pod');
    const flipped = (s: GossipState) =>
      !(s.view['default/hello'] ?? []).some((e) => e.podName === target.name && e.ready);
    const seenAt = new Map<number, number>();
    const t0 = Date.now();
    // Deleted: the pod turns terminating on its node (a lame duck for 2 s), its endpoint goes.
    await kubectl('delete', 'pod', target.name, '--wait=false');
    await waitFor(
      'every agent sees the pod unready',
      async () => {
        await Promise.all(
          Array.from({ length: AGENTS }, async (_, k) => {
            const i = k + 1;
            if (!seenAt.has(i) && flipped(await gossipState(i))) seenAt.set(i, Date.now());
          }),
        );
        return seenAt.size === AGENTS;
      },
      30_000,
    );
    const times = [...seenAt.values()];
    figures.flipToFirstAgentMs = Math.min(...times) - t0;
    figures.convergenceAcrossAgentsMs = Math.max(...times) - Math.min(...times);
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(2000);
    // It comes back (the kubelet restarts the container) before the next step.
    await waitFor(
      'all four ready again',
      async () => (await helloPods()).filter((p) => p.ready).length === 4,
      60_000,
    );
  }, 90_000);

  it('with the three voter agents killed, the worker still serves the Service from its table', async () => {
    let pods = await helloPods();
    if (!pods.some((p) => p.node === nodeName(WORKER))) {
      await kubectl('scale', 'deployment/hello', '--replicas=8');
      await waitFor(
        'a ready hello pod on the worker',
        async () => {
          pods = await helloPods();
          return pods.some((p) => p.node === nodeName(WORKER) && p.ready);
        },
        60_000,
      );
    }
    await waitFor(
      "the worker's table has every ready pod",
      async () =>
        (await gossipState(WORKER)).view['default/hello']?.filter((e) => e.ready).length ===
        pods.filter((p) => p.ready).length,
      10_000,
    );
    const workerPods = new Set(pods.filter((p) => p.node === nodeName(WORKER)).map((p) => p.name));
    const killedAt = Date.now();
    for (const a of cluster.agents.filter((a) => a.index !== WORKER)) process.kill(a.pid, 'SIGKILL');

    let ok = 0;
    let failed = 0;
    const servedBy = new Set<string>();
    let droppedAt: number | undefined;
    while (Date.now() - killedAt < 8000) {
      await get(`127.0.0.${WORKER}`, nodePort).then(
        (body) => {
          ok++;
          servedBy.add(body.trim().replace('hello from ', ''));
        },
        () => failed++,
      );
      if (droppedAt === undefined) {
        const state = await gossipState(WORKER);
        const nodes = new Set((state.view['default/hello'] ?? []).map((e) => e.nodeId));
        if ([...nodes].every((n) => n === nodeName(WORKER))) droppedAt = Date.now();
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const state = await gossipState(WORKER);
    figures.autonomyRequestsOk = ok;
    figures.autonomyRequestsFailed = failed;
    figures.deadAgentEndpointsDroppedAfterMs = droppedAt === undefined ? 'never' : droppedAt - killedAt;
    figures.membersAfterKill = state.members.map((m) => `${m.nodeId}:${m.status}`).join(' ');
    expect(ok).toBeGreaterThan(20);
    expect(failed).toBeLessThanOrEqual(2);
    // SWIM declared the killed agents dead, and their entries left the table: the worker serves
    // from its own pods, which it still runs and probes.
    expect(droppedAt).toBeDefined();
    for (const m of state.members.filter((m) => m.nodeId !== nodeName(WORKER))) expect(m.status).toBe('dead');
    expect(state.view['default/hello']?.every((e) => e.nodeId === nodeName(WORKER))).toBe(true);
    const late = new Set<string>();
    for (let i = 0; i < 10; i++)
      late.add((await get(`127.0.0.${WORKER}`, nodePort)).trim().replace('hello from ', ''));
    for (const name of late) expect(workerPods.has(name)).toBe(true);
    expect(servedBy.size).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
