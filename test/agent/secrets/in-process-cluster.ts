/**
 * A 3-voter kedge cluster in this process, wired as `kedge up` wires it (init, join with the voter
 * token, the real agent.ts over TCP + mutual TLS, real WALs) but without workloads: agents on
 * 127.0.0.1-3, random ports, one temp directory removed by stop().
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RunningAgent, startAgent } from '../../../agent/src/cluster/agent.ts';
import { type AgentReply, callAgent, splitHostPort } from '../../../agent/src/cluster/agent-client.ts';
import { initCluster } from '../../../agent/src/cluster/init.ts';
import { joinCluster } from '../../../agent/src/cluster/join-client.ts';
import { silentLogger } from '../../../consensus/src/node/logger.ts';

export interface InProcessCluster {
  readonly root: string;
  readonly agents: RunningAgent[];
  readonly caPem: string;
  readonly adminToken: string;
  call(
    agent: number,
    token: string,
    p: string,
    options?: { method?: string; body?: unknown },
  ): Promise<AgentReply>;
  /** Opens a watch stream; `lines` fills as events arrive. */
  watch(agent: number, token: string, p: string): { lines: string[]; close(): void };
  stop(): Promise<void>;
}

export async function until<T>(ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startInProcessCluster(
  prefix: string,
  options: { snapshotEntries?: number } = {},
): Promise<InProcessCluster> {
  const root = await mkdtemp(path.join(tmpdir(), `kedge-${prefix}-`));
  const base = 20_000 + Math.floor(Math.random() * 4000) * 10;
  const agents: RunningAgent[] = [];
  const dir = (i: number) => path.join(root, `agent-${i}`);
  const start = (i: number) =>
    startAgent({
      dataDir: dir(i),
      workloads: false,
      logger: silentLogger,
      // Production tick (100 ms): shorter ones let a loaded CI machine's stalls depose the leader.
      tickMs: 100,
      ...(options.snapshotEntries !== undefined ? { snapshotEntries: options.snapshotEntries } : {}),
    });
  const stop = async () => {
    for (const a of agents.reverse()) await a.stop().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  };
  try {
    const init = await initCluster({
      dataDir: dir(1),
      advertise: '127.0.0.1',
      apiPort: base + 1,
      raftPort: base + 101,
      voters: 3,
    });
    const caPem = await readFile(path.join(dir(1), 'pki', 'ca.crt'), 'utf8');
    agents.push(await start(1));
    const once: InProcessCluster['call'] = (agent, token, p, o = {}) =>
      callAgent(agents[agent]!.apiAddress, p, {
        ca: caPem,
        token,
        timeoutMs: 10_000,
        ...(o.method ? { method: o.method } : {}),
        ...(o.body !== undefined ? { body: o.body } : {}),
      });
    // As a real client does (kubectl, kedge): a 503 from an election is retried after Retry-After.
    // A create whose first attempt got 503 may have committed anyway; its retry then meets
    // AlreadyExists, and the object it created is what the caller wanted.
    const call: InProcessCluster['call'] = async (agent, token, p, o = {}) => {
      const deadline = Date.now() + 30_000;
      let retried = false;
      for (;;) {
        const reply = await once(agent, token, p, o);
        const isCreate = (o.method ?? (o.body !== undefined ? 'POST' : 'GET')) === 'POST';
        if (retried && isCreate && reply.status === 409) {
          const name = (o.body as { metadata?: { name?: string } } | undefined)?.metadata?.name;
          if (name !== undefined) {
            const got = await once(agent, token, `${p.split('?')[0]}/${name}`);
            if (got.status === 200) return { ...got, status: 201 };
          }
        }
        if (reply.status !== 503 || Date.now() > deadline) return reply;
        retried = true;
        const after = Number(reply.headers['retry-after'] ?? 1);
        await new Promise((r) => setTimeout(r, Math.min(after, 1) * 1000));
      }
    };
    await until(20_000, async () => {
      const r = await call(0, init.adminToken, '/api/v1/namespaces/default');
      return r.status === 200 ? true : undefined;
    });
    for (const i of [2, 3]) {
      await joinCluster({
        dataDir: dir(i),
        address: agents[0]!.apiAddress,
        token: init.voterToken,
        advertise: `127.0.0.${i}`,
        apiPort: base + i,
        raftPort: base + 100 + i,
      });
      agents.push(await start(i));
    }
    // Every agent serves reads once it is a promoted voter with the leader known.
    await until(30_000, async () => {
      const r = await call(0, init.adminToken, '/kedge/v1/cluster');
      const members = (r.json?.members ?? []) as { status?: { role: string } }[];
      return members.length === 3 && members.every((m) => m.status && m.status.role !== 'learner')
        ? true
        : undefined;
    });
    // ... and has applied the registry (the users' tokens) on every voter.
    for (const agent of [0, 1, 2])
      await until(30_000, async () => {
        const r = await call(agent, init.adminToken, '/api/v1/namespaces/default');
        return r.status === 200 ? true : undefined;
      });
    const watch: InProcessCluster['watch'] = (agent, token, p) => {
      const [host, port] = splitHostPort(agents[agent]!.apiAddress);
      const lines: string[] = [];
      let buffered = '';
      const req = request(
        { host, port, path: p, ca: caPem, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffered += chunk;
            let nl = buffered.indexOf('\n');
            while (nl >= 0) {
              if (nl > 0) lines.push(buffered.slice(0, nl));
              buffered = buffered.slice(nl + 1);
              nl = buffered.indexOf('\n');
            }
          });
          // close() destroys the request, which ends the response with an abort: expected.
          res.on('error', () => undefined);
        },
      );
      req.on('error', () => undefined);
      req.end();
      return { lines, close: () => req.destroy() };
    };
    return { root, agents, caPem, adminToken: init.adminToken, call, watch, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
