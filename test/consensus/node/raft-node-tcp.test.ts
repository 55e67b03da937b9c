// RaftNodes in one process over the real TCP transport: a follower that was down while the log was
// compacted comes back and is caught up by a snapshot streamed in 256 KiB chunks.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { freePort } from '../../../consensus/example/kv-cluster.ts';
import {
  createKvStateMachine,
  encodePut,
  type KvStateMachine,
} from '../../../consensus/example/kv-state-machine.ts';
import { createRaftNode, type RaftNode } from '../../../consensus/src/node/raft-node.ts';
import { createTcpTransport } from '../../../consensus/src/transport/tcp-transport.ts';
import type { NodeId } from '../../../consensus/src/types.ts';
import { eventually } from './cluster-harness.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kedge-raft-tcp-'));
const running: RaftNode<number>[] = [];
afterEach(async () => {
  await Promise.all(running.map((n) => n.stop()));
  rmSync(root, { recursive: true, force: true });
});

async function startNode(id: NodeId, peers: Map<NodeId, string>) {
  const transport = await createTcpTransport({ id, listen: peers.get(id)! });
  const kv: KvStateMachine = createKvStateMachine();
  const node = createRaftNode({
    id,
    peers,
    dataDir: path.join(root, `n${id}`),
    transport,
    stateMachine: kv,
    // Generous: CI's two cores are shared with other suites, and checkQuorum steps a leader down
    // that misses its follower for an election timeout.
    tickMs: 50,
    electionTick: 20,
    snapshotEntries: 100,
    catchUpEntries: 10,
  });
  await node.start();
  running.push(node);
  return { node, kv };
}

it('catches a returning follower up with a chunked snapshot over TCP', async () => {
  const peers = new Map<NodeId, string>();
  for (const id of [1, 2, 3]) peers.set(id, `127.0.0.1:${await freePort()}`);
  const members = new Map<NodeId, { node: RaftNode<number>; kv: KvStateMachine }>();
  for (const id of [1, 2, 3]) members.set(id, await startNode(id, peers));
  let leader = 0;
  await eventually(
    () => {
      leader = [...members].find(([, m]) => m.node.status().role === 'leader')?.[0] ?? 0;
      return leader !== 0;
    },
    10_000,
    'a leader',
  );
  const follower = [1, 2, 3].find((id) => id !== leader)!;
  const down = members.get(follower)!;
  await down.node.stop();
  running.splice(running.indexOf(down.node), 1);

  const value = new Uint8Array(4096).fill(7);
  const leaderNode = members.get(leader)!.node;
  for (let i = 0; i < 300; i++) await leaderNode.propose(encodePut(`key-${i}`, value));
  // (With two of three members up, a leadership change would fail these proposals: the timing
  // above keeps that from happening on a loaded machine.)
  expect(leaderNode.status().snapshotIndex).toBeGreaterThan(100);

  // Back on the same address and data directory: too far behind for the log, so a ~1.2 MB snapshot.
  const back = await startNode(follower, peers);
  await eventually(() => back.kv.size === 300, 10_000, 'snapshot catch-up');
  expect(back.node.status().snapshotIndex).toBeGreaterThan(100);
  expect(Buffer.from(back.kv.get('key-299') ?? []).equals(Buffer.from(value))).toBe(true);
});
