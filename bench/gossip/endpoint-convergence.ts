/**
 * Endpoint convergence across N gossip hosts (libp2p, one process): time from one agent changing
 * its endpoints to every other agent's merged view showing the change.
 *
 *   node bench/gossip/endpoint-convergence.ts [--agents 20] [--rounds 30]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GossipError } from '../../agent/src/gossip/gossip-error.ts';
import { type ClusterMember, GossipHost } from '../../agent/src/gossip/gossip-host.ts';
import { loadOrCreateNodeIdentity, type NodeIdentity } from '../../agent/src/gossip/node-identity.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const n = arg('agents', 20);
  const rounds = arg('rounds', 30);
  const root = mkdtempSync(join(tmpdir(), 'kedge-conv-'));
  const hosts: GossipHost[] = [];
  try {
    const planned: { nodeId: string; dir: string; identity: NodeIdentity; member: ClusterMember }[] = [];
    for (let i = 0; i < n; i++) {
      const nodeId = `n${i}`;
      const dir = join(root, nodeId);
      const identity = await loadOrCreateNodeIdentity(dir);
      if (identity instanceof GossipError) throw identity;
      const listen = `/ip4/127.0.0.1/tcp/${await freePort()}`;
      planned.push({
        nodeId,
        dir,
        identity,
        member: { nodeId, peerId: identity.peerId, addresses: [listen] },
      });
    }
    for (const p of planned) {
      const host = await GossipHost.create({
        nodeId: p.nodeId,
        identity: p.identity,
        listen: [...p.member.addresses],
        members: planned.map((x) => x.member),
        dataDir: p.dir,
      });
      if (host instanceof GossipError) throw host;
      await host.start();
      hosts.push(host);
    }
    const connectedAt = Date.now();
    while (!hosts.every((h) => h.connectedNodes().length === n - 1))
      await new Promise((r) => setTimeout(r, 50));
    console.log(`${n} agents fully connected in ${Date.now() - connectedAt} ms; settling 3 s`);
    await new Promise((r) => setTimeout(r, 3000));
    const notAlive = hosts.flatMap((h) =>
      planned
        .filter((p) => h.membership.status(p.nodeId) !== 'alive')
        .map((p) => `${h.nodeId}->${p.nodeId}:${h.membership.status(p.nodeId)}`),
    );
    console.log(
      `after settling, views that are not alive: ${notAlive.length} ${notAlive.slice(0, 8).join(' ')}`,
    );

    const samples: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const origin = hosts[round % n]!;
      const ip = `10.9.${round}.1`;
      const seen = new Map<string, number>();
      const started = performance.now();
      const listeners = hosts.map((h) => {
        const fn = () => {
          if (
            !seen.has(h.nodeId) &&
            h
              .view()
              .get('bench/web')
              ?.some((e) => e.ip === ip && e.ready)
          ) {
            seen.set(h.nodeId, performance.now() - started);
          }
        };
        h.addEventListener('endpoints', fn);
        return fn;
      });
      origin.setLocalEndpoints([
        { namespace: 'bench', service: 'web', portName: '', ip, port: 80, protocol: 'TCP', ready: true },
      ]);
      const deadline = Date.now() + 10_000;
      while (seen.size < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      for (const [i, h] of hosts.entries()) h.removeEventListener('endpoints', listeners[i]!);
      const others = [...seen].filter(([id]) => id !== origin.nodeId).map(([, ms]) => ms);
      if (others.length < n - 1)
        console.log(`round ${round}: only ${others.length}/${n - 1} converged in 10 s`);
      samples.push(Math.max(...others));
      origin.setLocalEndpoints([]);
      await new Promise((r) => setTimeout(r, 200));
    }
    samples.sort((a, b) => a - b);
    console.log(
      `endpoint change visible on all ${n - 1} other agents: p50 ${percentile(samples, 50).toFixed(1)} ms, p99 ${percentile(samples, 99).toFixed(1)} ms, max ${samples.at(-1)!.toFixed(1)} ms (${rounds} rounds)`,
    );
  } finally {
    await Promise.all(hosts.map((h) => h.stop()));
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
