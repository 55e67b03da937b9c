// A cluster of RaftNodes on the in-memory network, each with a real WAL in a temp directory.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createKvStateMachine,
  encodePut,
  type KvStateMachine,
} from '../../../consensus/example/kv-state-machine.ts';
import {
  createRaftNode,
  type RaftNode,
  type RaftNodeOptions,
} from '../../../consensus/src/node/raft-node.ts';
import {
  createMemoryNetwork,
  type MemoryNetwork,
} from '../../../consensus/src/transport/memory-transport.ts';
import type { NodeId } from '../../../consensus/src/types.ts';
import { openWal } from '../../../consensus/src/wal/index.ts';

export interface TestMember {
  node: RaftNode<number>;
  kv: KvStateMachine;
  fsyncs: number;
  running: boolean;
  /** When set, the WAL's next saves fail as a dying disk's would. */
  failSaves: boolean;
}

export type MemberOptions = Partial<
  Omit<RaftNodeOptions<number>, 'id' | 'transport' | 'stateMachine' | 'dataDir'>
>;

export class MemoryCluster {
  readonly network: MemoryNetwork = createMemoryNetwork();
  readonly root = mkdtempSync(path.join(os.tmpdir(), 'kedge-raft-node-'));
  readonly members = new Map<NodeId, TestMember>();
  readonly peers: Map<NodeId, string>;
  readonly #options: MemberOptions;

  constructor(ids: NodeId[], options: MemberOptions = {}) {
    this.peers = new Map(ids.map((id) => [id, `mem-${id}`]));
    this.#options = options;
  }

  async start(id: NodeId, extra: MemberOptions = {}): Promise<TestMember> {
    const kv = createKvStateMachine();
    const member: TestMember = {
      node: undefined as unknown as RaftNode<number>,
      kv,
      fsyncs: 0,
      running: true,
      failSaves: false,
    };
    member.node = createRaftNode({
      id,
      peers: this.peers,
      dataDir: path.join(this.root, `node-${id}`),
      transport: this.network.transport(id),
      stateMachine: kv,
      tickMs: 10,
      electionTick: 10,
      heartbeatTick: 1,
      requestTimeoutMs: 3000,
      ...this.#options,
      ...extra,
      openLog: async (dir) => {
        const opened = await openWal(dir, { segmentBytes: 1 << 20, logger: () => {} });
        const save = opened.log.save.bind(opened.log);
        opened.log.save = (hardState, entries, sync) => {
          if (member.failSaves) return Promise.reject(new Error('EIO: injected write failure'));
          if (sync) member.fsyncs++;
          return save(hardState, entries, sync);
        };
        return opened;
      },
    });
    this.members.set(id, member);
    await member.node.start();
    return member;
  }

  async startAll(): Promise<void> {
    for (const id of this.peers.keys()) await this.start(id);
  }

  member(id: NodeId): TestMember {
    const m = this.members.get(id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  /** Polls until exactly one running member leads and every running member agrees; returns it. */
  async waitForLeader(timeoutMs = 5000, excluding: NodeId[] = []): Promise<NodeId> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const running = [...this.members.entries()].filter(([id, m]) => m.running && !excluding.includes(id));
      const leaders = running.filter(([, m]) => m.node.status().role === 'leader').map(([id]) => id);
      if (leaders.length === 1 && running.every(([, m]) => m.node.status().leader === leaders[0]))
        return leaders[0]!;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`no agreed leader within ${timeoutMs} ms`);
  }

  async put(id: NodeId, key: string, value: string): Promise<number> {
    return this.member(id).node.propose(encodePut(key, Buffer.from(value)));
  }

  /** Stops a member as a crash would look to its peers (their transports see it go down). */
  async crash(id: NodeId): Promise<void> {
    const m = this.member(id);
    this.network.crash(id);
    m.running = false;
    await m.node.stop();
  }

  async destroy(): Promise<void> {
    try {
      for (const m of this.members.values()) {
        if (m.running) await m.node.stop();
        m.running = false;
      }
    } finally {
      rmSync(this.root, { recursive: true, force: true });
    }
  }
}

export const read = (kv: KvStateMachine, key: string): string | undefined => {
  const v = kv.get(key);
  return v === undefined ? undefined : Buffer.from(v).toString();
};

export async function eventually(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
