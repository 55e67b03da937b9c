/**
 * Endpoint-table convergence on a cluster of gossip agents, one OS process each (the gossip layer
 * of an agent: GossipHost, its EndpointTable and SWIM membership, over real libp2p TCP, each on its
 * own loopback address 127.0.0.<10+i>; agent/src/gossip/gossip-agent-process.ts). Three figures:
 *
 *   change    one origin replaces its endpoints -> every other agent's view shows the new one
 *   SIGKILL   an agent is killed                -> every survivor declared it dead and dropped its entries
 *   restart   the killed agent starts again (same key, data dir, port), having missed a change
 *             -> it has the change, everyone sees it alive, and its new endpoint is everywhere
 *
 *   node_modules/.bin/node bench/gossip/convergence-processes.ts [--agents 20] [--changes 40] [--kills 5]
 *
 * Times are the agents' own wall clocks (same machine) of the event that showed the state, minus
 * the bench's clock when it sent the command or the signal.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GossipError } from '../../agent/src/gossip/gossip-error.ts';
import type { ClusterMember } from '../../agent/src/gossip/gossip-host.ts';
import { loadOrCreateNodeIdentity } from '../../agent/src/gossip/node-identity.ts';
import type { EndpointEntry } from '../../proxy/src/endpoint-table-types.ts';

const AGENT_SCRIPT = fileURLToPath(
  new URL('../../agent/src/gossip/gossip-agent-process.ts', import.meta.url),
);
const SERVICE = 'bench/web';

interface AgentEvent {
  event: 'ready' | 'member' | 'endpoints' | 'status';
  at: number;
  nodeId?: string;
  status?: string;
  view?: Record<string, { ip: string; ready: boolean }[]>;
  members?: { nodeId: string; status: string; incarnation: number }[];
}

interface PlannedAgent {
  nodeId: string;
  dataDir: string;
  config: string;
  member: ClusterMember;
}

/** One gossip agent process and what it printed since it started. */
class AgentProcess {
  readonly nodeId: string;
  readonly child: ChildProcess;
  readonly events: AgentEvent[] = [];
  readonly rssSamples: number[] = [];
  view: Record<string, { ip: string; ready: boolean }[]> = {};

  constructor(planned: PlannedAgent) {
    this.nodeId = planned.nodeId;
    this.child = spawn(process.execPath, [AGENT_SCRIPT, planned.config], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const e = JSON.parse(line) as AgentEvent;
      this.events.push(e);
      if (e.view) this.view = e.view;
    });
    // stderr is read so a chatty agent never blocks on a full pipe; its text is shown on failure.
    this.child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[${this.nodeId}] ${d.toString()}`));
  }

  send(command: object): void {
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  lastStatus(): AgentEvent | undefined {
    return this.events.findLast((e) => e.event === 'status');
  }

  /** First time at or after `since` that this agent's view satisfied `has` (from its endpoints events). */
  firstViewAt(since: number, has: (view: Record<string, { ip: string }[]>) => boolean): number | undefined {
    return this.events.find((e) => e.event === 'endpoints' && e.at >= since && e.view && has(e.view))?.at;
  }

  /** When this agent first reported `nodeId` with `status` at or after `since`. */
  memberAt(nodeId: string, status: string, since: number): number | undefined {
    return this.events.find(
      (e) => e.event === 'member' && e.nodeId === nodeId && e.status === status && e.at >= since,
    )?.at;
  }

  alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    if (!this.alive()) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill(signal);
    await exited;
  }
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(check: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function ep(ip: string): EndpointEntry {
  return { namespace: 'bench', service: 'web', portName: '', ip, port: 80, protocol: 'TCP', ready: true };
}

const hasIp = (ip: string) => (view: Record<string, { ip: string }[]>) =>
  view[SERVICE]?.some((e) => e.ip === ip) ?? false;
const lacksIp = (ip: string) => (view: Record<string, { ip: string }[]>) => !hasIp(ip)(view);

/** Asks every agent for its membership digest until each sees every one of `nodeIds` alive. */
async function allAlive(agents: readonly AgentProcess[], nodeIds: readonly string[]): Promise<void> {
  let asked = 0;
  await waitFor(
    () => {
      if (Date.now() - asked > 1000) {
        asked = Date.now();
        for (const a of agents) a.send({ status: true });
        if (process.env.KEDGE_BENCH_VERBOSE)
          console.log(
            `not alive: ${agents.flatMap((a) => (a.lastStatus()?.members ?? []).filter((m) => m.status !== 'alive' || m.incarnation === 0)).length}, load ${loadavg()[0]!.toFixed(1)}`,
          );
      }
      return agents.every((a) =>
        nodeIds.every((id) =>
          a.lastStatus()?.members?.some((m) => m.nodeId === id && m.status === 'alive' && m.incarnation > 0),
        ),
      );
    },
    120_000,
    'every agent to see every other alive',
  ).catch((error: Error) => {
    const notAlive = agents.flatMap((a) =>
      (a.lastStatus()?.members ?? [])
        .filter((m) => m.status !== 'alive' || m.incarnation === 0)
        .map((m) => `${a.nodeId}->${m.nodeId}:${m.status}/${m.incarnation}`),
    );
    throw new Error(`${error.message}; not alive: ${notAlive.length} ${notAlive.slice(0, 12).join(' ')}`);
  });
}

function plan(root: string, n: number): Promise<PlannedAgent[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const nodeId = `agent-${String(i).padStart(2, '0')}`;
      const dataDir = join(root, nodeId);
      const identity = await loadOrCreateNodeIdentity(dataDir);
      if (identity instanceof GossipError) throw identity;
      // One loopback address per agent, as `kedge up` gives them: libp2p admits at most 5 new
      // inbound connections per second per remote host, which 19 peers on one address exceed.
      const host = `127.0.0.${10 + i}`;
      const listen = `/ip4/${host}/tcp/${await freePort(host)}`;
      return {
        nodeId,
        dataDir,
        config: join(dataDir, 'config.json'),
        member: { nodeId, peerId: identity.peerId, addresses: [listen] },
      };
    }),
  );
}

/** Resident memory of a running process in MB, from /proc (Linux). */
function rssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

function row(name: string, samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const f = (v: number) => v.toFixed(0).padStart(7);
  return `${name.padEnd(58)} ${String(s.length).padStart(4)} ${f(percentile(s, 50))} ${f(percentile(s, 99))} ${f(s.at(-1) ?? Number.NaN)}`;
}

async function main(): Promise<void> {
  const n = arg('agents', 20);
  const changes = arg('changes', 40);
  const kills = arg('kills', 5);
  const root = mkdtempSync(join(tmpdir(), 'kedge-conv-proc-'));
  const agents: AgentProcess[] = [];
  try {
    const planned = await plan(root, n);
    for (const p of planned)
      writeFileSync(
        p.config,
        JSON.stringify({
          nodeId: p.nodeId,
          dataDir: p.dataDir,
          listen: p.member.addresses,
          members: planned.map((x) => x.member),
        }),
      );
    const spawnedAt = Date.now();
    for (const p of planned) agents.push(new AgentProcess(p));
    await waitFor(
      () => agents.every((a) => a.events.some((e) => e.event === 'ready')),
      120_000,
      'agents ready',
    );
    const readyMs = Date.now() - spawnedAt;
    // On an overloaded machine the cluster may not reach full agreement; measure anyway and say so.
    const formed = await allAlive(
      agents,
      planned.map((p) => p.nodeId),
    ).then(
      () => 'formed',
      (error: Error) => `NOT FORMED: ${error.message.slice(0, 300)}`,
    );
    const formedMs = Date.now() - spawnedAt;
    if (formed !== 'formed') console.log(formed);
    const rss = agents.map((a) => rssMb(a.child.pid)).filter((v) => !Number.isNaN(v));
    console.log(
      `${n} agent processes: all ready after ${readyMs} ms, ${formed === 'formed' ? 'everyone alive everywhere' : 'gave up waiting for agreement'} after ${formedMs} ms; RSS per process ${Math.min(...rss).toFixed(0)}-${Math.max(...rss).toFixed(0)} MB; load average ${loadavg()[0]!.toFixed(1)}`,
    );
    await sleep(2000);

    // 1. Endpoint changes, each at a different origin.
    const allConverged: number[] = [];
    const missed: string[] = [];
    const perAgent: number[] = [];
    for (let round = 0; round < changes; round++) {
      const origin = agents[round % n]!;
      const ip = `10.9.${Math.floor(round / 250)}.${(round % 250) + 1}`;
      const sent = Date.now();
      origin.send({ endpoints: [ep(ip)] });
      const reached = () => agents.map((a) => a.firstViewAt(sent, hasIp(ip)));
      await waitFor(() => reached().every((v) => v !== undefined), 15_000, 'change').catch(() => undefined);
      const others = reached()
        .filter((_, i) => agents[i] !== origin)
        .map((t) => (t === undefined ? undefined : t - sent));
      const got = others.filter((t) => t !== undefined);
      perAgent.push(...got);
      if (got.length === others.length) allConverged.push(Math.max(...got));
      else
        missed.push(
          `${origin.nodeId}: ${others.length - got.length} of ${others.length} missed ${ip} for 15 s`,
        );
      origin.send({ endpoints: [] });
      await waitFor(() => agents.every((a) => lacksIp(ip)(a.view)), 15_000, 'withdrawal').catch(
        () => undefined,
      );
      await sleep(100);
    }

    // 2. SIGKILL one agent, then 3. restart it after another origin changed its endpoints meanwhile.
    const deadEverywhere: number[] = [];
    const entriesGone: number[] = [];
    const restartCaughtUp: number[] = [];
    const restartAliveEverywhere: number[] = [];
    const restartAnnounced: number[] = [];
    const failedTrials: string[] = [];
    for (let k = 0; k < kills; k++) {
      await killAndRestart(k).catch((error: Error) => failedTrials.push(`trial ${k}: ${error.message}`));
    }
    async function killAndRestart(k: number): Promise<void> {
      const victimIndex = (k * 7 + 3) % n;
      const victim = agents[victimIndex]!;
      const victimIp = `10.8.${k}.1`;
      victim.send({ endpoints: [ep(victimIp)] });
      await waitFor(() => agents.every((a) => hasIp(victimIp)(a.view)), 15_000, `${victimIp} everywhere`);
      const survivors = agents.filter((a) => a !== victim);
      const killedAt = Date.now();
      await victim.kill('SIGKILL');
      const deaths = await waitFor(
        () => {
          const t = survivors.map((a) => a.memberAt(victim.nodeId, 'dead', killedAt));
          return t.every((v) => v !== undefined) ? (t as number[]) : undefined;
        },
        30_000,
        `every survivor to declare ${victim.nodeId} dead`,
      );
      deadEverywhere.push(Math.max(...deaths) - killedAt);
      const gone = await waitFor(
        () => {
          const t = survivors.map((a) => a.firstViewAt(killedAt, lacksIp(victimIp)));
          return t.every((v) => v !== undefined) ? (t as number[]) : undefined;
        },
        30_000,
        `${victimIp} to leave every survivor's table`,
      );
      entriesGone.push(Math.max(...gone) - killedAt);

      // A change the victim misses while it is down.
      const other = survivors[k % survivors.length]!;
      const missedIp = `10.7.${k}.1`;
      other.send({ endpoints: [ep(missedIp)] });
      await waitFor(
        () => survivors.every((a) => hasIp(missedIp)(a.view)),
        15_000,
        `${missedIp} on survivors`,
      );

      const restartedAt = Date.now();
      const restarted = new AgentProcess(planned[victimIndex]!);
      agents[victimIndex] = restarted;
      const bornIp = `10.6.${k}.1`;
      await waitFor(() => restarted.events.some((e) => e.event === 'ready'), 30_000, 'restarted agent ready');
      restarted.send({ endpoints: [ep(bornIp)] });
      const caughtUp = await waitFor(
        () =>
          restarted.events.find(
            (e) => (e.event === 'endpoints' || e.event === 'ready') && e.view && hasIp(missedIp)(e.view),
          )?.at,
        30_000,
        'restarted agent to learn the change it missed',
      );
      restartCaughtUp.push(caughtUp - restartedAt);
      const alive = await waitFor(
        () => {
          const t = survivors.map((a) => a.memberAt(victim.nodeId, 'alive', restartedAt));
          return t.every((v) => v !== undefined) ? (t as number[]) : undefined;
        },
        30_000,
        `every survivor to see ${victim.nodeId} alive again`,
      );
      restartAliveEverywhere.push(Math.max(...alive) - restartedAt);
      const announced = await waitFor(
        () => {
          const t = survivors.map((a) => a.firstViewAt(restartedAt, hasIp(bornIp)));
          return t.every((v) => v !== undefined) ? (t as number[]) : undefined;
        },
        30_000,
        `${bornIp} from the restarted agent everywhere`,
      );
      restartAnnounced.push(Math.max(...announced) - restartedAt);
      other.send({ endpoints: [] });
      restarted.send({ endpoints: [] });
      await allAlive(
        agents,
        planned.map((p) => p.nodeId),
      ).catch((error: Error) => console.log(`after trial ${k}: ${error.message.slice(0, 200)}`));
      await sleep(1000);
    }

    console.log(
      `\n${n} agents, one process each, libp2p TCP on 127.0.0.10+; times in ms; load average ${loadavg()[0]!.toFixed(1)}`,
    );
    console.log(
      `${'measure'.padEnd(58)} ${'n'.padStart(4)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} ${'max'.padStart(7)}`,
    );
    console.log(row(`endpoint change: on all ${n - 1} other agents`, allConverged));
    console.log(row('endpoint change: on one other agent', perAgent));
    console.log(row('SIGKILL: dead on every survivor', deadEverywhere));
    console.log(row("SIGKILL: its endpoints gone from every survivor's table", entriesGone));
    console.log(row('restart: has the change it missed (from spawn)', restartCaughtUp));
    console.log(row('restart: alive on every survivor (from spawn)', restartAliveEverywhere));
    console.log(row('restart: its new endpoint on every survivor (from spawn)', restartAnnounced));
    console.log(`cluster at start: ${formed === 'formed' ? 'every agent saw every other alive' : formed}`);
    for (const m of missed) console.log(`change not everywhere: ${m}`);
    for (const f of failedTrials) console.log(`kill/restart ${f}`);
  } finally {
    await Promise.all(agents.map((a) => a.kill('SIGKILL')));
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
