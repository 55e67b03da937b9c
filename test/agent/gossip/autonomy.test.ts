/**
 * The autonomy test at the library level: six nodes, each a separate process with its own gossip
 * host and its own userspace proxy. Nodes 0-2 stand for the voters (the control plane). They are
 * killed with their pods; service traffic entering a surviving node still reaches the pods on the
 * other surviving nodes, balanced, with no control plane anywhere.
 */
import type { Server } from 'node:http';
import type { EndpointEntry, ProxyService } from '@kedge/proxy';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchName, httpBackend } from '../../proxy/backends.ts';
import { type AgentProcess, spawnAgent } from './agent-processes.ts';
import { freePort, planCluster, waitFor } from './cluster-fixture.ts';

const agents: AgentProcess[] = [];
const closers: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.kill('SIGKILL')));
  for (const c of closers.splice(0).reverse()) await c();
});

const VOTERS = [0, 1, 2];
const ENTRY = 3; // where the client's traffic enters: a node without pods of its own
const WORKERS_WITH_PODS = [4, 5];
const nodeAddress = (i: number) => `127.0.1.${i + 1}`;
const podIp = (i: number) => `127.0.0.${110 + i}`;

/** `count` requests into node `i`'s NodePort, ten at a time (the machine may be busy). */
async function through(i: number, nodePort: number, count: number, what = ''): Promise<string[]> {
  const out: string[] = [];
  while (out.length < count)
    out.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(10, count - out.length) }, () => {
          const t0 = Date.now();
          return fetchName(nodeAddress(i), nodePort, undefined, undefined, 10_000).catch((e: unknown) => {
            throw new Error(
              `${what}: request ${out.length} failed after ${Date.now() - t0} ms: ${String(e)}`,
            );
          });
        }),
      )),
    );
  return out;
}

/** Retries one request until node `i`'s proxy answers: its first apply races the table's arrival. */
async function waitForAnswer(i: number, nodePort: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await fetchName(nodeAddress(i), nodePort, undefined, undefined, 5000).catch(
      (e: unknown) => e,
    );
    if (typeof answer === 'string') return;
    if (Date.now() > deadline) throw new Error(`node ${i}'s proxy never answered: ${String(answer)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function tally(names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (out[n] ?? 0) + 1;
  return out;
}

describe('autonomy: service traffic without the control plane', () => {
  it('with every voter killed, traffic through a surviving node still reaches and balances over the other survivors', async () => {
    const { nodes, cleanup } = await planCluster(6, 'auto');
    closers.push(cleanup);
    const nodePort = await freePort(nodeAddress(ENTRY));
    const web: ProxyService = {
      namespace: 'default',
      name: 'web',
      type: 'NodePort',
      clusterIP: '10.96.0.50', // not reachable unprivileged: the NodePort carries the traffic
      ports: [{ name: 'http', protocol: 'TCP', port: 80, nodePort }],
      sessionAffinity: 'None',
    };
    const pods = new Map<number, { port: number; server: Server; kill: () => Promise<void> }>();
    for (const i of [...VOTERS, ...WORKERS_WITH_PODS]) {
      const pod = await httpBackend(`pod-${i}`, podIp(i));
      closers.push(() => pod.kill());
      pods.set(i, pod);
    }
    const started = await Promise.all(
      nodes.map((n, i) =>
        spawnAgent(n, nodes, undefined, { services: [web], nodeAddresses: [nodeAddress(i)] }),
      ),
    );
    agents.push(...started);
    await waitFor(
      () => started.every((a) => a.events.some((e) => e.event === 'ready')),
      60_000,
      'agents ready',
    );
    for (const [i, pod] of pods) {
      const entry: EndpointEntry = {
        namespace: 'default',
        service: 'web',
        portName: 'http',
        ip: podIp(i),
        port: pod.port,
        protocol: 'TCP',
        ready: true,
      };
      started[i]!.setEndpoints([entry]);
    }
    const entry = started[ENTRY]!;
    await waitFor(() => entry.readyIps().length === 5, 15_000, 'the entry node to learn all five pods');
    // The first request also waits out the entry proxy's first apply (and a busy machine).
    const firstAt = Date.now();
    await waitForAnswer(ENTRY, nodePort, 30_000);
    const firstMs = Date.now() - firstAt;
    const before = tally(await through(ENTRY, nodePort, 50, 'before'));
    expect(Object.keys(before).length).toBeGreaterThanOrEqual(4); // spread over the whole cluster

    // The control plane goes: the voters' processes and their pods die at once.
    await Promise.all(VOTERS.map((i) => started[i]!.kill('SIGKILL')));
    await Promise.all(VOTERS.map((i) => pods.get(i)!.kill()));
    const killedAt = Date.now();
    const survivorsIps = WORKERS_WITH_PODS.map(podIp).sort();
    await waitFor(
      () => entry.readyIps().sort().join() === survivorsIps.join(),
      // SWIM needs ~1-2 s; the margin is for a CI box busy with other multi-process suites.
      20_000,
      'the dead voters’ endpoints to leave the entry node’s table',
    );
    const droppedAfterMs = Date.now() - killedAt;

    const after = await through(ENTRY, nodePort, 60, 'after');
    const counts = tally(after);
    expect(Object.keys(counts).sort()).toEqual(['pod-4', 'pod-5']);
    expect(counts['pod-4']).toBeGreaterThanOrEqual(15);
    expect(counts['pod-5']).toBeGreaterThanOrEqual(15);
    // Still gossiping among themselves: a pod added now on node 5 reaches node 3's proxy.
    const extra = await httpBackend('pod-5b', '127.0.0.120');
    closers.push(() => extra.kill());
    started[5]!.setEndpoints([
      {
        namespace: 'default',
        service: 'web',
        portName: 'http',
        ip: podIp(5),
        port: pods.get(5)!.port,
        protocol: 'TCP',
        ready: true,
      },
      {
        namespace: 'default',
        service: 'web',
        portName: 'http',
        ip: extra.ip,
        port: extra.port,
        protocol: 'TCP',
        ready: true,
      },
    ]);
    await waitFor(
      () => entry.readyIps().length === 3,
      15_000,
      'a new pod to be announced without a control plane',
    );
    const later = tally(
      await Promise.all(Array.from({ length: 60 }, () => fetchName(nodeAddress(ENTRY), nodePort))),
    );
    expect(later['pod-5b']).toBeGreaterThan(0);
    console.log(
      `autonomy: first request ${firstMs} ms; voters' endpoints dropped ${droppedAfterMs} ms after the kill; after: ${JSON.stringify(counts)}, with a new pod: ${JSON.stringify(later)}`,
    );
  }, 90_000);
});
