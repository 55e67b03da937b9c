// A 3-member etcd cluster on 127.0.0.1 (own ports, temp data dirs) driven through its JSON gateway,
// the anchor of the consensus benchmark.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, request } from '../../consensus/example/kv-cluster.ts';

interface EtcdMember {
  readonly id: number;
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  process: ChildProcess | undefined;
  frozen: boolean;
}

export class EtcdCluster {
  readonly members: EtcdMember[] = [];
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  readonly root: string;
  readonly #heartbeatMs: number;
  readonly #electionMs: number;

  private constructor(root: string, heartbeatMs: number, electionMs: number) {
    this.root = root;
    this.#heartbeatMs = heartbeatMs;
    this.#electionMs = electionMs;
  }

  static async create(options: { heartbeatMs?: number; electionMs?: number } = {}): Promise<EtcdCluster> {
    const cluster = new EtcdCluster(
      mkdtempSync(path.join(os.tmpdir(), 'kedge-etcd-')),
      options.heartbeatMs ?? 100,
      options.electionMs ?? 1000,
    );
    for (let id = 1; id <= 3; id++) {
      cluster.members.push({
        id,
        name: `etcd-${id}`,
        clientPort: await freePort(),
        peerPort: await freePort(),
        dataDir: path.join(cluster.root, `etcd-${id}`),
        process: undefined,
        frozen: false,
      });
    }
    return cluster;
  }

  member(id: number): EtcdMember {
    const m = this.members.find((x) => x.id === id);
    if (!m) throw new Error(`no etcd member ${id}`);
    return m;
  }

  async start(id: number): Promise<void> {
    const m = this.member(id);
    const initialCluster = this.members.map((x) => `${x.name}=http://127.0.0.1:${x.peerPort}`).join(',');
    m.process = spawn(
      '/usr/bin/etcd',
      [
        '--name',
        m.name,
        '--data-dir',
        m.dataDir,
        '--listen-client-urls',
        `http://127.0.0.1:${m.clientPort}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${m.clientPort}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${m.peerPort}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${m.peerPort}`,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        path.basename(this.root),
        '--heartbeat-interval',
        String(this.#heartbeatMs),
        '--election-timeout',
        String(this.#electionMs),
        '--log-level',
        'error',
      ],
      { stdio: 'ignore' },
    );
    m.frozen = false;
    // Ready enough once the client port accepts connections.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const open = await new Promise<boolean>((resolve) => {
        const socket = net.connect(m.clientPort, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (open) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`etcd member ${id} did not listen on ${m.clientPort} within 10 s`);
  }

  async startAll(): Promise<void> {
    await Promise.all(this.members.map((m) => this.start(m.id)));
    await this.waitForLeader(20_000);
  }

  async signal(id: number, signal: NodeJS.Signals): Promise<void> {
    const m = this.member(id);
    const child = m.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      m.frozen = signal === 'SIGSTOP';
      child.kill(signal);
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (m.frozen) child.kill('SIGCONT');
    child.kill(signal);
    await exited;
    m.process = undefined;
    m.frozen = false;
  }

  /** The leader's member id (1..3) as the members report it. */
  async waitForLeader(timeoutMs = 10_000, excluding?: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const m of this.members) {
        if (m.id === excluding || !m.process || m.frozen) continue;
        const response = await request(
          this.agent,
          m.clientPort,
          'POST',
          '/v3/maintenance/status',
          Buffer.from('{}'),
          500,
        ).catch(() => undefined);
        if (response?.status !== 200) continue;
        const status = JSON.parse(response.body.toString()) as {
          header?: { member_id?: string };
          leader?: string;
        };
        if (status.leader && status.header?.member_id === status.leader) return m.id;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`etcd: no leader within ${timeoutMs} ms`);
  }

  async put(
    id: number,
    key: string,
    value: Uint8Array,
    timeoutMs = 2000,
  ): Promise<{ status: number; body: Buffer }> {
    const body = Buffer.from(
      JSON.stringify({
        key: Buffer.from(key).toString('base64'),
        value: Buffer.from(value).toString('base64'),
      }),
    );
    return request(this.agent, this.member(id).clientPort, 'POST', '/v3/kv/put', body, timeoutMs);
  }

  async destroy(): Promise<void> {
    await Promise.all(this.members.map((m) => this.signal(m.id, 'SIGKILL')));
    this.agent.destroy();
    rmSync(this.root, { recursive: true, force: true });
  }
}
