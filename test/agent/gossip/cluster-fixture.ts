import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GossipError } from '../../../agent/src/gossip/gossip-error.ts';
import type { ClusterMember } from '../../../agent/src/gossip/gossip-host.ts';
import { loadOrCreateNodeIdentity, type NodeIdentity } from '../../../agent/src/gossip/node-identity.ts';

/** A free TCP port on a loopback address (bound then released; fine for tests on one box). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface PlannedNode {
  nodeId: string;
  dataDir: string;
  identity: NodeIdentity;
  listen: string;
  member: ClusterMember;
}

/** Identities, data dirs and listen addresses for n nodes, plus a cleanup. */
export async function planCluster(
  n: number,
  prefix = 'node',
): Promise<{ nodes: PlannedNode[]; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'kedge-gossip-'));
  const nodes: PlannedNode[] = [];
  for (let i = 0; i < n; i++) {
    const nodeId = `${prefix}-${i}`;
    const dataDir = join(root, nodeId);
    const identity = await loadOrCreateNodeIdentity(dataDir);
    if (identity instanceof GossipError) throw identity;
    const listen = `/ip4/127.0.0.1/tcp/${await freePort()}`;
    nodes.push({
      nodeId,
      dataDir,
      identity,
      listen,
      member: { nodeId, peerId: identity.peerId, addresses: [listen] },
    });
  }
  return { nodes, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Polls until check() is true or the deadline passes; returns the elapsed ms. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}
