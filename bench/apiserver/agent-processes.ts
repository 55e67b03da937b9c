// A 3-voter kedge cluster of agent processes (agent-process.ts) on 127.0.0.1-3 for benchmarks:
// init in this process, start the founder, join the other two as voters, wait until all serve.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AgentReply, callAgent } from '../../agent/src/cluster/agent-client.ts';
import { initCluster } from '../../agent/src/cluster/init.ts';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'agent-process.ts');

export class AgentProcesses {
  readonly root: string;
  readonly caPem: string;
  readonly adminToken: string;
  readonly apiAddresses: readonly string[];
  readonly #children: ChildProcess[];

  private constructor(
    root: string,
    caPem: string,
    adminToken: string,
    apis: string[],
    children: ChildProcess[],
  ) {
    this.root = root;
    this.caPem = caPem;
    this.adminToken = adminToken;
    this.apiAddresses = apis;
    this.#children = children;
  }

  static async start(basePort = 26400): Promise<AgentProcesses> {
    const root = await mkdtemp(path.join(tmpdir(), 'kedge-bench-api-'));
    const dir = (i: number) => path.join(root, `agent-${i}`);
    const api = (i: number) => `127.0.0.${i}:${basePort + i}`;
    const children: ChildProcess[] = [];
    const spawnOne = (i: number, args: string[]) => {
      const child = spawn(process.execPath, [script, '--data-dir', dir(i), ...args], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
    };
    const init = await initCluster({
      dataDir: dir(1),
      advertise: '127.0.0.1',
      apiPort: basePort + 1,
      raftPort: basePort + 101,
      voters: 3,
    });
    const caPem = await readFile(path.join(dir(1), 'pki', 'ca.crt'), 'utf8');
    const cluster = new AgentProcesses(root, caPem, init.adminToken, [1, 2, 3].map(api), children);
    try {
      spawnOne(1, []);
      await cluster.#until((r) => r.status === 200, 0, '/api/v1/namespaces/default');
      for (const i of [2, 3]) {
        spawnOne(i, [
          '--join',
          api(1),
          '--token',
          init.voterToken,
          '--advertise',
          `127.0.0.${i}`,
          '--api-port',
          String(basePort + i),
          '--raft-port',
          String(basePort + 100 + i),
        ]);
      }
      for (const i of [1, 2]) await cluster.#until((r) => r.status === 200, i, '/api/v1/namespaces/default');
      await cluster.#until(
        (r) =>
          (r.json?.members ?? []).length === 3 &&
          (r.json.members as { status?: { role: string } }[]).every(
            (m) => m.status && m.status.role !== 'learner',
          ),
        0,
        '/kedge/v1/cluster',
      );
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  call(i: number, p: string, options: { method?: string; body?: unknown } = {}): Promise<AgentReply> {
    return callAgent(this.apiAddresses[i]!, p, {
      ca: this.caPem,
      token: this.adminToken,
      timeoutMs: 5000,
      ...options,
    });
  }

  /** The index of the agent that leads now. */
  async leader(): Promise<number> {
    const r = await this.call(0, '/kedge/v1/cluster');
    const leader = (r.json.members as { status?: { role: string }; apiAddress: string }[]).find(
      (m) => m.status?.role === 'leader',
    );
    const index = this.apiAddresses.indexOf(leader?.apiAddress ?? '');
    if (index < 0) throw new Error('no leader among the agents');
    return index;
  }

  async #until(ok: (r: AgentReply) => boolean, i: number, p: string, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const r = await this.call(i, p).catch(() => undefined);
      if (r && ok(r)) return;
      if (Date.now() > deadline) throw new Error(`agent ${i + 1} did not answer ${p} in time`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.#children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const kill = setTimeout(() => c.kill('SIGKILL'), 3000);
            c.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
    await rm(this.root, { recursive: true, force: true });
  }
}
