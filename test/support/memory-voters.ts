/**
 * An in-process cluster of Raft voters for tests above consensus: real RaftNodes with real WALs in
 * a temp dir, the memory transport between them, each applying into its own ReplicatedState and
 * serving the API's ObjectBackend. `stop(v)` is a crash of one voter; `close()` ends them all and
 * removes the directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type AppliedResult, ReplicatedState } from '../../agent/src/cluster/replicated-state.ts';
import { type ConsensusNode, ReplicatedBackend } from '../../agent/src/cluster/replicated-store.ts';
import { createRaftNode, type RaftNode } from '../../consensus/src/node/raft-node.ts';
import { createMemoryNetwork, type MemoryNetwork } from '../../consensus/src/transport/memory-transport.ts';

export interface MemoryVoter {
  readonly id: number;
  readonly node: RaftNode<AppliedResult>;
  readonly state: ReplicatedState;
  readonly backend: ReplicatedBackend;
  running: boolean;
}

export interface MemoryVoters {
  readonly root: string;
  readonly network: MemoryNetwork;
  readonly voters: readonly MemoryVoter[];
  /** The leader every running voter agrees on. */
  waitForLeader(timeoutMs?: number): Promise<MemoryVoter>;
  /** Stops one voter (its WAL stays): the others see it as crashed. */
  stop(voter: MemoryVoter): Promise<void>;
  close(): Promise<void>;
}

export interface MemoryVotersOptions {
  readonly count?: number;
  /**
   * Raft timing: 'fast' (10 ms ticks, election after 10, 1 s request timeout) elects in about
   * 100 ms; 'production' keeps the node's own defaults (for tests where a spurious election on a
   * loaded machine would be a failure).
   */
  readonly timing?: 'fast' | 'production';
  /** Wraps a node before the backend uses it (e.g. to count ReadIndex rounds). */
  readonly backendNode?: (node: RaftNode<AppliedResult>) => ConsensusNode;
  /** Called for each voter before any starts (e.g. to follow its role changes from the first). */
  readonly beforeStart?: (voter: MemoryVoter) => void;
}

export async function startMemoryVoters(options: MemoryVotersOptions = {}): Promise<MemoryVoters> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'kedge-voters-'));
  const network = createMemoryNetwork();
  const ids = Array.from({ length: options.count ?? 3 }, (_, i) => i + 1);
  const peers = new Map(ids.map((id) => [id, `mem-${id}`]));
  const voters: MemoryVoter[] = ids.map((id) => {
    const state = new ReplicatedState();
    const node = createRaftNode<AppliedResult>({
      id,
      peers,
      dataDir: path.join(root, `node-${id}`),
      transport: network.transport(id),
      stateMachine: state,
      ...(options.timing === 'production' ? {} : { tickMs: 10, electionTick: 10, requestTimeoutMs: 1000 }),
    });
    const backend = new ReplicatedBackend(options.backendNode?.(node) ?? node, state);
    return { id, node, state, backend, running: true };
  });
  for (const v of voters) options.beforeStart?.(v);
  for (const v of voters) await v.node.start();

  const waitForLeader = async (timeoutMs = 5000): Promise<MemoryVoter> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const live = voters.filter((v) => v.running);
      const leader = live.find((v) => v.node.status().role === 'leader');
      if (leader && live.every((v) => v.node.status().leader === leader.id)) return leader;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`no leader within ${timeoutMs} ms`);
  };
  const stop = async (voter: MemoryVoter) => {
    if (!voter.running) return;
    voter.running = false;
    await voter.node.stop();
  };
  return {
    root,
    network,
    voters,
    waitForLeader,
    stop,
    close: async () => {
      for (const v of voters) await stop(v);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
