// Runs a cluster of kv-server processes on 127.0.0.1 for tests and benchmarks: start, kill -9,
// freeze (SIGSTOP), restart, find the leader, and clean everything up.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCa, makeNodeCert } from './dev-certs.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const serverScript = path.join(here, 'kv-server.ts');

export interface KvClusterOptions {
  readonly size?: number;
  readonly tls?: boolean;
  readonly tickMs?: number;
  readonly electionTick?: number;
  readonly heartbeatTick?: number;
  readonly snapshotEntries?: number;
  /** Keep the servers' stderr (JSON log lines) here; discarded when absent. */
  readonly logFile?: (id: number) => string | undefined;
}

export interface KvMember {
  readonly id: number;
  readonly httpPort: number;
  readonly raftPort: number;
  readonly dataDir: string;
  process: ChildProcess | undefined;
  frozen: boolean;
}

/** A free loopback port (bound and released; fine for tests on one machine). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export class KvCluster {
  readonly members: KvMember[] = [];
  readonly root: string;
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  readonly #options: KvClusterOptions;

  private constructor(root: string, options: KvClusterOptions) {
    this.root = root;
    this.#options = options;
  }

  /** Allocates ports and directories (and certificates for TLS); starts nothing. */
  static async create(options: KvClusterOptions = {}): Promise<KvCluster> {
    const cluster = new KvCluster(mkdtempSync(path.join(os.tmpdir(), 'kedge-kv-')), options);
    const size = options.size ?? 3;
    if (options.tls) makeCa(cluster.root, 'cluster');
    for (let id = 1; id <= size; id++) {
      if (options.tls) makeNodeCert(cluster.root, `node-${id}`, 'cluster');
      cluster.members.push({
        id,
        httpPort: await freePort(),
        raftPort: await freePort(),
        dataDir: path.join(cluster.root, `data-${id}`),
        process: undefined,
        frozen: false,
      });
    }
    return cluster;
  }

  member(id: number): KvMember {
    const member = this.members.find((m) => m.id === id);
    if (!member) throw new Error(`no member ${id}`);
    return member;
  }

  /** Starts one member and resolves once its HTTP API listens. */
  async start(id: number): Promise<void> {
    const member = this.member(id);
    const o = this.#options;
    const args = [
      serverScript,
      '--id',
      String(id),
      '--peers',
      this.members.map((m) => `${m.id}=127.0.0.1:${m.raftPort}`).join(','),
      '--data',
      member.dataDir,
      '--http',
      `127.0.0.1:${member.httpPort}`,
      '--tick-ms',
      String(o.tickMs ?? 100),
      '--election-tick',
      String(o.electionTick ?? 5),
      '--heartbeat-tick',
      String(o.heartbeatTick ?? 1),
      '--snapshot-entries',
      String(o.snapshotEntries ?? 10_000),
    ];
    if (o.tls) args.push('--tls-dir', this.root);
    const logFile = o.logFile?.(id);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', logFile ? 'pipe' : 'ignore'] });
    if (logFile && child.stderr) {
      const { createWriteStream } = await import('node:fs');
      child.stderr.pipe(createWriteStream(logFile, { flags: 'a' }));
    }
    member.process = child;
    member.frozen = false;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`kv-server ${id} did not listen within 15 s`)), 15_000);
      child.stdout?.on('data', (data: Buffer) => {
        out += data.toString();
        if (out.includes('"listening"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`kv-server ${id} exited (${code ?? signal}) before listening`));
      });
    });
  }

  async startAll(): Promise<void> {
    await Promise.all(this.members.map((m) => this.start(m.id)));
  }

  /** Sends a signal; for SIGKILL waits until the process is gone. */
  async signal(id: number, signal: NodeJS.Signals): Promise<void> {
    const member = this.member(id);
    const child = member.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    if (signal === 'SIGSTOP') {
      member.frozen = true;
      child.kill(signal);
      return;
    }
    if (signal === 'SIGCONT') {
      member.frozen = false;
      child.kill(signal);
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (member.frozen) child.kill('SIGCONT');
    child.kill(signal);
    await exited;
    member.process = undefined;
    member.frozen = false;
  }

  /** GET /status of one member, or undefined if it does not answer within timeoutMs. */
  async status(
    id: number,
    timeoutMs = 500,
  ): Promise<{ role: string; leader: number; term: number; applied: number } | undefined> {
    const member = this.member(id);
    if (!member.process || member.frozen) return undefined;
    const response = await request(this.agent, member.httpPort, 'GET', '/status', undefined, timeoutMs).catch(
      () => undefined,
    );
    if (response?.status !== 200) return undefined;
    return JSON.parse(response.body.toString());
  }

  /** The member that says it leads, polling until timeoutMs. */
  async waitForLeader(timeoutMs = 10_000, excluding?: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const m of this.members) {
        if (m.id === excluding) continue;
        const status = await this.status(m.id);
        if (status?.role === 'leader') return m.id;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no leader within ${timeoutMs} ms`);
  }

  put(id: number, key: string, value: Uint8Array, timeoutMs = 2000) {
    return request(
      this.agent,
      this.member(id).httpPort,
      'PUT',
      `/kv/${encodeURIComponent(key)}`,
      value,
      timeoutMs,
    );
  }

  get(id: number, key: string, timeoutMs = 2000) {
    return request(
      this.agent,
      this.member(id).httpPort,
      'GET',
      `/kv/${encodeURIComponent(key)}`,
      undefined,
      timeoutMs,
    );
  }

  /** Kills every process and removes every directory this cluster made. */
  async destroy(): Promise<void> {
    await Promise.all(this.members.map((m) => this.signal(m.id, 'SIGKILL')));
    this.agent.destroy();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** One HTTP request on a keep-alive agent; rejects on timeout or connection error. */
export function request(
  agent: http.Agent,
  port: number,
  method: string,
  urlPath: string,
  body: Uint8Array | undefined,
  timeoutMs: number,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent,
        headers: { 'content-length': body?.length ?? 0 },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`${method} ${urlPath} timed out after ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}
